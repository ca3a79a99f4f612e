// Which drive sources and mount roots this run looks at. With --drives-root the simulated
// drives are the whole world (tests and the demo must never see the machine's real disks);
// otherwise drivelist plus the usual automount roots, the config's and $AIRGAP_MOUNT_ROOTS.
import { defaultMountRoots, detectDrives, type Detection } from '../drives/detect.js';
import { DirectorySource } from '../drives/directory-source.js';
import { DrivelistSource } from '../drives/drivelist-source.js';
import type { DriveSource } from '../drives/drive-source.js';
import { fingerprintOfPath } from '../drives/platform-identity.js';
import { Catalog } from '../state/catalog.js';
import type { DriveLookup } from '../drives/resolve.js';
import { loadConfig } from './config.js';
import type { Context } from './context.js';

export interface DetectFlags {
  includeLoop?: boolean;
}

export async function detectionOptions(ctx: Context, flags: DetectFlags = {}, registry?: Catalog) {
  const config = await loadConfig(ctx.configPath, false).catch(() => undefined);
  const sources: DriveSource[] = ctx.drivesRoot ? [new DirectorySource(ctx.drivesRoot)] : [new DrivelistSource(ctx.platform)];
  const mountRoots = [
    ...(ctx.drivesRoot ? [] : defaultMountRoots(ctx.user, ctx.platform)),
    ...(config?.drives.mountRoots ?? []),
    ...ctx.mountRoots,
  ];
  return {
    sources,
    mountRoots: [...new Set(mountRoots)],
    extraRoots: registry?.drives.map((d) => d.lastPath) ?? [],
    includeLoop: flags.includeLoop ?? false,
    fingerprintOf: (path: string) => fingerprint(ctx, path),
  };
}

export async function detect(ctx: Context, flags: DetectFlags = {}, registry?: Catalog): Promise<Detection> {
  const reg = registry ?? (await Catalog.load(ctx.stateDir).catch(() => undefined));
  return detectDrives(await detectionOptions(ctx, flags, reg));
}

/** Simulated drives have no hardware, hence no fingerprint. */
export function fingerprint(ctx: Context, path: string) {
  if (ctx.drivesRoot && (path === ctx.drivesRoot || path.startsWith(ctx.drivesRoot + '/'))) return Promise.resolve(undefined);
  return fingerprintOfPath(path, ctx.platform);
}

export function driveLookup(ctx: Context, registry: Catalog): DriveLookup {
  let cached: Promise<Detection> | undefined;
  return {
    registry,
    detect: () => (cached ??= detect(ctx, {}, registry)),
    fingerprintOf: (path) => fingerprint(ctx, path),
  };
}
