// Finds the drive a command names: a path (contains a slash, or is . or ..) or a drive name.
// Names are looked up among the detected drives and at each known drive's last mountpoint; the
// identity file on the drive has the final word.
import { sameDriveName } from '../core/drive-name.js';
import { parse, resolve, sep } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Fingerprint } from '../core/drive-model.js';
import { AirgapError, isAirgapError, refusal, usageError } from '../core/errors.js';
import type { DriveIdentity } from '../layout/format.js';
import type { Detection } from './detect.js';
import { locateDrive, readIdentity, type DriveLocation } from '../layout/identity.js';
import type { Catalog } from '../state/catalog.js';

export interface ResolvedDrive extends DriveLocation {
  identity: DriveIdentity;
  fingerprint?: Fingerprint;
}

export const looksLikePath = (spec: string) => /[\\/]/.test(spec) || spec === '.' || spec === '..';

export interface DriveLookup {
  registry: Catalog;
  /** Detects connected drives (lazily: a path lookup never needs it). */
  detect: () => Promise<Detection>;
  /** The fingerprint of the filesystem holding a path (undefined for simulated drives). */
  fingerprintOf: (path: string) => Promise<Fingerprint | undefined>;
  /** The folders being backed up: never offered as a drive to label. */
  sources?: readonly string[];
}

export async function resolveDrive(spec: string, lookup: DriveLookup): Promise<ResolvedDrive> {
  if (looksLikePath(spec)) {
    const path = resolve(spec);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('no-such-path', `${path} does not exist or is not a folder`, 'is the drive plugged in and mounted? check the path');
    const loc = await locateDrive(path);
    if (!loc) throw refusal('not-airgap-drive', `${path} is not an airgap drive (no airgap/drive.json)`, notADriveHint(path, spec, lookup.sources ?? []));
    const identity = await readIdentity(loc.airgapDir).catch((e: unknown) => {
      throw damagedIdentity(e, loc.root, lookup.registry.drives.find((d) => d.lastPath === loc.root)?.name);
    });
    return withFingerprint({ ...loc, identity }, lookup);
  }
  const detection = await lookup.detect();
  const detected = detection.labelled.filter((d) => sameDriveName(d.identity.name, spec));
  if (detected.length > 1) {
    throw refusal('ambiguous-drive', `${detected.length} connected drives are named ${spec}: ${detected.map((d) => d.root).join(', ')}`,
      'a cloned drive or a copied identity file? give the path of the one you mean, and relabel the other');
  }
  const found = detected[0];
  if (found) {
    const r: ResolvedDrive = { root: found.root, airgapDir: found.airgapDir, identity: found.identity };
    if (found.fingerprint) r.fingerprint = found.fingerprint;
    return r;
  }
  const known = lookup.registry.byName(spec);
  if (known) {
    // Not in any usual place, but maybe still where we last saw it.
    const loc = await locateDrive(known.lastPath);
    // A damaged identity where the drive was last seen is most likely this drive: say so, never "not connected".
    const identity = loc ? await readIdentity(loc.airgapDir).catch((e: unknown) => { throw damagedIdentity(e, loc.root, known.name); }) : undefined;
    if (loc && identity?.id === known.id) return withFingerprint({ ...loc, identity }, lookup);
  }
  // Not found by name: a connected airgap drive whose identity cannot be read may be the one meant.
  const unreadable = detection.damaged?.[0];
  if (unreadable) throw damagedIdentity(unreadable.error, unreadable.root, spec, true);
  if (known) {
    // A disk that is no airgap drive, connected where this one was last seen: most often the drive
    // itself, reformatted (its airgap/ folder gone). "Plug it in" would send the user in a circle.
    const blank = detection.unlabelled.find((c) => c.mountpoints.includes(known.lastPath));
    if (blank) {
      throw refusal('drive-not-connected', `drive ${known.name} is not connected: the disk at ${known.lastPath}, where it was last seen on ${known.lastSeenAt.slice(0, 10)}, is not an airgap drive (no airgap/ folder: reformatted, or another disk)`,
        `if it is ${known.name} reformatted, or a new disk to take its place: airgap replace ${known.name} ${known.lastPath}; otherwise plug in ${known.name}`);
    }
    throw refusal('drive-not-connected', `drive ${known.name} is not connected (last seen at ${known.lastPath} on ${known.lastSeenAt.slice(0, 10)})`,
      'plug it in and mount it, or give its path: --drive /path/to/mountpoint');
  }
  // Most often a typo: say which drives are here, so that the right name is one look away.
  const names = lookup.registry.drives.map((d) => d.name);
  const here = detection.labelled.map((d) => d.identity.name);
  throw usageError('unknown-drive', `no drive named "${spec}" is known (${here.length ? `connected: ${here.join(', ')}` : 'no airgap drive is connected'})`,
    names.length ? `known drives: ${names.join(', ')}; or give a path` : 'label a drive first: airgap label <path> --name <NAME>');
}

/**
 * What to say about a folder that is not an airgap drive. Labelling writes an airgap folder into
 * it, so the command is offered only for what may be a backup drive: never the system's root
 * (a typo like `--drive /`) nor a folder being backed up (or one inside or around it).
 */
function notADriveHint(path: string, spec: string, sources: readonly string[]): string {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
  const src = sources.map((x) => resolve(x)).find((x) => within(path, x) || within(x, path));
  if (path === parse(path).root || src) {
    const what = src ? `a folder you back up (${src}) cannot be its own backup drive` : `${path} is the root of the system, not a drive`;
    return `${what}: give the mountpoint of an airgap drive (airgap drives lists the connected ones)`;
  }
  return `label it first: airgap label ${spec} --name <NAME>`;
}

/**
 * A drive whose identity file (drive.json) is damaged or unreadable: readIdentity()'s error
 * (which names the file and what is wrong), with the drive and the exact relabel command.
 * `maybe`: found while looking for `name`, but nothing says it is that drive.
 */
function damagedIdentity(e: unknown, root: string, name: string | undefined, maybe = false): unknown {
  if (!isAirgapError(e)) return e;
  const relabel = `airgap label ${root} --name ${name ?? '<NAME>'} --force`;
  const hint = e.code === 'identity-corrupt' ? `if this is your drive${maybe || !name ? '' : ` ${name}`}, relabel it: ${relabel} (its snapshots are kept)` : e.hint;
  const what = maybe ? `no drive named ${name} was found, but the airgap drive at ${root} cannot be identified`
    : name ? `drive ${name} (at ${root}) cannot be identified` : `the airgap drive at ${root} cannot be identified`;
  return new AirgapError(e.code, `${what}: ${e.message}`, e.exitCode, hint);
}

async function withFingerprint(d: ResolvedDrive, lookup: DriveLookup): Promise<ResolvedDrive> {
  const fp = await lookup.fingerprintOf(d.root);
  if (fp) d.fingerprint = fp;
  return d;
}
