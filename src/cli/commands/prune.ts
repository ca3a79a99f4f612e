// `airgap prune <drive> [--dry-run]`: the prune job, rendered or as JSON.
import { EXIT } from '../../core/errors.js';
import { prune } from '../../jobs/prune.js';
import { renderPrune } from '../../ui/render-prune.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function pruneCommand(ctx: Context, spec: string, flags: { dryRun?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const result = await recordRun(ctx, s, 'prune', spec, () => prune(s, spec, flags), (r) => ({
    outcome: r.dryRun ? 'dry-run' : 'ok', exitCode: EXIT.ok, drive: r.drive,
    // A dry run: what would be pruned.
    figures: { pruned: r.dryRun ? r.prune.length : r.pruned.length, bytes: r.bytes },
  }));
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderPrune(result));
  return EXIT.ok;
}
