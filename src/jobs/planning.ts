// Feeds the pure planner from the outside world: config → policy, catalog → what each drive
// holds, detection → which rotation drives are connected, the session → today's local date.
import { driveNameKey } from '../core/drive-name.js';
import { goodCopy } from '../core/prune-gate.js';
import type { PlanDrive, PlanInput } from '../core/planner.js';
import type { Policy } from '../core/policy.js';
import { checkBinding, impostorHint, impostorMessage, type RotationBinding } from '../drives/binding.js';
import type { Catalog } from '../state/catalog.js';
import type { Detection } from '../drives/detect.js';
import type { Session } from './session.js';

/** `acceptingSuspects`: backup --accept-changes, whose prune runs once every suspect is accepted. */
export function planDrives(policy: Policy, catalog: Catalog, s: Session, acceptingSuspects = false): PlanDrive[] {
  return policy.drives.flatMap((d) => {
    const e = catalog.byName(d.name);
    if (!e) return [];
    const pd: PlanDrive = {
      name: d.name,
      snapshots: e.snapshots.map((x) => ({
        id: x.id, bytes: x.bytes, complete: x.state === 'complete', verified: x.verifyOk === true && goodCopy(x, acceptingSuspects),
        ...(x.base !== undefined ? { base: x.base } : {}),
        ...(x.format !== undefined ? { format: x.format } : {}),
        ...(x.suspect && x.rejected === true ? { rejected: true } : {}),
      })),
      labelledOn: s.dayOf(new Date(e.labelledAt)),
    };
    if (e.lastVerifiedAt) pd.lastVerifiedOn = s.dayOf(new Date(e.lastVerifiedAt));
    if (e.capacity) pd.capacity = { total: e.capacity.total, free: e.capacity.free };
    return [pd];
  });
}

/**
 * The rotation drives that are connected. A drive that only claims a rotation name (another id:
 * an impostor, issue 14) is not that drive: it is left out, so that nothing plans a backup onto
 * it or calls drive A "connected" (`impostors` lists them for a warning).
 */
export function connectedRotation(policy: Policy, detection: Detection, catalog: Catalog, rotation: RotationBinding[]): string[] {
  const names = new Map(policy.drives.map((d) => [driveNameKey(d.name), d.name]));
  return detection.labelled
    .filter((d) => checkBinding(d.identity, catalog, rotation).status !== 'impostor')
    .map((d) => names.get(driveNameKey(d.identity.name))).filter((n): n is string => n !== undefined);
}

/** Connected drives that claim the name of another known drive, with what they are not. */
export function impostors(detection: Detection, catalog: Catalog, rotation: RotationBinding[]): string[] {
  return detection.labelled.flatMap((d) => {
    const b = checkBinding(d.identity, catalog, rotation);
    return b.status === 'impostor' ? [`${impostorMessage(d.identity, d.root, b)}: it is left out of the plan and never written (${impostorHint(d.identity, d.root, b)})`] : [];
  });
}

export function planInput(policy: Policy, catalog: Catalog, s: Session, connected: string[], today = s.today): PlanInput {
  return { policy, drives: planDrives(policy, catalog, s), connected, today };
}
