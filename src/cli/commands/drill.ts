// `airgap drill [<drive>]`: a restore drill (jobs/drill.ts) with a progress line and Ctrl+C
// (the temporary folder is removed either way), recorded in the run history; exit 0 when every
// file of the sample came back, 3 (verify's code for damage) when any did not.
import { randomInt } from 'node:crypto';
import { EXIT } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { drill, type DrillOptions, type DrillResult } from '../../jobs/drill.js';
import type { Session } from '../../jobs/session.js';
import { renderDrill } from '../../ui/render-drill.js';
import { lazyProgress } from '../../ui/progress.js';
import { bytes } from '../../ui/render.js';
import type { Context } from '../context.js';
import { cancelScope } from '../interrupt.js';
import { printJson } from '../output.js';
import { recordRun, type RunSummary } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export interface DrillFlags {
  files?: string;
  percent?: string;
  seed?: string;
}

export async function drillCommand(ctx: Context, spec: string | undefined, flags: DrillFlags): Promise<number> {
  const result = await drillWithProgress(ctx, sessionOf(ctx), spec, flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderDrill(result, spec));
  return drillExit(result);
}

export const drillExit = (r: DrillResult): number => (r.ok ? EXIT.ok : EXIT.damaged);

/** The drill job with its progress line and Ctrl+C handling (the command and the wizard). */
export async function drillWithProgress(ctx: Context, s: Session, spec: string | undefined, flags: DrillFlags): Promise<DrillResult> {
  // No --seed: one drawn here and printed with the result, so any drill can be repeated exactly.
  const opts: DrillOptions = { ...flags, seed: flags.seed ?? randomInt(2 ** 32 - 1) };
  const progress = lazyProgress(ctx.progress);
  // Ctrl+C stops the restore after the current file (or the check between two files); the job
  // then removes its temporary folder and the run ends with 130.
  const cancel = cancelScope(() => ctx.stderr.write('\ncancelling: stopping after the current file and removing the temporary folder…\n'));
  const run = {
    signal: cancel.signal,
    onStart: (drive: string, id: string, files: number, b: number) => progress.update(() => `Drilling ${drive}, ${id}: restoring ${plural(files, 'file')} (${bytes(b)})…`),
    onFile: (n: number, b: number) => progress.update(() => `Drilling: ${plural(n, 'file')} restored, ${bytes(b)}`),
  };
  return recordRun(ctx, s, 'drill', spec, () => drill(s, spec, opts, run).finally(() => {
    progress.stop();
    cancel.close();
  }), drillSummary);
}

/** The run history's record: the sample's files and bytes, how many failed, and the first failures by name. */
function drillSummary(r: DrillResult): RunSummary {
  const named = r.failures.slice(0, 5).map((f) => `${JSON.stringify(f.path)}: ${f.reason}`);
  const more = r.failures.length > 5 ? `; and ${r.failures.length - 5} more` : '';
  const message = [r.problem, named.join('; ') + more].filter(Boolean).join('; ');
  return {
    outcome: r.ok ? 'ok' : 'damaged', exitCode: drillExit(r), drive: r.drive, snapshot: r.snapshot,
    figures: { files: r.sample.files, bytes: r.sample.bytes, damaged: r.failures.length },
    ...(r.ok ? {} : { error: { code: 'drill-failed', message } }),
  };
}
