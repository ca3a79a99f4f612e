// What to do with a drive once a backup onto it is done (issue 17 §5): where it goes now (put
// away, disconnected, or taken to its offsite place) and which drive comes next, when. The same
// answer for the wizard's farewell and for `airgap backup`, from the config's rotation and the
// planner (core/planner.ts).
import { byDriveName } from '../core/drive-name.js';
import { planRotation } from '../core/planner.js';
import { policyOf, type Config } from '../state/config.js';
import { planInput } from './planning.js';
import type { Session } from './session.js';

export interface NextStep {
  /** The drive just written. */
  drive: string;
  /** Where it goes now. */
  place: 'offsite' | 'home';
  location?: string;
  /** The next backup the rotation plans: which drive, on which day. */
  next?: { drive: string; date: string };
}

/** Undefined without a config (a one-off backup to a drive outside any rotation); `given`: the config a caller already holds. */
export async function nextStep(s: Session, name: string, given?: Config): Promise<NextStep | undefined> {
  const config = given ?? await s.config().catch(() => undefined);
  if (!config) return undefined;
  const policy = policyOf(config);
  const plan = planRotation(planInput(policy, await s.catalog(), s, []));
  const role = byDriveName(config.drives.rotation, name);
  return {
    drive: name, place: role?.role === 'offsite' ? 'offsite' : 'home',
    ...(role?.location ? { location: role.location } : {}),
    ...(plan.target && plan.targetDate ? { next: { drive: plan.target, date: plan.targetDate } } : {}),
  };
}

/** "Unplug A and put it away, disconnected; next: bring B on 2026-06-08." */
export function nextStepSentence(n: NextStep): string {
  const where = n.place === 'offsite' ? `take it to ${n.location ?? 'its offsite place'}` : `put it away${n.location ? ` (${n.location})` : ''}, disconnected`;
  return `Unplug ${n.drive} and ${where}${n.next ? `; next: bring ${n.next.drive} on ${n.next.date}` : ''}.`;
}
