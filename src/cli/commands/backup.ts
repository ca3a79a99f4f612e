import { failpoint } from '../../io/failpoint.js';
import { damage, EXIT, usageError, AirgapError } from '../../core/errors.js';
import { driveWriteError } from '../../core/io-errors.js';
import { DRIVE_DIR, DRIVE_README, FAT_PART_SIZE, MIN_PART_SIZE } from '../../layout/format.js';
import { parseByteSize } from '../../core/byte-size.js';
import { probeFilesystem, unsafeFilesystem } from '../../drives/file-size-limit.js';
import { DriveLock } from '../../layout/drive-lock.js';
import { refreshDriveReadme } from '../../drives/label.js';
import { readDriveContents, twinMessage } from '../../layout/drive-contents.js';
import { pruneSnapshots } from '../../snapshot/prune.js';
import { verifySnapshot } from '../../verify/verify-snapshot.js';
import { DEFAULT_GATE } from '../../core/change-analysis.js';
import { pruneGate } from '../../core/prune-gate.js';
import { BaselineWriter, baselinePath } from '../../state/baseline.js';
import { inspectChanges, sameSourcesSnapshot, type GateResult } from '../../gate/inspect.js';
import { renderChanges } from '../../ui/render-changes.js';
import { writeSnapshot } from '../../snapshot/write-snapshot.js';
import { cancelScope } from '../interrupt.js';
import { backupProgressText, startProgress } from '../../ui/progress.js';
import { bytes, renderBackupSummary, renderProblems } from '../../ui/render.js';
import { globProblem, loadConfig } from '../config.js';
import { sourceRoots } from '../sources.js';
import type { Context } from '../context.js';
import { chooseBackupTarget, prunePlanFor } from '../backup-target.js';
import { openCatalog, recordPruneFirst, refreshFromDrive, withdrawUnpruned } from '../catalog-access.js';
import { findDrive, refuseFingerprintMismatch } from '../find-drive.js';
import { printJson, quoteShort } from '../output.js';
import { removeLeftovers } from '../../layout/leftovers.js';

export interface BackupFlags {
  drive?: string;
  source?: string[];
  exclude?: string[];
  dryRun?: boolean;
  strict?: boolean;
  acceptFingerprint?: boolean;
  allowConnected?: boolean;
  acceptChanges?: boolean;
  /** commander's --no-prune sets prune=false. */
  prune?: boolean;
  noPrune?: boolean;
  partSize?: string;
}

export async function backupCommand(ctx: Context, flags: BackupFlags): Promise<number> {
  flags.noPrune = flags.noPrune || flags.prune === false;
  const config = await loadConfig(ctx.configPath, ctx.configExplicit);
  const sources = flags.source?.length ? flags.source : config?.sources;
  if (!sources?.length) {
    throw usageError('no-sources', `nothing to back up: no --source given and no config at ${ctx.configPath}`, 'pass --source <dir> or run `airgap init --source <dir>`');
  }
  // Checked like the config's excludes: a pattern picomatch rejects would otherwise stop the scan with a crash.
  for (const x of flags.exclude ?? []) {
    const problem = globProblem(x);
    if (problem) throw usageError('bad-exclude', `--exclude ${quoteShort(x)}: ${problem}`, 'e.g. --exclude "*.tmp" or --exclude "build/cache/**"');
  }
  const requestedPartSize = flags.partSize === undefined ? undefined : parseByteSize(flags.partSize);
  if (flags.partSize !== undefined && (requestedPartSize === undefined || requestedPartSize < MIN_PART_SIZE || requestedPartSize > 4 * 1024 ** 3)) {
    throw usageError('bad-part-size', `--part-size ${JSON.stringify(flags.partSize)} is not a size between 1M and 4G`, 'e.g. --part-size 4G (the largest a FAT32 drive holds), or 2G');
  }
  // "4G" means "as large as FAT32 allows": one byte less than 4 GiB, rounded down to 64 KiB.
  const forcedPartSize = requestedPartSize === undefined ? undefined : Math.min(requestedPartSize, FAT_PART_SIZE);
  const roots = await sourceRoots(sources);
  const excludes = [...(config?.excludes ?? []), ...(flags.exclude ?? [])];
  const catalog = await openCatalog(ctx);
  const choice = await chooseBackupTarget(ctx, config, catalog, flags);
  if (choice.nothingDue) {
    if (ctx.json) printJson(ctx, { ok: true, written: false, message: choice.nothingDue, plan: choice.plan });
    else ctx.stdout.write(choice.nothingDue + '\n');
    return EXIT.ok;
  }
  for (const n of choice.notes) ctx.stderr.write(`note: ${n}\n`);
  // write: an impostor (a drive that only claims a known name) is refused even for a dry run.
  const drive = await findDrive(ctx, choice.spec!, { acceptFingerprint: flags.acceptFingerprint, write: true, bind: !flags.dryRun });
  if (!flags.dryRun) refuseFingerprintMismatch(drive);
  const label = drive.identity.name;
  // Decided now, from the state before the write; carried out only after a verified write.
  const toPrune = flags.noPrune || flags.dryRun ? [] : prunePlanFor(choice, await openCatalog(ctx), ctx, label);

  // The mass-change gate compares with the last accepted backup of these sources (kept on the
  // host), or, before there is one, with the newest snapshot on this drive.
  const gatePolicy = config?.gate ?? DEFAULT_GATE;
  const baseline = baselinePath(ctx.stateDir, roots.map((r) => r.path));
  const newest = await sameSourcesSnapshot((await readDriveContents(drive.airgapDir)).snapshots.filter((s) => s.complete), roots.map((r) => r.path));
  let gateResult: GateResult | undefined;

  // FAT drives hold at most 4 GiB per file: the tarball goes in parts there.
  const fs = await probeFilesystem(drive.airgapDir, drive.fingerprint?.fsType, ctx.platform);
  if (fs.fusefat && !flags.dryRun) throw unsafeFilesystem(label);
  const partSize = forcedPartSize ?? (fs.fatLimit ? FAT_PART_SIZE : undefined);
  // Ctrl+C or SIGTERM from here on stops the write at its next safe point; the finally below
  // removes the unfinished snapshot and releases the lock (cli/interrupt.ts). Opened before the
  // lock is taken: a signal in between only aborts, it cannot end the process holding the lock.
  const cancel = cancelScope(() => ctx.stderr.write('\ncancelling: stopping at the next safe point and removing the unfinished snapshot…\n'));
  const lock = flags.dryRun ? undefined : await DriveLock.acquire(drive.airgapDir, label, 'backup').catch((e: unknown) => {
    cancel.close();
    throw e;
  });
  if (lock) failpoint('backup:locked');
  const baselineWriter = flags.dryRun ? undefined : await BaselineWriter.create(baseline).catch(() => undefined);
  const progress = await startProgress(ctx.progress, `Scanning sources for drive ${label}…`);
  try {
    if (lock) await removeLeftovers(drive.airgapDir, (line) => ctx.stderr.write(`${line}\n`));
    // The drive's own instructions follow the tool: a drive labelled by an older airgap gets the
    // current README (a failure to write it is only a warning: the snapshot matters more).
    if (lock) {
      await refreshDriveReadme(drive.airgapDir, drive.identity).then(
        (rewritten) => { if (rewritten) ctx.stderr.write(`note: updated ${DRIVE_DIR}/${DRIVE_README} on drive ${label} (the stock-tools instructions of this airgap version)\n`); },
        (e: Error) => ctx.stderr.write(`warning: could not update ${DRIVE_DIR}/${DRIVE_README} on drive ${label}: ${e.message}\n`),
      );
    }
    const started = Date.now();
    const result = await writeSnapshot({
      airgapDir: drive.airgapDir,
      drive: { id: drive.identity.id, name: label },
      roots, excludes, clock: ctx.clock, toolVersion: ctx.version,
      dryRun: flags.dryRun, strict: flags.strict, signal: cancel.signal,
      stallMs: ctx.stallMs,
      beforeCommit: lock ? () => lock.assertHeld() : undefined,
      partSize,
      inspect: async (scan) => {
        progress.update(() => 'Comparing with the last backup…');
        gateResult = await inspectChanges(scan.entries, baseline, newest, gatePolicy, { now: ctx.clock(), warn: (m) => ctx.stderr.write(`warning: ${m}\n`) });
        if (!gateResult) return undefined;
        const r = gateResult.report;
        return {
          suspect: gateResult.verdict.trip, accepted: gateResult.verdict.trip && !!flags.acceptChanges, reasons: gateResult.verdict.reasons,
          comparedWith: gateResult.comparedWith,
          counts: { oldFiles: r.oldFiles, newFiles: r.newFiles, added: r.added, deleted: r.deleted, modified: r.modified, renamed: r.renamed, encrypted: r.encrypted },
        };
      },
      onStored: baselineWriter ? (e, h) => baselineWriter.add(e, h) : undefined,
      onScanned: (s) => progress.update(() => `Found ${s.files} files (${bytes(s.bytes)}); writing to drive ${label}…`),
      onProgress: (p) => progress.update(() => backupProgressText(p, (Date.now() - started) / 1000)),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    if (result.dryRun) {
      if (ctx.json) printJson(ctx, { ok: true, dryRun: true, snapshot: result.id, drive: label, counts: result.counts, estimatedBytes: result.estimate, ...(partSize ? { partSize } : {}), problems: result.problems, gate: result.gate, changes: gateResult?.report });
      else {
        if (gateResult) ctx.stdout.write(renderChanges(gateResult.report, `Changes since ${gateResult.comparedWith}:`, gateResult.verdict));
        const c = result.counts;
        ctx.stdout.write(`Dry run: snapshot ${result.id} on drive ${label} would hold ${c.files} files, ${c.dirs} folders, ${c.symlinks} symlinks, ${c.hardlinks} hard links · ${bytes(c.contentBytes)} (about ${bytes(result.estimate)} on the drive). Nothing was written.\n`);
        if (partSize) ctx.stdout.write(`The tarball would be written in parts of at most ${bytes(partSize)} (the drive's filesystem limits the size of one file).\n`);
        ctx.stdout.write(renderProblems(result.problems));
      }
      return EXIT.ok;
    }
    // Check the new snapshot as verify would before trusting it. Its tarball was already read
    // back and compared before the snapshot was committed (writeSnapshot); the rest is read here.
    const check = await verifySnapshot({ id: result.id, dir: result.dir, complete: true }, { deep: false, skipTarballRead: true });
    const catalog = await openCatalog(ctx);
    catalog.seen(drive.identity, drive.root, ctx.clock(), drive.fingerprint);
    await refreshFromDrive(ctx, catalog, drive);
    catalog.recordWrite(drive.identity.id, ctx.clock());
    catalog.recordVerify(drive.identity.id, [{ id: result.id, ok: check.status === 'ok' }], false, ctx.clock());
    let pruned: string[] = [];
    const suspect = result.meta.gate?.suspect && !result.meta.gate.accepted;
    if (check.status !== 'ok' || suspect) await baselineWriter?.discard();
    else await baselineWriter?.commit();
    const accepted = flags.acceptChanges ? catalog.acceptAllSuspects() : [];
    if (check.status !== 'ok') {
      await catalog.save().catch(() => {});
      throw damage('written-snapshot-damaged', `snapshot ${result.id} failed verification right after it was written: ${check.findings[0]?.message ?? 'damaged'}`,
        `the drive may be failing: run airgap verify ${label} --deep, and use another drive; nothing was pruned`);
    }
    if (suspect) {
      await catalog.save().catch(() => {});
      const r = gateResult!.report;
      if (!ctx.json) {
        ctx.stdout.write(renderBackupSummary(result.meta, result.dir, seconds));
        ctx.stdout.write(renderChanges(r, `Changes since ${gateResult!.comparedWith}:`, gateResult!.verdict));
      }
      throw new AirgapError('mass-change', `the sources changed like ransomware or a broken sync would change them (${gateResult!.verdict.reasons[0]}): snapshot ${result.id} was written and marked SUSPECT, and nothing was pruned on any drive`, EXIT.refused,
        'check the files now (open a few of them); if the changes are yours, accept them with: airgap backup --accept-changes; if not, disconnect the drive and restore from an older snapshot',
        { snapshot: result.id, dir: result.dir, gate: result.meta.gate, changes: r });
    }
    const gate = pruneGate(catalog.unacceptedSuspects());
    if (toPrune.length && !gate.open) {
      ctx.stderr.write(`note: ${gate.reason}; ${gate.hint}\n`);
    } else if (toPrune.length) {
      progress.update(() => `Pruning ${toPrune.length} old snapshot(s) on ${label}…`);
      failpoint('backup:before-prune');
      const ids = toPrune.map((p) => p.snapshot);
      const recorded = await recordPruneFirst(catalog, drive.identity.id, ids, ctx.clock()).then(() => true, (e: Error) => {
        ctx.stderr.write(`warning: ${e.message}\n`);
        return false;
      });
      if (recorded) {
        try {
          await pruneSnapshots(drive.airgapDir, ids, {
            beforeEach: () => lock!.assertHeld(),
            onPruned: (id) => pruned.push(id),
            onSkipped: (_id, leftover) => ctx.stderr.write(`warning: not pruned: ${twinMessage(leftover)}\n`),
          });
        } finally {
          // What was recorded but is still on the drive (skipped, or the prune failed first) is withdrawn.
          await withdrawUnpruned(catalog, drive.identity.id, drive.airgapDir, ids);
        }
      }
      await refreshFromDrive(ctx, catalog, drive);
    }
    await catalog.save().catch((e: Error) => ctx.stderr.write(`warning: could not update the catalog: ${e.message}\n`));
    if (ctx.json) printJson(ctx, { ok: true, snapshot: result.id, dir: result.dir, drive: label, seconds, verified: true, pruned, accepted, meta: result.meta, problems: result.problems, changes: gateResult?.report });
    else {
      ctx.stdout.write(renderBackupSummary(result.meta, result.dir, seconds));
      ctx.stdout.write(`  verified: read back and checked against SHA256SUMS\n`);
      if (pruned.length) ctx.stdout.write(`  pruned (retention): ${pruned.join(', ')}\n`);
      if (gateResult) ctx.stdout.write(`  changes since ${gateResult.comparedWith}: ${gateResult.report.added} added, ${gateResult.report.modified} modified, ${gateResult.report.deleted} deleted, ${gateResult.report.renamed} renamed${result.meta.gate?.suspect ? ' (accepted with --accept-changes)' : ''}\n`);
      if (accepted.length) ctx.stdout.write(`  accepted the changes of ${accepted.map((a) => `${a.drive}/${a.id}`).join(', ')}: pruning is allowed again\n`);
      ctx.stdout.write(renderProblems(result.problems));
    }
    return EXIT.ok;
  } catch (e) {
    // An I/O error on the drive itself (unplugged between listing and writing, full, read-only)
    // is a refusal with a message, not a bug.
    const errno = e as NodeJS.ErrnoException;
    if (!(e instanceof AirgapError) && errno.code && errno.path?.startsWith(drive.root)) throw driveWriteError(errno, label) ?? e;
    throw e;
  } finally {
    await baselineWriter?.discard(); // a no-op once committed
    progress.stop();
    await lock?.release();
    cancel.close(); // after the release: a signal now can no longer strand the lock
  }
}

/** Unfinished snapshots of interrupted runs: reported, then removed (we hold the lock). */
