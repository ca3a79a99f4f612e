// What commands print besides their renderers: --json output, and user input quoted in a message.
import type { Context } from './context.js';

export function printJson(ctx: Context, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, ctx.jsonLines ? undefined : 2) + '\n');
}

/** A value the user gave, quoted for a message: cut at 40 characters, with its length when cut. */
export function quoteShort(v: string): string {
  return v.length > 40 ? `${JSON.stringify(`${v.slice(0, 40)}…`)} (${v.length} characters)` : JSON.stringify(v);
}

