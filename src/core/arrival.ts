// What `airgap watch` does when an airgap drive arrives (issue 19): nothing when it is not a
// drive of this config's rotation; else, by the config's `onArrival`, a notification saying
// whether its backup is due (and when it is, if not), or the unattended backup when it is due.
// A drive that is not due is never written by an arrival: the rotation decides, not the plug.
import { sameDriveName } from './drive-name.js';
import type { Plan } from './planner.js';

export type OnArrival = 'notify' | 'backup';

export type ArrivalDecision =
  | { action: 'none'; why: string }
  | { action: 'notify'; drive: string; due: true }
  | { action: 'notify'; drive: string; due: false; dueOn?: string; next?: { drive: string; date: string } }
  | { action: 'backup'; drive: string };

export interface ArrivalInput {
  /** The arrived drive's name, as its identity file says. */
  name: string;
  /** Its rotation name when it is a drive of this config (bound, or binding now); else undefined. */
  rotationName?: string;
  plan: Plan;
  /** The next day this drive is scheduled, when it is not due today (from the schedule). */
  dueOn?: string;
  onArrival: OnArrival;
}

export function decideArrival(input: ArrivalInput): ArrivalDecision {
  const drive = input.rotationName;
  if (!drive) return { action: 'none', why: `${input.name} is not a drive of this config's rotation` };
  const p = input.plan;
  const due = p.due === true && p.target !== undefined && sameDriveName(p.target, drive);
  if (due) return input.onArrival === 'backup' ? { action: 'backup', drive } : { action: 'notify', drive, due: true };
  return {
    action: 'notify', drive, due: false,
    ...(input.dueOn ? { dueOn: input.dueOn } : {}),
    ...(p.target && p.targetDate ? { next: { drive: p.target, date: p.targetDate } } : {}),
  };
}
