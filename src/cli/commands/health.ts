// `airgap health <drive>`: the health job, in words or as JSON; exit 3 when the drive may be or
// is failing (the same code as damage found by verify: the drive is the problem), 0 when it is not.
import { EXIT } from '../../core/errors.js';
import { health, type HealthOptions } from '../../jobs/health.js';
import { renderHealth } from '../../ui/render-health.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function healthCommand(ctx: Context, spec: string, flags: HealthOptions): Promise<number> {
  const result = await health(sessionOf(ctx), spec, flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderHealth(result));
  return result.judgement.verdict === 'ok' ? EXIT.ok : EXIT.damaged;
}
