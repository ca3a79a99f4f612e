import { resolve } from 'node:path';
import { EXIT, usageError } from '../../core/errors.js';
import { MANIFEST_FILE } from '../../layout/format.js';
import { readDriveContents, type SnapshotFolder } from '../../layout/drive-contents.js';
import { findInSnapshots, matcher } from '../../restore/find.js';
import { restoreSnapshot } from '../../restore/restore.js';
import { failpoint } from '../../io/failpoint.js';
import { cancelScope } from '../interrupt.js';
import { startProgress } from '../../ui/progress.js';
import { bytes, displayText } from '../../ui/render.js';
import { renderRestore } from '../../ui/render-restore.js';
import type { Context } from '../context.js';
import { openCatalog } from '../catalog-access.js';
import { findDrive } from '../find-drive.js';
import { printJson, quoteShort } from '../output.js';

export interface RestoreFlags {
  snapshot?: string;
  to?: string;
  overwrite?: boolean;
  salvage?: boolean;
  dryRun?: boolean;
  keepSpecialBits?: boolean;
  owners?: boolean;
}

async function chooseSnapshot(airgapDir: string, driveName: string, wanted: string | undefined): Promise<SnapshotFolder> {
  const { snapshots } = await readDriveContents(airgapDir);
  if (!wanted || wanted === 'latest') {
    const latest = snapshots.filter((s) => s.complete).at(-1);
    if (!latest) throw usageError('no-snapshots', `drive ${driveName} holds no complete snapshot`, 'back up to it first, or restore from another drive');
    return latest;
  }
  const s = snapshots.find((x) => x.id === wanted);
  if (!s) throw usageError('unknown-snapshot', `drive ${driveName} has no snapshot ${wanted}`, `see airgap list ${driveName}`);
  return s;
}

export async function restoreCommand(ctx: Context, spec: string, paths: string[], flags: RestoreFlags): Promise<number> {
  if (!flags.to) throw usageError('no-target', 'where to? --to <dir> is required', 'e.g. --to ~/restored (an empty or new folder)');
  if (flags.owners && process.getuid?.() !== 0) throw usageError('owners-need-root', '--owners restores file owners, which only root can do', 'run as root, or leave --owners out (files will belong to you)');
  const drive = await findDrive(ctx, spec);
  const snapshot = await chooseSnapshot(drive.airgapDir, drive.identity.name, flags.snapshot);
  const target = resolve(flags.to);
  const progress = await startProgress(ctx.progress, `Verifying ${snapshot.id} on ${drive.identity.name}…`);
  let n = 0;
  let b = 0;
  // Ctrl+C stops the extraction after the current file; restoreSnapshot then removes its staging
  // folder (and the target folder if it created it): nothing half-restored is left. A dry run
  // writes nothing, so Ctrl+C simply ends it (cli/interrupt.ts).
  const cancel = flags.dryRun ? undefined : cancelScope(() => ctx.stderr.write('\ncancelling: stopping after the current file and removing what was extracted…\n'));
  const result = await restoreSnapshot({
    snapshot, target, paths, overwrite: flags.overwrite ?? false, salvage: flags.salvage ?? false, dryRun: flags.dryRun ?? false,
    keepSpecialBits: flags.keepSpecialBits ?? false, owners: flags.owners ?? false, driveName: drive.identity.name, signal: cancel?.signal,
    onFile: (_p, size) => {
      failpoint('restore:file');
      n++;
      b += size;
      progress.update(() => `Restoring ${snapshot.id}: ${n} files, ${bytes(b)}`);
    },
  }).finally(() => {
    progress.stop();
    cancel?.close();
  });
  const r = result.report;
  // Every file asked for is accounted for: anything damaged, refused, left as it was in the
  // target or missing from the archive makes the run exit 3, as does a dry run that would leave
  // something in the target as it is.
  const bad = r ? r.damaged.length + r.refused.length + r.kept.length + r.missing.length + (r.brokenAt ? 1 : 0) : (result.planned?.blocked.length ?? 0);
  if (r && bad === 0) {
    const catalog = await openCatalog(ctx);
    catalog.recordRestoreDrill(drive.identity.id, ctx.clock());
    await catalog.save().catch(() => {});
  }
  if (ctx.json) printJson(ctx, { ok: bad === 0, drive: drive.identity.name, ...result, report: r });
  else ctx.stdout.write(renderRestore(result, drive.identity.name));
  return bad > 0 || (result.verified === 'damaged' && !flags.dryRun) ? EXIT.damaged : EXIT.ok;
}

export async function findCommand(ctx: Context, spec: string, pattern: string, flags: { allSnapshots?: boolean }): Promise<number> {
  try {
    matcher(pattern);
  } catch (e) {
    // picomatch throws on patterns it cannot compile (too long, ...): a usage error, not a crash.
    throw usageError('bad-pattern', `the pattern ${quoteShort(pattern)} is not a valid glob pattern: ${(e as Error).message}`, 'e.g. airgap find A "*.pdf" or "Documents/**/report*"');
  }
  const drive = await findDrive(ctx, spec);
  const { snapshots } = await readDriveContents(drive.airgapDir);
  const complete = snapshots.filter((s) => s.complete);
  const chosen = flags.allSnapshots ? [...complete].reverse() : complete.slice(-1);
  const { found, truncated, unreadable } = await findInSnapshots(chosen, pattern);
  if (ctx.json) printJson(ctx, { drive: drive.identity.name, pattern, found, truncated, unreadable: unreadable.map((u) => u.snapshot), problems: unreadable });
  else {
    if (found.length === 0) ctx.stdout.write(`No match for ${JSON.stringify(pattern)} in ${flags.allSnapshots ? `${chosen.length} snapshot(s)` : `the latest snapshot${chosen[0] ? ` (${chosen[0].id})` : ''}`} of drive ${drive.identity.name}.${flags.allSnapshots ? '' : ' Try --all-snapshots.'}\n`);
    for (const f of found) {
      ctx.stdout.write(`${f.snapshot}  ${new Date(f.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ')}  ${bytes(f.size).padStart(9)}  ${f.sha256?.slice(0, 12) ?? (f.type === 'symlink' ? 'symlink     ' : '')}  ${displayText(f.path)}\n`);
    }
    if (found.length) ctx.stdout.write(`Restore one with: airgap restore ${drive.identity.name} --snapshot <id> --to <dir> '<path>'\n`);
    if (truncated) ctx.stdout.write('(only the first 1000 matches are shown)\n');
  }
  // A manifest that cannot be read means "No match" cannot be trusted: damage (exit 3), after what was found.
  if (unreadable.length === 0) return EXIT.ok;
  for (const u of unreadable) ctx.stderr.write(`error: ${MANIFEST_FILE} of snapshot ${u.snapshot} on drive ${drive.identity.name} is damaged or unreadable: ${displayText(u.message)}\n`);
  ctx.stderr.write(`hint: run airgap verify ${drive.identity.name} --deep; look for the file on another drive (airgap find <drive> ${quoteShort(pattern)} --all-snapshots)\n`);
  return EXIT.damaged;
}
