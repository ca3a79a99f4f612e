// The hardware fingerprint of the filesystem holding a path, per platform:
// - Linux: findmnt tells the device behind the path; lsblk (or blkid) its serial and UUIDs;
// - macOS: `diskutil info` gives the volume and partition UUIDs (no serial: "not available");
// - Windows and others: not available (documented in docs/drives.md).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Fingerprint } from '../core/drive-model.js';
import { fingerprintAt, probeBlkid, readLsblk } from './lsblk.js';

const run = promisify(execFile);

export interface MountInfo {
  target: string;
  source: string;
  fsType: string;
}

/** The mount that holds `path` (Linux findmnt); undefined when unknown. */
export async function mountOf(path: string): Promise<MountInfo | undefined> {
  try {
    const { stdout } = await run('findmnt', ['-J', '-T', path, '-o', 'TARGET,SOURCE,FSTYPE'], { timeout: 10_000 });
    return parseFindmnt(JSON.parse(stdout));
  } catch {
    return undefined;
  }
}

export function parseFindmnt(json: unknown): MountInfo | undefined {
  const fs = (json as { filesystems?: { target?: string; source?: string; fstype?: string }[] } | null)?.filesystems?.[0];
  if (!fs?.target || !fs.source) return undefined;
  return { target: fs.target, source: fs.source, fsType: fs.fstype ?? '' };
}

export async function fingerprintOfPath(path: string, platform: NodeJS.Platform = process.platform): Promise<Fingerprint | undefined> {
  if (platform === 'darwin') return macFingerprint(path);
  if (platform !== 'linux') return undefined;
  const mount = await mountOf(path);
  if (!mount || !mount.source.startsWith('/dev/')) return undefined; // tmpfs, overlay, network: no hardware
  const nodes = await readLsblk().catch(() => []);
  const f = fingerprintAt(nodes, mount.target) ?? {};
  return f.fsUuid ? f : { ...f, ...(await probeBlkid(mount.source)) };
}

/** `diskutil info <path>` → volume UUID and partition UUID. */
export function parseDiskutilInfo(text: string): Fingerprint {
  const get = (key: string) => new RegExp(`^\\s*${key}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const f: Fingerprint = {};
  const volume = get('Volume UUID');
  const part = get('Disk / Partition UUID');
  const fsType = get('Type \\(Bundle\\)');
  const label = get('Volume Name');
  const model = get('Device / Media Name');
  if (volume) f.fsUuid = volume;
  if (part) f.partUuid = part;
  if (fsType) f.fsType = fsType;
  if (label) f.label = label;
  if (model) f.model = model;
  return f;
}

export async function macFingerprint(path: string): Promise<Fingerprint> {
  try {
    const { stdout } = await run('diskutil', ['info', path], { timeout: 10_000 });
    return parseDiskutilInfo(stdout);
  } catch {
    return {};
  }
}
