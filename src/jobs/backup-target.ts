// Feeds the backup decision (core/backup-decision.ts) from the config, the catalog and the
// connected drives; and decides, before the write, what retention prunes after it.
import { byDriveName } from '../core/drive-name.js';
import { usageError } from '../core/errors.js';
import { decideBackup } from '../core/backup-decision.js';
import { planRotation, pruneCandidates, type Plan, type PruneItem } from '../core/planner.js';
import type { Policy } from '../core/policy.js';
import type { Catalog } from '../state/catalog.js';
import { policyOf, type Config } from '../state/config.js';
import { resolveDrive } from '../drives/resolve.js';
import { driveLookup } from './drive-lookup.js';
import { connectedRotation, planDrives, planInput } from './planning.js';
import type { Session } from './session.js';

export interface TargetChoice {
  /** The drive spec to resolve (a name from the plan, or what --drive said). */
  spec?: string;
  plan?: Plan;
  policy?: Policy;
  /** Nothing to do: a message for the user (exit 0). */
  nothingDue?: string;
  notes: string[];
}

export async function chooseBackupTarget(s: Session, config: Config | undefined, catalog: Catalog, flags: { drive?: string; allowConnected?: boolean }): Promise<TargetChoice> {
  const policy = config && config.drives.rotation.length ? policyOf(config) : undefined;
  if (!policy) {
    if (!flags.drive) throw usageError('no-drive', 'which drive? no rotation is configured, so --drive is required', 'pass --drive <name|path>, or configure a rotation: airgap init --source <dir> --drives A,B,C');
    return { spec: flags.drive, notes: [] };
  }
  // The drive asked for is found first: a typo is "no drive Z", a path that is no airgap drive
  // says so, and a drive given by its path counts as the rotation drive it is (not as one more
  // connected drive breaking the air gap).
  const lookup = await driveLookup(s);
  const requested = flags.drive ? (await resolveDrive(flags.drive, lookup)).identity.name : undefined;
  const detection = await lookup.detect(); // the lookup's own, when resolving the drive already detected
  const connected = connectedRotation(policy, detection, catalog, config!.drives.rotation);
  const plan = planRotation(planInput(policy, catalog, s, connected));
  const decision = decideBackup({ policy, plan, drives: planDrives(policy, catalog, s), connected, requested, allowConnected: flags.allowConnected });
  if (!decision.write) return { policy, plan, notes: [], nothingDue: decision.nothingDue };
  return { spec: flags.drive ?? decision.target, plan, policy, notes: decision.notes };
}

/**
 * What retention prunes on the target. Before the write the new snapshot is counted as one more,
 * dated today; after it (`written`: its id) the catalog holds the real one, with its base: only
 * then can the chain it builds on be kept (format 2), so the backup prunes by the plan made after
 * the write, never by the one made before it.
 */
export function prunePlanFor(choice: TargetChoice, catalog: Catalog, s: Session, driveName: string, acceptingSuspects = false, written?: string): PruneItem[] {
  if (!choice.policy) return [];
  const name = byDriveName(choice.policy.drives, driveName)?.name;
  if (!name) return [];
  return pruneCandidates({ policy: choice.policy, drives: planDrives(choice.policy, catalog, s, acceptingSuspects) }, name, s.today, written).prune;
}
