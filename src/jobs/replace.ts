// `airgap replace <old> <path>` (issue 17 §3): a new or reformatted disk takes the name and the
// place in the rotation of a lost or retired drive. The disk is labelled under the old name (a new
// id), the config's rotation entry is bound to it, and this host's history of the old drive is
// kept, marked replaced (its name is free; its snapshots are no longer counted as copies). Nothing
// is deleted: not the old drive's snapshots (wherever that disk is), not the new disk's files.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { byDriveName } from '../core/drive-name.js';
import { refusal, usageError } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { applyLabel, planLabel, type LabelInput, type LabelPlan } from '../drives/label.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { locateDrive, readIdentity } from '../layout/identity.js';
import { moveRotationEntry, rebindRotationId, unbindRotationId } from '../state/config.js';
import { fingerprint } from './drive-lookup.js';
import type { Session } from './session.js';

export interface ReplacePlan {
  name: string;
  /** The drive replaced was retired: its entry goes back into the rotation. */
  fromRetired: boolean;
  path: string;
  /** The drive replaced: its id, and the snapshots this host recorded on it (none when it was never bound or seen). */
  old?: { id: string; snapshots: number };
  /** --take-over: the disk already was an airgap drive; it keeps its id and its snapshots. */
  takenOver?: { name: string; snapshots: number };
  input: LabelInput;
  plan: LabelPlan;
  question: string;
}

export async function planReplace(s: Session, oldName: string, pathArg: string, opts: { takeOver?: boolean }): Promise<ReplacePlan> {
  const { config } = await s.requirePolicy();
  // A retired drive may have a successor too: it comes back into the rotation, at its end.
  const retired = byDriveName(config.drives.rotation, oldName) ? undefined : byDriveName(config.drives.retired, oldName);
  const entry = byDriveName(config.drives.rotation, oldName) ?? retired;
  if (!entry) {
    throw usageError('not-in-rotation', `drive ${oldName} is neither in the config's rotation (${config.drives.rotation.map((d) => d.name).join(', ')}) nor retired`,
      'replace takes the place of a rotation drive; for a new drive outside the rotation use airgap label <path> --name <NAME>');
  }
  const path = resolve(pathArg);
  const catalog = await s.catalog();
  const oldEntry = entry.id ? catalog.byId(entry.id) : catalog.byName(entry.name);
  const oldId = entry.id ?? oldEntry?.id;
  const takenOver = await checkDisk(path, entry.name, oldId, config.drives.rotation, opts.takeOver ?? false);
  const input: LabelInput = {
    path, name: entry.name, force: takenOver !== undefined, registry: catalog, drivesRoot: s.env.drivesRoot, sources: config.sources,
    rotation: config.drives.rotation, ...(oldId ? { replacing: oldId } : {}), now: s.now, newId: randomUUID, host: hostname(), toolVersion: s.env.version, platform: s.env.platform,
  };
  const plan = await planLabel(input);
  const old = oldId ? { id: oldId, snapshots: oldEntry?.snapshots.length ?? 0 } : undefined;
  const what = old ? `drive ${entry.name} (id ${old.id}, ${plural(old.snapshots, 'snapshot')} recorded)` : `drive ${entry.name}`;
  return {
    name: entry.name, path, fromRetired: retired !== undefined, ...(old ? { old } : {}), ...(takenOver ? { takenOver } : {}), input, plan,
    question: `Replace ${what} by the disk at ${path}? It is labelled ${entry.name}${takenOver ? ` (was ${takenOver.name}; its ${plural(takenOver.snapshots, 'snapshot')} kept)` : ' with a new id'} and takes ${entry.name}'s place in the rotation; the old drive's history is kept, marked replaced, and nothing is deleted`,
  };
}

/** The disk must not be the drive it replaces, nor (unless --take-over) another airgap drive with its snapshots. */
async function checkDisk(path: string, name: string, oldId: string | undefined, rotation: { name: string; id?: string }[], takeOver: boolean): Promise<{ name: string; snapshots: number } | undefined> {
  const there = await locateDrive(path).catch(() => undefined);
  if (!there) return undefined;
  const identity = await readIdentity(there.airgapDir).catch(() => undefined);
  const snapshots = (await readDriveContents(there.airgapDir).catch(() => undefined))?.snapshots.filter((x) => x.complete).length ?? 0;
  if (identity && identity.id === oldId) {
    throw usageError('same-drive', `the disk at ${path} is drive ${name} itself (id ${identity.id}): there is nothing to replace`,
      `use it as it is; to take it out of the rotation: airgap retire ${name}`);
  }
  const bound = identity ? rotation.find((r) => r.id === identity.id) : undefined;
  if (bound) {
    throw refusal('drive-in-rotation', `the disk at ${path} is your drive ${bound.name} (id ${identity!.id}), in the rotation: it cannot take ${name}'s place as well`,
      `retire it first (airgap retire ${bound.name}), or give another disk`);
  }
  if (!takeOver) {
    const was = identity ? `airgap drive "${identity.name}" (id ${identity.id})` : 'an airgap drive whose identity file is damaged';
    throw refusal('already-labelled', `the disk at ${path} already is ${was}, holding ${plural(snapshots, 'snapshot')}`,
      `to make it drive ${name} anyway, keeping its snapshots (its id stays): airgap replace ${name} ${path} --take-over; or give a new or reformatted disk`);
  }
  return { name: identity?.name ?? '(damaged identity)', snapshots };
}

export async function applyReplace(s: Session, p: ReplacePlan): Promise<ReplacePlan> {
  // Marked first: the catalog records the successor under the name only once the old drive has given it up.
  if (p.old) p.input.registry.markReplaced(p.old.id, p.plan.identity.id, s.now);
  await applyLabel(p.plan, { ...p.input, fingerprint: await fingerprint(s.env, p.path) });
  if (p.fromRetired) await moveRotationEntry(s.env.configPath, p.name, true, s.now.toISOString());
  if (p.takenOver) await unbindRotationId(s.env.configPath, p.plan.identity.id, p.name);
  await rebindRotationId(s.env.configPath, p.name, p.plan.identity.id);
  s.forgetConfig();
  return p;
}
