// --json output: the result object of a job, as it is. Inside the wizard's event stream (jsonLines)
// one object per line.
import type { Context } from './context.js';

export function printJson(ctx: Context, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, ctx.jsonLines ? undefined : 2) + '\n');
}
