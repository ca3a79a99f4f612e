// `airgap restore` and `airgap find`: their jobs, rendered or as JSON. Restore exits 3 when any
// file asked for did not come back; find exits 3 when a manifest could not be read.
import { EXIT, usageError } from '../../core/errors.js';
import { find } from '../../jobs/find.js';
import { restore, type RestoreJobResult, type RestoreOptions } from '../../jobs/restore.js';
import { restoreFromAny } from '../../jobs/restore-any.js';
import type { Session } from '../../jobs/session.js';
import { cancelScope } from '../interrupt.js';
import { lazyProgress } from '../../ui/progress.js';
import { bytes } from '../../ui/render.js';
import { renderFind, renderFindProblems } from '../../ui/render-find.js';
import { renderRestore } from '../../ui/render-restore.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { recordRun, type RunSummary } from '../run-record.js';
import { sessionOf } from '../session-of.js';
import { plural } from '../../core/plural.js';

export async function restoreCommand(ctx: Context, spec: string | undefined, paths: string[], flags: RestoreOptions): Promise<number> {
  if (!flags.fromAny && spec === undefined) {
    throw usageError('no-drive', 'which drive? name the drive to restore from, or pass --from-any', 'e.g. airgap restore A --to ~/restored, or airgap restore --from-any --to ~/restored');
  }
  // --from-any names no drive: every argument is a path in the snapshot.
  const result = await restoreWithProgress(ctx, sessionOf(ctx), flags.fromAny ? undefined : spec, flags.fromAny && spec !== undefined ? [spec, ...paths] : paths, flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderRestore(result, result.drive));
  return restoreExit(result, flags);
}

/** Exit 3 when any file asked for did not come back, or the snapshot is damaged (a dry run only reports). */
export function restoreExit(r: RestoreJobResult, opts: RestoreOptions): number {
  return !r.ok || (r.verified === 'damaged' && !opts.dryRun) ? EXIT.damaged : EXIT.ok;
}

/** The restore job with its progress line and Ctrl+C handling (the command and the wizard). */
export async function restoreWithProgress(ctx: Context, s: Session, spec: string | undefined, paths: string[], opts: RestoreOptions): Promise<RestoreJobResult> {
  const progress = lazyProgress(ctx.progress);
  // Ctrl+C stops the extraction after the current file; the restore then removes its staging
  // folder (and the target folder if it created it): nothing half-restored is left. A dry run
  // writes nothing, so Ctrl+C simply ends it (cli/interrupt.ts).
  const cancel = opts.dryRun ? undefined : cancelScope(() => ctx.stderr.write('\ncancelling: stopping after the current file and removing what was extracted…\n'));
  const run = {
    signal: cancel?.signal,
    onStart: (id: string, drive: string) => progress.update(() => `Verifying ${id} on ${drive}…`),
    onFile: (n: number, b: number, id: string) => progress.update(() => `Restoring ${id}: ${plural(n, 'file')}, ${bytes(b)}`),
  };
  return recordRun(ctx, s, 'restore', spec, () => (spec === undefined ? restoreFromAny(s, paths, opts, run) : restore(s, spec, paths, opts, run)).finally(() => {
    progress.stop();
    cancel?.close();
  }), (r) => restoreSummary(r, opts));
}

/** The run history's record of a restore: files and bytes restored (a dry run: would be), and what did not come back. */
function restoreSummary(r: RestoreJobResult, opts: RestoreOptions): RunSummary {
  const exitCode = restoreExit(r, opts);
  const figures = r.report
    ? { files: r.report.files, bytes: r.report.bytes, damaged: r.report.damaged.length + r.report.missing.length }
    : r.planned ? { files: r.planned.files, bytes: r.planned.bytes } : {};
  return { outcome: opts.dryRun ? 'dry-run' : exitCode === EXIT.ok ? 'ok' : 'damaged', exitCode, drive: r.drive, snapshot: r.snapshot, figures };
}

export async function findCommand(ctx: Context, spec: string, pattern: string, flags: { allSnapshots?: boolean }): Promise<number> {
  const result = await find(sessionOf(ctx), spec, pattern, flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderFind(result));
  // A manifest that cannot be read means "No match" cannot be trusted: damage (exit 3), after what was found.
  ctx.stderr.write(renderFindProblems(result));
  return result.problems.length ? EXIT.damaged : EXIT.ok;
}
