// `airgap log [--limit N]`: the run history of this host, rendered, or with --json its records
// as an array (newest first).
import { EXIT } from '../../core/errors.js';
import { runLog, type LogOptions } from '../../jobs/log.js';
import { renderLog } from '../../ui/render-log.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function logCommand(ctx: Context, flags: LogOptions): Promise<number> {
  const result = await runLog(sessionOf(ctx), flags);
  if (ctx.json) printJson(ctx, result.runs);
  else ctx.stdout.write(renderLog(result));
  return EXIT.ok;
}
