// `airgap status`: the status job, rendered or as JSON.
import { EXIT } from '../../core/errors.js';
import { status } from '../../jobs/status.js';
import { renderStatus } from '../../ui/render-plan.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function statusCommand(ctx: Context): Promise<number> {
  const result = await status(sessionOf(ctx));
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderStatus(result));
  return EXIT.ok;
}
