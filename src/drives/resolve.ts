// Finds the drive a command names: a path (contains a slash, or is . or ..) or a drive name.
// Names are looked up on the simulated drives under --drives-root and at each known drive's
// last mountpoint; the identity file on the drive has the final word.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { refusal, usageError } from '../core/errors.js';
import type { DriveIdentity } from '../core/format.js';
import { locateDrive, readIdentity, type DriveLocation } from './identity.js';
import type { DriveRegistry } from './registry.js';

export interface ResolvedDrive extends DriveLocation {
  identity: DriveIdentity;
}

export const looksLikePath = (spec: string) => /[\\/]/.test(spec) || spec === '.' || spec === '..';

export async function resolveDrive(spec: string, registry: DriveRegistry, drivesRoot?: string): Promise<ResolvedDrive> {
  if (looksLikePath(spec)) {
    const path = resolve(spec);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('no-such-path', `${path} does not exist or is not a folder`, 'is the drive plugged in and mounted? check the path');
    const loc = await locateDrive(path);
    if (!loc) throw refusal('not-airgap-drive', `${path} is not an airgap drive (no airgap/drive.json)`, `label it first: airgap label ${spec} --name <NAME>`);
    return { ...loc, identity: await readIdentity(loc.airgapDir) };
  }
  for (const root of await candidateRoots(registry, drivesRoot)) {
    const loc = await locateDrive(root);
    if (!loc) continue;
    const identity = await readIdentity(loc.airgapDir).catch(() => undefined);
    if (identity && identity.name.toLowerCase() === spec.toLowerCase()) return { ...loc, identity };
  }
  const known = registry.byName(spec);
  if (known) {
    throw refusal('drive-not-connected', `drive ${known.name} is not connected (last seen at ${known.lastPath} on ${known.lastSeenAt.slice(0, 10)})`,
      `plug it in and mount it, or give its path: --drive /path/to/mountpoint`);
  }
  const names = registry.drives.map((d) => d.name);
  throw usageError('unknown-drive', `no drive named "${spec}" is known`,
    names.length ? `known drives: ${names.join(', ')}; or give a path` : 'label a drive first: airgap label <path> --name <NAME>');
}

/** Every folder that might be a connected airgap drive. */
export async function candidateRoots(registry: DriveRegistry, drivesRoot?: string): Promise<string[]> {
  const roots: string[] = [];
  if (drivesRoot) {
    const names = await readdir(drivesRoot).catch(() => [] as string[]);
    for (const n of names.sort()) roots.push(join(drivesRoot, n));
  }
  for (const d of registry.drives) if (!roots.includes(d.lastPath)) roots.push(d.lastPath);
  return roots;
}
