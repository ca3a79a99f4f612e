// `airgap remind` in words: one line per reminder (escaped: messages quote names read from
// drives), or one line that all is well; and the desktop notification's title and text.
import { plural } from '../core/plural.js';
import type { RemindResult } from '../jobs/remind.js';
import { displayText } from './render.js';

export function renderRemind(r: RemindResult): string {
  if (!r.reminders.length) return `All is well: nothing to remind. Next: ${displayText(r.next)}\n`;
  return r.reminders.map((a) => `${displayText(a.message)}\n`).join('');
}

/** The notification: the count as its title, the same lines as its text. */
export function remindNotification(r: RemindResult): { title: string; body: string } {
  return { title: `airgap: ${plural(r.reminders.length, 'reminder')}`, body: r.reminders.map((a) => displayText(a.message)).join('\n') };
}
