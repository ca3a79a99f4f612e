// `airgap adopt <drive>` (issue 17 §3): a connected drive that carries a rotation name this config
// has not bound yet, and that this host has never labelled or used, is foreign until the user
// says it is theirs (another computer labelled it, or this host's state was lost). Adopting
// records its id in the config's rotation entry: from then on it is written, pruned and counted.
import { byDriveName } from '../core/drive-name.js';
import { refusal, usageError } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { resolveDrive, type ResolvedDrive } from '../drives/resolve.js';
import { checkBinding, foreignReason } from '../drives/binding.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { bindRotationId } from '../state/config.js';
import { refreshFromDrive } from './catalog-sync.js';
import { driveLookup } from './drive-lookup.js';
import type { Session } from './session.js';

export interface AdoptPlan {
  drive: ResolvedDrive;
  snapshots: number;
  question: string;
}

export async function planAdopt(s: Session, spec: string): Promise<AdoptPlan> {
  const { config } = await s.requirePolicy();
  const catalog = await s.catalog();
  const drive = await resolveDrive(spec, await driveLookup(s));
  const { name, id } = drive.identity;
  if (!byDriveName(config.drives.rotation, name)) {
    throw usageError('not-in-rotation', `drive ${name} at ${drive.root} is not in the config's rotation (${config.drives.rotation.map((d) => d.name).join(', ')})`,
      `adopt is for a drive that carries a rotation name; add ${name} to drives.rotation in ${s.env.configPath} first, or relabel the disk under a rotation name`);
  }
  const b = checkBinding(drive.identity, catalog, config.drives.rotation);
  if (b.status !== 'impostor') throw usageError('already-yours', `drive ${name} at ${drive.root} (id ${id}) is already your drive ${name}: nothing to adopt`, `use it as it is: airgap backup --drive ${name}`);
  if (b.by !== 'unknown') {
    throw refusal('name-taken', `drive ${name} at ${drive.root} cannot be adopted: ${foreignReason(name, b)}`,
      `if that drive is lost or retired and this disk is to take its place: airgap replace ${name} ${drive.root}`);
  }
  const snapshots = (await readDriveContents(drive.airgapDir)).snapshots.filter((x) => x.complete).length;
  return {
    drive, snapshots,
    question: `Adopt the drive at ${drive.root} (id ${id}, ${plural(snapshots, 'snapshot')}) as your drive ${name}? Backups will write to it, and retention will prune its snapshots`,
  };
}

export async function applyAdopt(s: Session, plan: AdoptPlan): Promise<{ name: string; id: string; root: string; snapshots: number }> {
  const { name, id } = plan.drive.identity;
  if (!(await bindRotationId(s.env.configPath, name, id))) {
    throw refusal('config-changed', `the config ${s.env.configPath} changed meanwhile: its rotation entry ${name} is no longer unbound`, 'look at it (airgap status), then adopt again if still needed');
  }
  s.forgetConfig();
  const catalog = await s.catalog();
  catalog.seen(plan.drive.identity, plan.drive.root, s.now, plan.drive.fingerprint);
  await refreshFromDrive(s, catalog, plan.drive);
  await catalog.save();
  return { name, id, root: plan.drive.root, snapshots: plan.snapshots };
}
