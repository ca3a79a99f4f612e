// A rotation drive is bound to its id, not to the name its drive.json claims: anyone can write
// "name": "A" on a stick. The config's rotation entry records the id of drive A the first time
// airgap uses it, and the catalog knows every drive by id; a drive that calls itself A with
// another id is "not your drive A", and is never written.
import { byDriveName } from '../core/drive-name.js';
import type { Catalog } from '../state/catalog.js';

export interface RotationBinding {
  name: string;
  id?: string;
}

export type BindingCheck =
  /** This id is the drive known by this name (or the name is new: the first drive seen under it). */
  | { status: 'bound' | 'first' }
  /** Another drive (knownId) is known by this name. */
  | { status: 'impostor'; knownId: string; by: 'config' | 'catalog'; lastPath?: string; lastSeenAt?: string };

export function checkBinding(identity: { id: string; name: string }, catalog: Catalog, rotation: RotationBinding[]): BindingCheck {
  const configured = byDriveName(rotation, identity.name)?.id;
  const holder = catalog.nameHolder(identity);
  const known = catalog.byId(configured ?? '');
  if (configured && configured !== identity.id) {
    return { status: 'impostor', knownId: configured, by: 'config', ...(known ? { lastPath: known.lastPath, lastSeenAt: known.lastSeenAt } : {}) };
  }
  if (holder) return { status: 'impostor', knownId: holder.id, by: 'catalog', lastPath: holder.lastPath, lastSeenAt: holder.lastSeenAt };
  return { status: configured || catalog.byId(identity.id) ? 'bound' : 'first' };
}

/** The error message for an impostor: what it claims, what is known, and that nothing was written. */
export function impostorMessage(identity: { id: string; name: string }, root: string, check: Extract<BindingCheck, { status: 'impostor' }>): string {
  const where = check.lastPath ? `, last seen at ${check.lastPath}${check.lastSeenAt ? ` on ${check.lastSeenAt.slice(0, 10)}` : ''}` : '';
  return `the drive at ${root} says it is drive ${identity.name}, but it is not your drive ${identity.name}: its id is ${identity.id}, and ${check.by === 'config' ? 'the config binds' : 'this computer knows'} drive ${identity.name} to the id ${check.knownId}${where}`;
}

export function impostorHint(identity: { name: string }, root: string): string {
  return `if it is a copy of drive ${identity.name} or someone else's stick, keep it away from airgap; if this really is a new drive ${identity.name} (the old one is lost or retired), label it under a new name (airgap label ${root} --name ${identity.name}2 --force) and put that name in the config's rotation in place of ${identity.name}`;
}
