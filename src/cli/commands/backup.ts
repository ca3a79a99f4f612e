// `airgap backup`: flags → the backup job → its result, rendered or as JSON. A suspect snapshot
// (the mass-change gate tripped) is shown, then ends the run as a refusal (exit 4).
import { EXIT } from '../../core/errors.js';
import { backup, suspectError, type BackupOptions, type BackupResult } from '../../jobs/backup.js';
import type { Session } from '../../jobs/session.js';
import { backupEventText, renderBackup } from '../../ui/render-backup.js';
import { lazyProgress } from '../../ui/progress.js';
import { cancelScope } from '../interrupt.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export interface BackupFlags extends Omit<BackupOptions, 'noPrune'> {
  /** commander's --no-prune sets prune=false. */
  prune?: boolean;
}

export async function backupCommand(ctx: Context, flags: BackupFlags): Promise<number> {
  const { prune, ...rest } = flags;
  const result = await backupWithProgress(ctx, sessionOf(ctx), { ...rest, noPrune: prune === false });
  if (result.outcome === 'suspect') {
    if (!ctx.json) ctx.stdout.write(renderBackup(result));
    throw suspectError(result);
  }
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderBackup(result));
  return EXIT.ok;
}

/** The backup job with its progress line and Ctrl+C handling (the command and the wizard). */
export async function backupWithProgress(ctx: Context, s: Session, opts: BackupOptions): Promise<BackupResult> {
  const progress = lazyProgress(ctx.progress);
  // Ctrl+C or SIGTERM from here on stops the write at its next safe point; the job then removes
  // the unfinished snapshot and releases the lock (cli/interrupt.ts). Opened before the job takes
  // the lock and closed after it released it: a signal cannot end the process holding the lock.
  const cancel = cancelScope(() => ctx.stderr.write('\ncancelling: stopping at the next safe point and removing the unfinished snapshot…\n'));
  return backup(s, opts, { signal: cancel.signal, onEvent: (e) => progress.update(() => backupEventText(e)) }).finally(() => {
    progress.stop();
    cancel.close();
  });
}
