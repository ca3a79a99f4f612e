// The jobs' view of a command's run: the context's environment, with the job's notes and warnings
// printed on stderr as `note:` and `warning:` lines (stdout keeps the result alone). They may
// quote what a drive holds: escaped for the terminal like every other message.
import { Session } from '../jobs/session.js';
import { displayText } from '../ui/render.js';
import type { Context } from './context.js';

export function sessionOf(ctx: Context): Session {
  return new Session(ctx, {
    note: (t) => ctx.stderr.write(`note: ${displayText(t)}\n`),
    warn: (t) => ctx.stderr.write(`warning: ${displayText(t)}\n`),
    line: (t) => ctx.stderr.write(`${displayText(t)}\n`),
  });
}
