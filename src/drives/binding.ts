// A rotation drive is bound to its id, not to the name its drive.json claims: anyone can write
// "name": "A" on a stick. The rule is core/drive-binding (bindingOf); this module gives it the
// facts (the config's rotation, this host's catalog) and words a foreign drive for the user.
import { byDriveName } from '../core/drive-name.js';
import { bindingOf } from '../core/drive-binding.js';
import type { Catalog } from '../state/catalog.js';

export interface RotationBinding {
  name: string;
  id?: string;
}

export type BindingCheck =
  /** This id is the drive known by this name; `first`: the rotation entry has no id yet, and this host knows the drive. */
  | { status: 'bound' | 'first' }
  /** A foreign drive (issue 17 §3): another drive (knownId) is bound to this name, or (`unknown`) this host never labelled or used it. */
  | { status: 'impostor'; knownId?: string; by: 'config' | 'catalog' | 'unknown'; lastPath?: string; lastSeenAt?: string };

export function checkBinding(identity: { id: string; name: string }, catalog: Catalog, rotation: RotationBinding[]): BindingCheck {
  const entry = byDriveName(rotation, identity.name);
  const holder = catalog.nameHolder(identity);
  const b = bindingOf({ id: identity.id, known: catalog.byId(identity.id) !== undefined, ...(entry ? { entry: { ...(entry.id ? { id: entry.id } : {}) } } : {}), ...(holder ? { holder } : {}) });
  if (b.status !== 'foreign') return b;
  const known = b.knownId !== undefined ? catalog.byId(b.knownId) : undefined;
  return { status: 'impostor', by: b.by, ...(b.knownId ? { knownId: b.knownId } : {}), ...(known ? { lastPath: known.lastPath, lastSeenAt: known.lastSeenAt } : {}) };
}

/** What makes the drive foreign, in a few words. */
export function foreignReason(name: string, check: Extract<BindingCheck, { status: 'impostor' }>): string {
  if (check.by === 'unknown') return `the config's rotation names ${name} without an id yet, and this computer has never labelled or used this drive (someone else's drive ${name}?)`;
  const where = check.lastPath ? `, last seen at ${check.lastPath}${check.lastSeenAt ? ` on ${check.lastSeenAt.slice(0, 10)}` : ''}` : '';
  return `${check.by === 'config' ? 'the config binds' : 'this computer knows'} drive ${name} to the id ${check.knownId}${where}`;
}

/** The error message for a foreign drive: what it claims, what is known, and that nothing was written. */
export function impostorMessage(identity: { id: string; name: string }, root: string, check: Extract<BindingCheck, { status: 'impostor' }>): string {
  return `the drive at ${root} says it is drive ${identity.name}, but it is not your drive ${identity.name} (a foreign drive): its id is ${identity.id}, and ${foreignReason(identity.name, check)}`;
}

export function impostorHint(identity: { name: string }, root: string, check?: Extract<BindingCheck, { status: 'impostor' }>): string {
  if (check?.by === 'unknown') return `if it really is your drive ${identity.name} (labelled on another computer, or this host's state was lost), adopt it: airgap adopt ${root}; if it is someone else's, keep it away from airgap`;
  return `if it is a copy of drive ${identity.name} or someone else's stick, keep it away from airgap; if your drive ${identity.name} is lost or retired and this disk is to take its place, run airgap replace ${identity.name} ${root} (a new identity; snapshots already on the disk are kept)`;
}
