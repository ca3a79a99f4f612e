// The backup job: which drive, then today's snapshot onto it, checked, recorded, and pruned by
// the retention rules once it is safe. Returns what happened as one result object (the cli
// renders it, or prints it as it is with --json); refusals and damage are thrown.
import { ensureDriveKey } from '../layout/drive-key.js';
import { failpoint } from '../io/failpoint.js';
import { AirgapError, damage, EXIT, isAirgapError } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import { DRIVE_DIR, DRIVE_README, VERIFY_PAGE, type SnapshotMeta, type SourceProblem } from '../layout/format.js';
import type { Plan } from '../core/planner.js';
import { DriveLock } from '../layout/drive-lock.js';
import { refreshVerifyPage } from '../layout/verify-page.js';
import { refreshDriveReadme } from '../drives/label.js';
import { verifySnapshot } from '../verify/verify-snapshot.js';
import { pruneGate } from '../core/prune-gate.js';
import type { ChangeReport } from '../core/change-analysis.js';
import { BaselineWriter, readBaseline } from '../state/baseline.js';
import type { GateResult } from '../gate/inspect.js';
import { writeSnapshot, type DryRunChain, type WriteSnapshotInput } from '../snapshot/write-snapshot.js';
import type { Counts } from '../snapshot/scan-totals.js';
import { removeLeftovers } from '../layout/leftovers.js';
import { refreshFromDrive } from './catalog-sync.js';
import { pruneOnDrive } from './prune-on-drive.js';
import { makeRoom } from './make-room.js';
import { prepareBackup, type BackupOptions, type PreparedBackup } from './backup-prepare.js';
import type { Session } from './session.js';
import type { AcceptedWithoutBackup } from './accept-without-backup.js';

export type { BackupOptions } from './backup-prepare.js';

/** What the backup reports on the way (the cli shows it as a progress line). */
export type BackupEvent =
  | { type: 'scanning'; drive: string }
  | { type: 'comparing' }
  | { type: 'scanned'; drive: string; files: number; bytes: number }
  | { type: 'writing'; progress: Parameters<NonNullable<WriteSnapshotInput['onProgress']>>[0]; seconds: number }
  | { type: 'pruning'; drive: string; count: number };

export interface BackupRun {
  /** Ctrl+C: the write stops at its next safe point and the unfinished snapshot is removed. */
  signal?: AbortSignal;
  onEvent?: (e: BackupEvent) => void;
}

/** Nothing is due today (and no --drive): nothing was written. */
export interface BackupNothingDue {
  outcome: 'nothing-due'; ok: true; written: false; message: string; plan?: Plan;
  /** --accept-changes: the suspects it accepted all the same. */
  acceptance?: AcceptedWithoutBackup;
}
export interface BackupDryRun {
  outcome: 'dry-run'; ok: true; dryRun: true; snapshot: string; drive: string; counts: Counts; estimatedBytes: number;
  partSize?: number; problems: SourceProblem[]; gate?: SnapshotMeta['gate']; changes?: ChangeReport;
  /** Format 2: full or incremental, and why. */
  chain?: DryRunChain;
}
export interface BackupWritten {
  outcome: 'written'; ok: true; snapshot: string; dir: string; drive: string; seconds: number; verified: true;
  /** Format 2: why this snapshot is a full or an increment. */
  chainReason?: string;
  pruned: string[]; accepted: { drive: string; id: string }[]; meta: SnapshotMeta; problems: SourceProblem[]; changes?: ChangeReport;
  /** Retention wanted to prune, but a suspect snapshot elsewhere is not accepted yet. */
  pruneBlocked?: string;
}
/** The mass-change gate tripped: the snapshot was written, marked SUSPECT, and nothing was pruned. */
export interface BackupSuspect {
  outcome: 'suspect'; ok: false; snapshot: string; dir: string; drive: string; seconds: number; meta: SnapshotMeta;
  problems: SourceProblem[]; changes: ChangeReport; gate: NonNullable<SnapshotMeta['gate']>;
}
export type BackupResult = BackupNothingDue | BackupDryRun | BackupWritten | BackupSuspect;

export async function backup(s: Session, opts: BackupOptions, run: BackupRun = {}): Promise<BackupResult> {
  const p = await prepareBackup(s, opts);
  if ('nothingDue' in p) return p.nothingDue;
  const { drive } = p;
  const label = drive.identity.name;
  const lock = opts.dryRun ? undefined : await DriveLock.acquire(drive.airgapDir, label, 'backup');
  if (lock) failpoint('backup:locked');
  const baselineWriter = opts.dryRun ? undefined : await BaselineWriter.create(p.baseline).catch(() => undefined);
  try {
    if (lock) await tidyDrive(s, drive);
    // An encrypted drive carries the key its passphrase opens before any snapshot needs it.
    if (lock && p.encryption?.wrappedKey) await ensureDriveKey(drive.airgapDir, p.encryption.wrappedKey, label);
    run.onEvent?.({ type: 'scanning', drive: label });
    const started = Date.now();
    let gateResult: GateResult | undefined;
    const written = await writeSnapshot({
      airgapDir: drive.airgapDir,
      drive: { id: drive.identity.id, name: label },
      roots: p.roots, excludes: p.excludes, clock: s.env.clock, toolVersion: s.env.version,
      dryRun: opts.dryRun, strict: opts.strict, signal: run.signal,
      stallMs: s.env.stallMs,
      beforeCommit: lock ? () => lock.assertHeld() : undefined,
      partSize: p.partSize,
      inspect: async (scan) => {
        run.onEvent?.({ type: 'comparing' });
        gateResult = await p.inspect(scan.entries);
        return gateResult && gateMeta(gateResult, opts.acceptChanges ?? false);
      },
      makeRoom: (need, free, flagged) => makeRoom(s, {
        policy: p.policy, name: p.rotationName ?? label, drive, lock, dryRun: opts.dryRun === true,
        acceptingSuspects: opts.acceptChanges === true, noPrune: opts.noPrune === true, flagged,
      }, need, free),
      onStored: baselineWriter ? (e, h, stamp) => baselineWriter.add(e, h, stamp) : undefined,
      format: p.format,
      ...(p.encryption ? { encryption: { recipients: p.encryption.recipients, ...(p.encryption.driveKey ? { driveKey: p.encryption.driveKey } : {}) } } : {}),
      chainOptions: {
        policy: p.chainPolicy, forceFull: opts.full, reread: opts.reread, rereadEvery: p.rereadEvery, damaged: p.damaged,
        host: () => readBaseline(p.baseline), racySeconds: s.env.racySeconds,
      },
      onScanned: (x) => run.onEvent?.({ type: 'scanned', drive: label, files: x.files, bytes: x.bytes }),
      onProgress: (x) => run.onEvent?.({ type: 'writing', progress: x, seconds: (Date.now() - started) / 1000 }),
    });
    const seconds = (Date.now() - started) / 1000;
    if (written.dryRun) {
      return {
        outcome: 'dry-run', ok: true, dryRun: true, snapshot: written.id, drive: label, counts: written.counts, estimatedBytes: written.estimate,
        ...(p.partSize ? { partSize: p.partSize } : {}), problems: written.problems, gate: written.gate, changes: gateResult?.report,
        ...(written.chain ? { chain: written.chain } : {}),
      };
    }
    return await afterWrite(s, opts, { p, lock: lock!, baselineWriter, seconds, written, changes: gateResult?.report }, run);
  } catch (e) {
    // An I/O error on the drive itself (unplugged between listing and writing, full, read-only)
    // is a refusal with a message, not a bug.
    const errno = e as NodeJS.ErrnoException;
    if (!(e instanceof AirgapError) && errno.code && errno.path?.startsWith(drive.root)) throw driveWriteError(errno, label) ?? e;
    throw e;
  } finally {
    await baselineWriter?.discard(); // a no-op once committed
    await lock?.release();
  }
}

/** Under the lock, before writing: unfinished runs removed, the drive's README brought up to date. */
async function tidyDrive(s: Session, drive: PreparedBackup['drive']): Promise<void> {
  const label = drive.identity.name;
  await removeLeftovers(drive.airgapDir, (line) => s.log.line(line));
  // The drive's own instructions follow the tool: a drive labelled by an older airgap gets the
  // current README (a failure to write it is only a warning: the snapshot matters more).
  await refreshDriveReadme(drive.airgapDir, drive.identity).then(
    (rewritten) => { if (rewritten) s.log.note(`updated ${DRIVE_DIR}/${DRIVE_README} on drive ${label} (the stock-tools instructions of this airgap version)`); },
    (e: Error) => s.log.warn(`could not update ${DRIVE_DIR}/${DRIVE_README} on drive ${label}: ${e.message}`),
  );
  // And the page that verifies the drive in a browser (rewritten when this airgap's differs).
  await refreshVerifyPage(drive.airgapDir).catch((e: Error) => s.log.warn(`could not update ${DRIVE_DIR}/${VERIFY_PAGE} on drive ${label}: ${e.message}`));
}

/** What snapshot.json records of the gate's look at this backup. */
function gateMeta(g: GateResult, acceptChanges: boolean): SnapshotMeta['gate'] {
  const r = g.report;
  return {
    suspect: g.verdict.trip, accepted: g.verdict.trip && acceptChanges, reasons: g.verdict.reasons,
    comparedWith: g.comparedWith,
    counts: { oldFiles: r.oldFiles, newFiles: r.newFiles, added: r.added, deleted: r.deleted, modified: r.modified, renamed: r.renamed, encrypted: r.encrypted },
  };
}

interface Written {
  p: PreparedBackup;
  lock: DriveLock;
  baselineWriter?: BaselineWriter;
  seconds: number;
  written: Extract<Awaited<ReturnType<typeof writeSnapshot>>, { dryRun: false }>;
  changes?: ChangeReport;
}

/** After the commit: check the snapshot, record it, and prune only when all of that is good. */
async function afterWrite(s: Session, opts: BackupOptions, w: Written, run: BackupRun): Promise<BackupResult> {
  const { p, written } = w;
  const { drive } = p;
  const label = drive.identity.name;
  // Check the new snapshot as verify would before trusting it. Its tarball was already read
  // back and compared before the snapshot was committed (writeSnapshot); the rest is read here.
  const check = await verifySnapshot({ id: written.id, dir: written.dir, complete: true }, { deep: false, skipTarballRead: true });
  const catalog = await s.catalog();
  catalog.seen(drive.identity, drive.root, s.now, drive.fingerprint);
  await refreshFromDrive(s, catalog, drive);
  catalog.recordWrite(drive.identity.id, s.now);
  catalog.recordVerify(drive.identity.id, [{ id: written.id, ok: check.status === 'ok' }], false, s.now);
  const suspect = written.meta.gate?.suspect && !written.meta.gate.accepted;
  if (check.status !== 'ok' || suspect) await w.baselineWriter?.discard();
  else await w.baselineWriter?.commit();
  const accepted = opts.acceptChanges ? catalog.acceptAllSuspects() : [];
  if (check.status !== 'ok') {
    await catalog.save().catch(() => {});
    throw damage('written-snapshot-damaged', `snapshot ${written.id} failed verification right after it was written: ${check.findings[0]?.message ?? 'damaged'}`,
      `the drive may be failing: run airgap verify ${label} --deep, and use another drive; nothing was pruned`);
  }
  const base = {
    snapshot: written.id, dir: written.dir, drive: label, seconds: w.seconds, meta: written.meta, problems: written.problems,
    ...(written.chainReason ? { chainReason: written.chainReason } : {}),
  };
  if (suspect) {
    await catalog.save().catch(() => {});
    return { outcome: 'suspect', ok: false, ...base, changes: w.changes!, gate: written.meta.gate! };
  }
  let pruned: string[] = [];
  const toPrune = p.prunePlan(catalog, written.id);
  const gate = pruneGate(catalog.unacceptedSuspects());
  const pruneBlocked = toPrune.length && !gate.open ? `${gate.reason}; ${gate.hint}` : undefined;
  if (pruneBlocked) s.log.note(pruneBlocked);
  else if (toPrune.length) {
    run.onEvent?.({ type: 'pruning', drive: label, count: toPrune.length });
    failpoint('backup:before-prune');
    pruned = await pruneOnDrive(s, catalog, drive, toPrune.map((x) => x.snapshot), w.lock).catch(async (e: unknown) => {
      // The prune could not be recorded first: nothing was pruned, and the backup itself stands.
      if (!isAirgapError(e) || e.code !== 'catalog-unwritable') throw e;
      s.log.warn(e.message);
      await refreshFromDrive(s, catalog, drive);
      return [];
    });
  }
  await catalog.save().catch((e: Error) => s.log.warn(`could not update the catalog: ${e.message}`));
  return { outcome: 'written', ok: true, ...base, verified: true, pruned, accepted, changes: w.changes, ...(pruneBlocked ? { pruneBlocked } : {}) };
}

/** The refusal a suspect backup ends with (exit 4): the snapshot is kept as evidence. */
export function suspectError(r: BackupSuspect): AirgapError {
  return new AirgapError('mass-change', `the sources changed like ransomware or a broken sync would change them (${r.gate.reasons[0]}): snapshot ${r.snapshot} was written and marked SUSPECT, and nothing was pruned on any drive`, EXIT.refused,
    `check the files now (open a few of them); if the changes are yours, accept them with: airgap accept ${r.drive} ${r.snapshot} (or airgap backup --accept-changes); if not, disconnect the drive, restore from an older snapshot (restore skips this one), then: airgap reject ${r.drive} ${r.snapshot}`,
    { snapshot: r.snapshot, dir: r.dir, gate: r.gate, changes: r.changes });
}
