// `airgap health <drive>`: the health job, in words or as JSON, recorded in the run history; exit 3
// when the drive may be or is failing (the same code as damage found by verify: the drive is the
// problem), 0 when it is not.
import { EXIT } from '../../core/errors.js';
import { health, type HealthOptions, type HealthResult } from '../../jobs/health.js';
import { recordRun, type RunSummary } from '../run-record.js';
import { renderHealth } from '../../ui/render-health.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function healthCommand(ctx: Context, spec: string, flags: HealthOptions): Promise<number> {
  const s = sessionOf(ctx);
  // In the run history too (airgap log): when the drive was last read, and what it said.
  const result = await recordRun(ctx, s, 'health', spec, () => health(s, spec, flags), healthSummary);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderHealth(result));
  return healthExit(result);
}

const healthExit = (r: HealthResult) => (r.judgement.verdict === 'ok' ? EXIT.ok : EXIT.damaged);

/** The run history's record: the verdict, and what made it one when the drive may be failing. */
function healthSummary(r: HealthResult): RunSummary {
  const ok = r.judgement.verdict === 'ok';
  return {
    outcome: ok ? 'ok' : 'damaged', exitCode: healthExit(r), drive: r.drive.name,
    ...(ok ? {} : { error: { code: r.judgement.verdict === 'failing' ? 'drive-failing' : 'drive-may-be-failing', message: r.judgement.problems.join('; ') } }),
  };
}
