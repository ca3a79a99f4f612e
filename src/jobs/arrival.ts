// The arrival job: for a drive that `airgap watch` just saw arrive, what the config's rotation
// says of it now (core/arrival.ts): not ours, due, or not due and when. Read-only: it plans, it
// writes nothing (the backup itself is `airgap backup`, run by the watcher).
import { decideArrival, type ArrivalDecision } from '../core/arrival.js';
import { byDriveName, sameDriveName } from '../core/drive-name.js';
import { addDays } from '../core/calendar.js';
import { buildSchedule } from '../core/schedule.js';
import { checkBinding, impostorHint, impostorMessage } from '../drives/binding.js';
import { policyOf } from '../state/config.js';
import { plan } from './plan.js';
import { planDrives } from './planning.js';
import type { Session } from './session.js';

export interface ArrivedDrive { name: string; id: string; root: string }

/** How far ahead a drive's next scheduled day is looked for (a rotation of a few drives comes round well within it). */
const LOOKAHEAD_DAYS = 366;

export async function assessArrival(s: Session, drive: ArrivedDrive): Promise<ArrivalDecision & { onArrival: 'notify' | 'backup' }> {
  const config = await s.configIfReadable();
  if (!config || config.drives.rotation.length === 0) return { action: 'none', why: 'no config with a rotation', onArrival: 'notify' };
  const onArrival = config.onArrival;
  const entry = byDriveName(config.drives.rotation, drive.name);
  if (!entry) return { action: 'none', why: `drive ${drive.name} is not in this config's rotation: nothing to do`, onArrival };
  const catalog = await s.catalog();
  // A drive claiming one of our names with another id (a clone, another computer's drive) is not ours.
  const binding = checkBinding({ id: drive.id, name: drive.name }, catalog, config.drives.rotation);
  if (binding.status === 'impostor') return { action: 'none', why: `${impostorMessage(drive, drive.root, binding)}: nothing done (${impostorHint(drive, drive.root, binding)})`, onArrival };
  const p = await plan(s, {});
  const policy = policyOf(config);
  const schedule = buildSchedule({ policy, drives: planDrives(policy, catalog, s) }, s.today, addDays(s.today, LOOKAHEAD_DAYS));
  // Not due today: the plan's date when it is the next target, else its next day on the schedule after today.
  const dueOn = p.target && sameDriveName(p.target, entry.name) ? p.targetDate : schedule.rows.find((r) => r.date > s.today && sameDriveName(r.drive, entry.name))?.date;
  return { ...decideArrival({ name: drive.name, rotationName: entry.name, plan: p, ...(dueOn ? { dueOn } : {}), onArrival }), onArrival };
}
