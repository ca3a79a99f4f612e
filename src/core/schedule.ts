// The printed rotation schedule: the planner run forward over the calendar, assuming each plan
// is followed (the due drive is connected alone, written, verified, then pruned).
import { isBackupDay, nextBackupDay } from './calendar.js';
import { planRotation, type PlanDrive, type PlanInput } from './planner.js';

export interface ScheduleRow {
  date: string;
  drive: string;
  /** The snapshot the drive receives (dated; its time is set when it is written). */
  snapshot: string;
  offline: string[];
  offsite: string[];
  prune: string[];
}

export interface Schedule {
  from: string;
  until: string;
  scheme: string;
  drives: { name: string; role: string; location?: string }[];
  rows: ScheduleRow[];
  warnings: string[];
}

export function buildSchedule(input: Omit<PlanInput, 'today' | 'connected'>, from: string, until: string): Schedule {
  const drives: PlanDrive[] = input.policy.drives.map((d) => {
    const known = input.drives.find((x) => x.name === d.name);
    return { ...(known ?? { name: d.name, snapshots: [] }), snapshots: [...(known?.snapshots ?? [])] };
  });
  const schedule: Schedule = {
    from, until, scheme: input.policy.scheme,
    drives: input.policy.drives.map((d) => ({ name: d.name, role: d.role, ...(d.location ? { location: d.location } : {}) })),
    rows: [], warnings: [],
  };
  let day = isBackupDay(input.policy.cadence, from) ? from : nextBackupDay(input.policy.cadence, from);
  for (let guard = 0; day <= until && guard < 100_000; guard++) {
    const plan = planRotation({ ...input, drives, today: day, connected: [] });
    if (plan.due && plan.target) {
      const target = plan.target;
      schedule.rows.push({
        date: day,
        drive: target,
        snapshot: day,
        offline: plan.keepOffline.filter((o) => o.where === 'offline').map((o) => o.drive),
        offsite: plan.keepOffline.filter((o) => o.where === 'offsite').map((o) => o.drive),
        prune: plan.prune.map((p) => p.snapshot.slice(0, 10)),
      });
      // Follow the plan: the new snapshot is written and verified, then the prune happens.
      const d = drives.find((x) => x.name === target)!;
      const bytes = plan.capacity.estimate ?? 0;
      d.snapshots = d.snapshots.filter((s) => !plan.prune.some((p) => p.snapshot === s.id));
      d.snapshots.push({ id: `${day}T120000Z`, bytes, verified: true, complete: true });
      d.lastVerifiedOn = day;
    }
    // Warnings about the policy itself show on the first date; later ones would only repeat
    // them or describe a future the schedule already assumes is followed.
    if (guard === 0) schedule.warnings.push(...plan.warnings.filter((w) => !/connected|still connected/.test(w)));
    day = nextBackupDay(input.policy.cadence, day);
  }
  return schedule;
}
