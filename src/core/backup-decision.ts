// Which drive `airgap backup` writes to, and whether it may (pure: the caller gives the plan,
// the connected rotation drives and the flags). With no --drive, the plan's due drive, which
// must be connected; either way, never while the air gap is broken (unless --allow-connected):
// the drives that must stay offline, by number and by name (offsite drives and the freshest
// copies first: core/planner.ts airGapFor).
import { refusal } from './errors.js';
import { byDriveName } from './drive-name.js';
import { airGapFor, type Plan, type PlanDrive } from './planner.js';
import type { Policy } from './policy.js';

export interface BackupDecisionInput {
  policy: Policy;
  plan: Plan;
  /** What the catalog knows of each rotation drive (the plan's input). */
  drives: PlanDrive[];
  /** The rotation drives that are connected (impostors left out). */
  connected: string[];
  /** --drive: a name, or a path (then it names no rotation drive). */
  requested?: string;
  allowConnected?: boolean;
}

export type BackupDecision =
  | { write: false; nothingDue: string }
  | { write: true; target: string; notes: string[] };

/** Decides, or throws the refusal (exit 4) that says why not and what to do. */
export function decideBackup(input: BackupDecisionInput): BackupDecision {
  const { policy, plan, connected } = input;
  const notes: string[] = [];
  let target = input.requested;
  if (!target) {
    if (!plan.target) throw refusal('no-plan', plan.warnings[0] ?? 'nothing can be planned', 'check the rotation in the config');
    if (!plan.due) return { write: false, nothingDue: `Nothing is due today: the next snapshot goes to drive ${plan.target} on ${plan.targetDate}. To back up anyway, pass --drive.` };
    if (!connected.includes(plan.target)) {
      const others = connected.filter((n) => n !== plan.target);
      if (others.length) {
        throw refusal('not-due-drive', `drive ${others.join(', ')} is connected, but ${plan.target} is the due drive (${plan.reasons[0]})`,
          `plug in ${plan.target} instead, or pass --drive ${others[0]} to write ${others[0]} anyway`);
      }
      throw refusal('due-drive-missing', `drive ${plan.target} is due but not connected`, `plug in ${plan.target} (and only it), then run airgap backup again`);
    }
    target = plan.target;
  }
  const named = byDriveName(policy.drives, target)?.name;
  if (input.requested && named && plan.target && named !== plan.target && plan.due) {
    notes.push(`${named} is not the due drive (${plan.target} is); writing to ${named} because you asked for it`);
  }
  const others = connected.filter((n) => n !== named);
  const required = named ? airGapFor({ policy, drives: input.drives }, named).filter((o) => o.required) : [];
  const breaking = required.filter((o) => others.includes(o.drive));
  const tooFew = policy.drives.length - 1 - others.length < policy.offline;
  if (others.length && (tooFew || breaking.length) && !input.allowConnected) {
    const why = breaking.length ? breaking.map((o) => `${o.drive} must stay ${o.where}`).join(', ') : `the policy wants ${policy.offline} rotation drive(s) disconnected`;
    throw refusal('air-gap', `the air gap would be broken: ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} connected too while ${named ?? target} is written (${why})`,
      `unplug ${others.join(', ')} first (or pass --allow-connected if you really mean it)`);
  }
  if (others.length && input.allowConnected) notes.push(`writing with ${others.join(', ')} connected (--allow-connected): the air gap is not kept`);
  return { write: true, target, notes };
}
