// Real disks through drivelist. drivelist loads a native addon, so it is imported here, inside
// the adapter, and only when a real listing is asked for. Its output is mapped by a pure
// function tested on captured JSON (fixtures/drivelist/).
import type { Drive } from 'drivelist';
import type { BlockDevice, Fingerprint } from '../core/drive-model.js';
import type { DriveSource } from './drive-source.js';
import { fingerprintAt, isRaidMember, probeBlkid, readLsblk, type LsblkNode } from './lsblk.js';
import { macFingerprint } from './platform-identity.js';

/** Real mountpoints only: lsblk reports active swap as "[SWAP]". */
const isMountPath = (p: string | undefined): p is string => typeof p === 'string' && (/^\//.test(p) || /^[A-Za-z]:\\/.test(p));

export function fromDrivelist(drives: Drive[], nodes: LsblkNode[]): BlockDevice[] {
  const listed = drives.map((d) => {
    // drivelist looks one level down; a filesystem inside LUKS or LVM is deeper: take lsblk's.
    const nested = nodes.filter((n) => n.disk === d.device).flatMap((n) => n.mountpoints);
    const mountpoints = [...new Set([...(d.mountpoints ?? []).map((m) => m.path), ...nested])].filter(isMountPath);
    const fingerprints: Record<string, Fingerprint> = {};
    for (const mp of mountpoints) {
      const f = fingerprintAt(nodes, mp);
      if (f) fingerprints[mp] = f;
    }
    const dev: BlockDevice = {
      device: d.device,
      description: d.description ?? '',
      size: d.size || null, // macOS and Windows report an unknown size as 0
      mountpoints,
      removable: Boolean(d.isRemovable),
      usb: Boolean(d.isUSB) || d.busType === 'USB',
      card: Boolean(d.isCard) || d.busType === 'SD',
      system: Boolean(d.isSystem),
      virtual: Boolean(d.isVirtual),
      readOnly: Boolean(d.isReadOnly),
      raid: isRaidMember(nodes, d.device),
      error: d.error ? String(d.error) : null,
      fingerprints,
    };
    if (d.busType) dev.busType = d.busType;
    return dev;
  });
  // drivelist leaves loop devices out; lsblk has the mounted ones (offered with --include-loop).
  const known = new Set(listed.map((d) => d.device));
  for (const n of nodes) {
    if (n.type !== 'loop' || known.has(n.path) || !n.size) continue;
    const mountpoints = nodes.filter((c) => c.disk === n.path).flatMap((c) => c.mountpoints).filter(isMountPath);
    const fingerprints: Record<string, Fingerprint> = {};
    for (const mp of mountpoints) {
      const f = fingerprintAt(nodes, mp);
      if (f) fingerprints[mp] = f;
    }
    listed.push({
      device: n.path, description: 'loop device (disk image)', size: n.size, mountpoints, removable: false, usb: false, card: false,
      system: false, virtual: true, readOnly: n.readOnly, raid: false, error: null, fingerprints,
    });
  }
  return listed;
}

export class DrivelistSource implements DriveSource {
  readonly kind = 'drivelist';

  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  async list(): Promise<BlockDevice[]> {
    const { list } = await import('drivelist');
    const drives = await list();
    if (this.platform === 'linux') {
      const nodes = await readLsblk().catch(() => [] as LsblkNode[]);
      const devices = fromDrivelist(drives, nodes);
      // No udev database (containers, some minimal systems): probe the filesystem directly.
      for (const d of devices) {
        for (const mp of d.mountpoints) {
          const f = d.fingerprints[mp] ?? {};
          if (!f.fsUuid) {
            const node = nodes.find((n) => n.mountpoints.includes(mp));
            if (node) d.fingerprints[mp] = { ...f, ...(await probeBlkid(node.path)) };
          }
        }
      }
      return devices;
    }
    const devices = fromDrivelist(drives, []);
    if (this.platform === 'darwin') {
      for (const d of devices) for (const mp of d.mountpoints) d.fingerprints[mp] = await macFingerprint(mp);
    }
    return devices;
  }
}
