// `airgap verify <drive>`: the verify job, with a progress line; exit 3 when anything is damaged.
import { EXIT } from '../../core/errors.js';
import { verify, type VerifyOptions, type VerifyResult } from '../../jobs/verify.js';
import type { Session } from '../../jobs/session.js';
import { renderVerifyReport } from '../../ui/render-verify.js';
import { lazyProgress } from '../../ui/progress.js';
import { bytes } from '../../ui/render.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function verifyCommand(ctx: Context, spec: string, flags: VerifyOptions): Promise<number> {
  const report = await verifyWithProgress(ctx, sessionOf(ctx), spec, flags);
  if (ctx.json) printJson(ctx, report);
  else ctx.stdout.write(renderVerifyReport(report, report.seconds));
  return verifyExit(report);
}

const verifyExit = (r: VerifyResult): number => (r.ok ? EXIT.ok : EXIT.damaged);

/** The verify job with its progress line (the command and the wizard). */
export async function verifyWithProgress(ctx: Context, s: Session, spec: string, opts: VerifyOptions): Promise<VerifyResult> {
  const progress = lazyProgress(ctx.progress);
  let current = '';
  return recordRun(ctx, s, 'verify', spec, () => verify(s, spec, opts, (e) => {
    if (e.type === 'snapshot') current = `${e.id} (${e.index + 1}/${e.total})`;
    else progress.update(() => `Verifying ${current}${opts.deep ? ' deep' : opts.sample ? ' sampled' : ''} · ${bytes(e.read)} read · ${bytes(e.seconds > 0 ? e.read / e.seconds : 0)}/s`);
  }).finally(() => progress.stop()), (r) => ({
    outcome: r.ok ? 'ok' : 'damaged', exitCode: verifyExit(r), drive: r.drive.name, ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
    figures: { snapshots: r.snapshots.length, damaged: r.snapshots.filter((x) => x.status !== 'ok').length, bytes: r.snapshots.reduce((n, x) => n + x.bytesRead, 0) },
  }));
}
