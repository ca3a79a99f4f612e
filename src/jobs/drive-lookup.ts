// Which drive sources and mount roots this run looks at. With --drives-root the simulated
// drives are the whole world (tests and the demo must never see the machine's real disks);
// otherwise drivelist plus the usual automount roots, the config's and $AIRGAP_MOUNT_ROOTS.
import { defaultMountRoots, detectDrives, type Detection } from '../drives/detect.js';
import { DirectorySource } from '../drives/directory-source.js';
import { DrivelistSource } from '../drives/drivelist-source.js';
import type { DriveSource } from '../drives/drive-source.js';
import { fingerprintOfPath } from '../drives/platform-identity.js';
import type { DriveLookup } from '../drives/resolve.js';
import { usageError } from '../core/errors.js';
import type { Catalog, CatalogEntry } from '../state/catalog.js';
import type { Environment, Session } from './session.js';

export interface DetectFlags {
  includeLoop?: boolean;
}

export async function detectionOptions(s: Session, flags: DetectFlags = {}) {
  const { env } = s;
  const config = await s.configIfReadable();
  const sources: DriveSource[] = env.drivesRoot ? [new DirectorySource(env.drivesRoot)] : [new DrivelistSource(env.platform)];
  const mountRoots = [
    ...(env.drivesRoot ? [] : defaultMountRoots(env.user, env.platform)),
    ...(config?.drives.mountRoots ?? []),
    ...env.mountRoots,
  ];
  // Looking for drives does not need the catalog: an unreadable state folder only loses its hints.
  const catalog = await s.catalog().catch(() => undefined);
  return {
    sources,
    mountRoots: [...new Set(mountRoots)],
    extraRoots: (catalog?.drives ?? []).map((d) => d.lastPath),
    includeLoop: flags.includeLoop ?? false,
    fingerprintOf: (path: string) => fingerprint(env, path),
  };
}

/** The drives connected now (each call looks again: drives come and go while the wizard waits). */
export async function detect(s: Session, flags: DetectFlags = {}): Promise<Detection> {
  return detectDrives(await detectionOptions(s, flags));
}

/** Simulated drives have no hardware, hence no fingerprint. */
export function fingerprint(env: Pick<Environment, 'drivesRoot' | 'platform'>, path: string) {
  if (env.drivesRoot && (path === env.drivesRoot || path.startsWith(env.drivesRoot + '/'))) return Promise.resolve(undefined);
  return fingerprintOfPath(path, env.platform);
}

/** How a drive named by the user is looked up: one detection at most, shared by the lookups of a run. */
export async function driveLookup(s: Session): Promise<DriveLookup> {
  let cached: Promise<Detection> | undefined;
  const config = await s.configIfReadable();
  return {
    registry: await s.catalog(),
    sources: config?.sources ?? [],
    detect: () => (cached ??= detect(s)),
    fingerprintOf: (path) => fingerprint(s.env, path),
  };
}

/** A drive this host's catalog knows, by name or id, connected or not (forget, accept, reject); exit 2 otherwise. */
export function knownDrive(catalog: Catalog, spec: string): CatalogEntry {
  const entry = catalog.byName(spec) ?? catalog.byId(spec);
  if (entry) return entry;
  const known = catalog.drives.map((d) => d.name);
  throw usageError('unknown-drive', `no drive named ${spec} is known on this host${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    'airgap status lists the drives this host knows; give one of their names');
}
