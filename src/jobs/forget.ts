// `airgap forget <drive>` (issue 17 §3): a lost, broken or given-away drive leaves this host's
// catalog, so that `status` no longer waits for it nor counts its snapshots as copies. Nothing on
// the drive is touched (it may not even be here). A drive plugged in again is known again.
import { refusal } from '../core/errors.js';
import { detect, knownDrive } from './drive-lookup.js';
import { byDriveName } from '../core/drive-name.js';
import { plural } from '../core/plural.js';
import type { Session } from './session.js';

export interface ForgetPlan {
  drive: { id: string; name: string };
  /** The snapshots the catalog recorded on it: no longer counted as copies. */
  snapshots: number;
  /** The config's rotation still names it: status will keep asking for it until that changes. */
  inRotation: boolean;
  question: string;
}

export async function planForget(s: Session, spec: string): Promise<ForgetPlan> {
  const catalog = await s.catalog();
  const entry = knownDrive(catalog, spec);
  // A connected drive is seen again by the next command: forgetting it would not last.
  if ((await detect(s)).labelled.some((d) => d.identity.id === entry.id)) {
    throw refusal('drive-connected', `drive ${entry.name} is connected: this host would know it again at once`, `unplug ${entry.name} first (airgap eject ${entry.name}), then run airgap forget ${entry.name} again`);
  }
  const config = await s.config().catch(() => undefined);
  const inRotation = config !== undefined && byDriveName(config.drives.rotation, entry.name) !== undefined;
  return {
    drive: { id: entry.id, name: entry.name }, snapshots: entry.snapshots.length, inRotation,
    question: `Forget drive ${entry.name} (${plural(entry.snapshots.length, 'snapshot')} recorded; the drive itself is not touched)?`,
  };
}

export async function applyForget(s: Session, plan: ForgetPlan): Promise<ForgetPlan> {
  const catalog = await s.catalog();
  catalog.forget(plan.drive.id);
  await catalog.save();
  return plan;
}
