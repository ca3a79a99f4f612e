// Which drive `airgap backup` writes to, and whether it may: the plan's due drive when no
// --drive is given; either way, never while the air gap is broken (unless --allow-connected).
import { refusal, usageError } from '../core/errors.js';
import { airGapFor, planRotation, pruneCandidates, type Plan, type PruneItem } from '../core/planner.js';
import type { Policy } from '../core/policy.js';
import type { Catalog } from '../state/catalog.js';
import type { Config } from './config.js';
import { policyOf } from './config.js';
import type { Context } from './context.js';
import { detect } from './drive-lookup.js';
import { connectedRotation, planDrives, planInput, todayOf } from './planning.js';

export interface TargetChoice {
  /** The drive spec to resolve (a name from the plan, or what --drive said). */
  spec?: string;
  plan?: Plan;
  policy?: Policy;
  /** Nothing to do: a message for the user (exit 0). */
  nothingDue?: string;
  notes: string[];
}

export async function chooseBackupTarget(ctx: Context, config: Config | undefined, catalog: Catalog, flags: { drive?: string; allowConnected?: boolean }): Promise<TargetChoice> {
  const policy = config && config.drives.rotation.length ? policyOf(config) : undefined;
  if (!policy) {
    if (!flags.drive) throw usageError('no-drive', 'which drive? no rotation is configured, so --drive is required', 'pass --drive <name|path>, or configure a rotation: airgap init --source <dir> --drives A,B,C');
    return { spec: flags.drive, notes: [] };
  }
  const detection = await detect(ctx, {}, catalog);
  const connected = connectedRotation(policy, detection, catalog, config!.drives.rotation);
  const plan = planRotation(planInput(policy, catalog, ctx, connected, todayOf(ctx)));
  const notes: string[] = [];
  let target = flags.drive;
  if (!target) {
    if (!plan.target) throw refusal('no-plan', plan.warnings[0] ?? 'nothing can be planned', 'check the rotation in the config');
    if (!plan.due) return { policy, plan, notes, nothingDue: `Nothing is due today: the next snapshot goes to drive ${plan.target} on ${plan.targetDate}. To back up anyway, pass --drive.` };
    if (!connected.includes(plan.target)) {
      const others = connected.filter((n) => n !== plan.target);
      if (others.length) {
        throw refusal('not-due-drive', `drive ${others.join(', ')} is connected, but ${plan.target} is the due drive (${plan.reasons[0]})`,
          `plug in ${plan.target} instead, or pass --drive ${others[0]} to write ${others[0]} anyway`);
      }
      throw refusal('due-drive-missing', `drive ${plan.target} is due but not connected`, `plug in ${plan.target} (and only it), then run airgap backup again`);
    }
    target = plan.target;
  } else {
    const named = policy.drives.find((d) => d.name.toLowerCase() === target!.toLowerCase());
    if (named && plan.target && named.name !== plan.target && plan.due) notes.push(`${named.name} is not the due drive (${plan.target} is); writing to ${named.name} because you asked for it`);
  }
  // The air gap: the drives that must stay offline while this one is written — both their
  // number and which ones (offsite drives and the freshest copies first).
  const targetName = policy.drives.find((d) => d.name.toLowerCase() === target!.toLowerCase())?.name;
  const others = connected.filter((n) => n !== targetName);
  const required = targetName ? airGapFor({ policy, drives: planDrives(policy, catalog, ctx) }, targetName).filter((o) => o.required) : [];
  const breaking = required.filter((o) => others.includes(o.drive));
  const tooFew = policy.drives.length - 1 - others.length < policy.offline;
  if (others.length && (tooFew || breaking.length) && !flags.allowConnected) {
    const why = breaking.length ? breaking.map((o) => `${o.drive} must stay ${o.where}`).join(', ') : `the policy wants ${policy.offline} rotation drive(s) disconnected`;
    throw refusal('air-gap', `the air gap would be broken: ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} connected too while ${targetName ?? target} is written (${why})`,
      `unplug ${others.join(', ')} first (or pass --allow-connected if you really mean it)`);
  }
  if (others.length && flags.allowConnected) notes.push(`writing with ${others.join(', ')} connected (--allow-connected): the air gap is not kept`);
  return { spec: target, plan, policy, notes };
}

/** What to prune on the target after the write — decided before writing, from the state before it. */
export function prunePlanFor(choice: TargetChoice, catalog: Catalog, ctx: Context, driveName: string): PruneItem[] {
  if (!choice.policy) return [];
  const name = choice.policy.drives.find((d) => d.name.toLowerCase() === driveName.toLowerCase())?.name;
  if (!name) return [];
  return pruneCandidates({ policy: choice.policy, drives: planDrives(choice.policy, catalog, ctx) }, name, todayOf(ctx)).prune;
}
