// The remind job: status's alerts, typed, for `airgap remind` (issue 19) — what a daily timer
// runs. It needs a rotation: a reminder with nothing to measure against would say all is well.
import type { Alert } from '../core/alerts.js';
import type { Session } from './session.js';
import { survey } from './status.js';

export interface RemindResult {
  /** Every alert status lists, in its order, with its kind. None: all is well. */
  reminders: Alert[];
  /** Status's next action ("bring drive B on 2026-11-29"). */
  next: string;
}

export async function remind(s: Session): Promise<RemindResult> {
  // No config, or no rotation drives: exit 2 with the init hint, never "all is well".
  await s.requirePolicy();
  const { result, alerts } = await survey(s);
  return { reminders: alerts, next: result.next };
}
