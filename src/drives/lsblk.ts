// Linux identity beyond drivelist: serial and model of the disk, type/UUID/label of the
// filesystem and the partition UUID, from `lsblk -J -b`. Parsing is pure and tested on captured
// output (fixtures/lsblk/); without a udev database (containers) lsblk leaves filesystem fields
// empty, and `blkid` probes the device directly.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Fingerprint } from '../core/drive-model.js';

const run = promisify(execFile);

export const LSBLK_COLUMNS = 'NAME,PATH,PKNAME,TYPE,SIZE,RM,RO,TRAN,SERIAL,MODEL,FSTYPE,UUID,LABEL,PARTUUID,MOUNTPOINTS';

export interface LsblkNode {
  path: string;
  type: string; // disk, part, loop, crypt, raid1, lvm, rom, ...
  size: number | null;
  removable: boolean;
  readOnly: boolean;
  tran: string | null;
  serial: string | null;
  model: string | null;
  fsType: string | null;
  fsUuid: string | null;
  label: string | null;
  partUuid: string | null;
  mountpoints: string[];
  /** Path of the top-level disk this node belongs to (itself for a disk). */
  disk: string;
}

type Raw = Record<string, unknown> & { children?: Raw[] };

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const bool = (v: unknown): boolean => v === true || v === '1' || v === 1;
const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);

/** Flattens `lsblk -J` output (either MOUNTPOINTS or the older MOUNTPOINT column). */
export function parseLsblk(json: unknown): LsblkNode[] {
  const out: LsblkNode[] = [];
  const walk = (n: Raw, disk: string | undefined) => {
    const path = str(n.path) ?? (str(n.name) ? `/dev/${str(n.name)}` : null);
    if (!path) return;
    const mps = Array.isArray(n.mountpoints) ? n.mountpoints : [n.mountpoint];
    const node: LsblkNode = {
      path,
      type: str(n.type) ?? 'unknown',
      size: num(n.size),
      removable: bool(n.rm),
      readOnly: bool(n.ro),
      tran: str(n.tran),
      serial: str(n.serial),
      model: str(n.model),
      fsType: str(n.fstype),
      fsUuid: str(n.uuid),
      label: str(n.label),
      partUuid: str(n.partuuid),
      mountpoints: mps.map(str).filter((m): m is string => m !== null),
      disk: disk ?? path,
    };
    out.push(node);
    for (const c of n.children ?? []) walk(c, node.disk);
  };
  const devices = (json as { blockdevices?: Raw[] } | null)?.blockdevices;
  if (!Array.isArray(devices)) throw new Error('lsblk output has no "blockdevices" array');
  for (const d of devices) walk(d, undefined);
  return out;
}

/** The fingerprint of the filesystem mounted at `mountpoint`, with its disk's serial and model. */
export function fingerprintAt(nodes: LsblkNode[], mountpoint: string): Fingerprint | undefined {
  const node = nodes.find((n) => n.mountpoints.includes(mountpoint));
  if (!node) return undefined;
  const disk = nodes.find((n) => n.path === node.disk);
  const f: Fingerprint = {};
  const serial = node.serial ?? disk?.serial;
  const model = node.model ?? disk?.model;
  if (serial) f.serial = serial;
  if (model) f.model = model;
  if (node.fsType) f.fsType = node.fsType;
  if (node.fsUuid) f.fsUuid = node.fsUuid;
  if (node.label) f.label = node.label;
  if (node.partUuid) f.partUuid = node.partUuid;
  return f;
}

/** Whether the disk holds a RAID member (its partitions belong to an md array). */
export const isRaidMember = (nodes: LsblkNode[], disk: string): boolean =>
  nodes.some((n) => n.disk === disk && (n.fsType === 'linux_raid_member' || /^raid/.test(n.type)));

export async function readLsblk(): Promise<LsblkNode[]> {
  try {
    const { stdout } = await run('lsblk', ['-J', '-b', '-o', LSBLK_COLUMNS], { timeout: 10_000 });
    return parseLsblk(JSON.parse(stdout));
  } catch {
    // util-linux < 2.37 has no MOUNTPOINTS column.
    const { stdout } = await run('lsblk', ['-J', '-b', '-o', LSBLK_COLUMNS.replace('MOUNTPOINTS', 'MOUNTPOINT')], { timeout: 10_000 });
    return parseLsblk(JSON.parse(stdout));
  }
}

/** `blkid -o export` output → filesystem fields (used when lsblk has no udev data). */
export function parseBlkid(text: string): Fingerprint {
  // blkid escapes spaces and other special characters with a backslash ("LABEL=My\ Drive").
  const unescape = (v: string) => v.replace(/\\(.)/g, '$1');
  const kv = Object.fromEntries(text.split('\n').map((l) => l.split('=')).filter((p) => p.length >= 2).map(([k, ...v]) => [k, unescape(v.join('='))]));
  const f: Fingerprint = {};
  if (kv.TYPE) f.fsType = kv.TYPE;
  if (kv.UUID) f.fsUuid = kv.UUID;
  if (kv.LABEL) f.label = kv.LABEL;
  const partUuid = kv.PARTUUID ?? kv.PART_ENTRY_UUID; // the cache's name, the probe's name
  if (partUuid) f.partUuid = partUuid;
  return f;
}

export async function probeBlkid(device: string): Promise<Fingerprint> {
  try {
    // -p probes the device itself: without it blkid may answer from its cache, which for a
    // couple of seconds after a device is reused (a new disk on the same loop or sd node)
    // still holds the previous filesystem's UUID.
    const { stdout } = await run('blkid', ['-p', '-o', 'export', device], { timeout: 10_000 });
    return parseBlkid(stdout);
  } catch {
    return {};
  }
}
