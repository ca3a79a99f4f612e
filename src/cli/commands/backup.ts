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
import { recordRun, type RunSummary } from '../run-record.js';
import { nextStep, nextStepSentence } from '../../jobs/next-step.js';
import { sessionOf } from '../session-of.js';

export interface BackupFlags extends Omit<BackupOptions, 'noPrune'> {
  /** commander's --no-prune sets prune=false. */
  prune?: boolean;
}

export async function backupCommand(ctx: Context, flags: BackupFlags): Promise<number> {
  const { prune, ...rest } = flags;
  const s = sessionOf(ctx);
  const result = await backupWithProgress(ctx, s, { ...rest, noPrune: prune === false });
  if (result.outcome === 'suspect') {
    if (!ctx.json) ctx.stdout.write(renderBackup(result));
    throw suspectError(result);
  }
  // After a snapshot is written: what to do with the drive now, as the wizard says it.
  const next = result.outcome === 'written' ? await nextStep(s, result.drive).catch(() => undefined) : undefined;
  if (ctx.json) printJson(ctx, next ? { ...result, next } : result);
  else ctx.stdout.write(renderBackup(result) + (next ? `Next: eject ${next.drive} (airgap eject ${next.drive}), then: ${nextStepSentence(next)}\n` : ''));
  return EXIT.ok;
}

/** The backup job with its progress line and Ctrl+C handling (the command and the wizard). */
export async function backupWithProgress(ctx: Context, s: Session, opts: BackupOptions): Promise<BackupResult> {
  const progress = lazyProgress(ctx.progress);
  // Ctrl+C or SIGTERM from here on stops the write at its next safe point; the job then removes
  // the unfinished snapshot and releases the lock (cli/interrupt.ts). Opened before the job takes
  // the lock and closed after it released it: a signal cannot end the process holding the lock.
  const cancel = cancelScope(() => ctx.stderr.write('\ncancelling: stopping at the next safe point and removing the unfinished snapshot…\n'));
  return recordRun(ctx, s, 'backup', opts.drive, () => backup(s, opts, { signal: cancel.signal, onEvent: (e) => progress.update(() => backupEventText(e)) }).finally(() => {
    progress.stop();
    cancel.close();
  }), backupSummary);
}

/** The run history's record of a backup: a suspect snapshot ends the run as a refusal (exit 4). */
export function backupSummary(r: BackupResult): RunSummary {
  switch (r.outcome) {
    case 'nothing-due': return { outcome: 'nothing-due', exitCode: EXIT.ok };
    case 'dry-run': return { outcome: 'dry-run', exitCode: EXIT.ok, drive: r.drive, snapshot: r.snapshot, figures: { files: r.counts.files, bytes: r.estimatedBytes } };
    case 'written': return { outcome: 'ok', exitCode: EXIT.ok, drive: r.drive, snapshot: r.snapshot, figures: { files: r.meta.counts.files, bytes: r.meta.bytes.content, pruned: r.pruned.length } };
    case 'suspect': return { outcome: 'suspect', exitCode: EXIT.refused, drive: r.drive, snapshot: r.snapshot, figures: { files: r.meta.counts.files, bytes: r.meta.bytes.content } };
  }
}
