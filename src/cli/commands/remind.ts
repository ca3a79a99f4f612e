// `airgap remind [--no-notify]`: what is overdue, one line each, a desktop notification when
// there is something to say, and an exit code that tells a script or a timer which kinds
// (core/alerts.ts remindExitCode; docs/cli.md).
import { remindExitCode } from '../../core/alerts.js';
import { notify, type NotifyOutcome } from '../../io/notify.js';
import { remind, type RemindResult } from '../../jobs/remind.js';
import { remindNotification, renderRemind } from '../../ui/render-remind.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function remindCommand(ctx: Context, flags: { notify?: boolean }): Promise<number> {
  const result = await remind(sessionOf(ctx));
  const wanted = flags.notify !== false && result.reminders.length > 0;
  if (ctx.json) {
    const notification = wanted ? await notifyDesktop(ctx, result) : undefined;
    printJson(ctx, { reminders: result.reminders, next: result.next, ...(notification ? { notification } : {}) });
  } else {
    // The lines first: a slow notifier must not hold back what the terminal or the log shows.
    ctx.stdout.write(renderRemind(result));
    if (wanted) await notifyDesktop(ctx, result);
  }
  return remindExitCode(result.reminders);
}

/** A notifier that is missing or fails is no error: the lines and the exit code carry the reminder. */
function notifyDesktop(ctx: Context, result: RemindResult): Promise<NotifyOutcome> {
  // The notifier is found on PATH and reaches the desktop through DISPLAY/DBUS_SESSION_BUS_ADDRESS.
  return notify(remindNotification(result), { platform: ctx.platform, env: process.env });
}
