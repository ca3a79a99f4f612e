// The whole disk under a mounted drive (what smartctl reads): findmnt names the device mounted
// there (a partition, a LUKS mapping), lsblk the disk at the top of its tree. Linux only; a
// simulated drive (a folder under --drives-root) or a folder on the system disk has none.
import { readLsblk, type LsblkNode } from './lsblk.js';
import { mountOf } from './platform-identity.js';

/** The disk holding the filesystem mounted at `root`, or undefined (not Linux, not a mount of a block device). */
export async function diskOf(root: string, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  if (platform !== 'linux') return undefined;
  const mount = await mountOf(root);
  // The drive must be a mount of its own: a folder on the system disk is no drive to judge.
  if (!mount || mount.target !== root || !mount.source.startsWith('/dev/')) return undefined;
  const nodes = await readLsblk().catch(() => [] as LsblkNode[]);
  return diskOfSource(nodes, mount.source);
}

export function diskOfSource(nodes: LsblkNode[], source: string): string | undefined {
  const node = nodes.find((n) => n.path === source);
  return node ? node.disk : undefined;
}

/**
 * Whether the disk `device` holds the filesystem mounted at `root`: a --device given by hand is
 * checked, so that one disk's SMART is never recorded as another drive's. Undefined when lsblk
 * does not list the device (not Linux, or a name lsblk does not know): nothing to check against.
 */
export async function deviceHolds(device: string, root: string): Promise<boolean | undefined> {
  const nodes = await readLsblk().catch(() => [] as LsblkNode[]);
  if (!nodes.some((n) => n.path === device)) return undefined;
  return nodes.some((n) => (n.path === device || n.disk === device) && n.mountpoints.includes(root));
}
