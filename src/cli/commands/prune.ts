// `airgap prune <drive> [--dry-run]`: the prune job, rendered or as JSON.
import { EXIT } from '../../core/errors.js';
import { prune } from '../../jobs/prune.js';
import { renderPrune } from '../../ui/render-prune.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function pruneCommand(ctx: Context, spec: string, flags: { dryRun?: boolean }): Promise<number> {
  const result = await prune(sessionOf(ctx), spec, flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderPrune(result));
  return EXIT.ok;
}
