// Whether a drive's filesystem limits the size of one file (FAT12/16/32: 4 GiB − 1 byte), so
// that the tarball must be written in parts. On Linux the statfs magic tells a kernel FAT
// mount, and findmnt the type of a FUSE one (fusefat); elsewhere the filesystem type that
// lsblk/diskutil reported for the drive (its fingerprint) is used. exFAT has no such limit.
import { statfs } from 'node:fs/promises';
import { refusal } from '../core/errors.js';
import { mountOf } from './platform-identity.js';

const MSDOS_SUPER_MAGIC = 0x4d44;
const FUSE_SUPER_MAGIC = 0x65735546;

export function isFatType(fsType: string | undefined): boolean {
  return !!fsType && /^(fuse\.)?(v?fat(12|16|32)?|msdos|ms-dos.*|fusefat)$/i.test(fsType.trim());
}

export async function hasFatFileLimit(dir: string, fsType: string | undefined, platform: NodeJS.Platform): Promise<boolean> {
  if (isFatType(fsType)) return true;
  if (platform !== 'linux') return false;
  const s = await statfs(dir).catch(() => undefined);
  if (s?.type === MSDOS_SUPER_MAGIC) return true;
  if (s?.type === FUSE_SUPER_MAGIC) return isFatType((await mountOf(dir))?.fsType);
  return false;
}

/**
 * Filesystem drivers known to lose data under airgap's write protocol. fusefat (a FUSE FAT
 * driver) renames a non-empty folder without its contents (measured: `mv d e` leaves `e`
 * empty), so the finished snapshot would vanish at its rename into place.
 */
export async function refuseUnsafeFilesystem(dir: string, driveName: string, platform: NodeJS.Platform): Promise<void> {
  if (platform !== 'linux') return;
  const s = await statfs(dir).catch(() => undefined);
  if (s?.type !== FUSE_SUPER_MAGIC) return;
  const type = (await mountOf(dir))?.fsType;
  if (type === 'fuse.fusefat') {
    throw refusal('unsafe-filesystem', `drive ${driveName} is mounted with fusefat, which loses the contents of renamed folders; airgap will not write through it`,
      'mount the drive with the kernel FAT driver (plug it in, or: mount -t vfat <device> <dir>), or format it exFAT; reading (verify, list, restore) is safe');
  }
}
