// What a drive's filesystem means for writing a snapshot, probed once per backup:
// - whether it limits the size of one file (FAT12/16/32: 4 GiB − 1 byte), so that the tarball
//   must be written in parts. On Linux the statfs magic tells a kernel FAT mount, and findmnt
//   the type of a FUSE one (fusefat); elsewhere the filesystem type that lsblk/diskutil
//   reported for the drive (its fingerprint) is used. exFAT has no such limit;
// - whether its driver is known to lose data under airgap's write protocol: fusefat renames a
//   non-empty folder without its contents (measured: `mv d e` leaves `e` empty), so each
//   finished snapshot would vanish at its rename into place.
import { statfs } from 'node:fs/promises';
import { refusal } from '../core/errors.js';
import { mountOf } from './platform-identity.js';

const MSDOS_SUPER_MAGIC = 0x4d44;
const FUSE_SUPER_MAGIC = 0x65735546;

export function isFatType(fsType: string | undefined): boolean {
  return !!fsType && /^(fuse\.)?(v?fat(12|16|32)?|msdos|ms-dos.*|fusefat)$/i.test(fsType.trim());
}

export interface FilesystemTraits {
  /** At most 4 GiB − 1 byte per file. */
  fatLimit: boolean;
  /** Mounted through fusefat: airgap does not write there. */
  fusefat: boolean;
}

export async function probeFilesystem(dir: string, fsType: string | undefined, platform: NodeJS.Platform): Promise<FilesystemTraits> {
  const traits = { fatLimit: isFatType(fsType), fusefat: false };
  if (platform !== 'linux') return traits;
  const s = await statfs(dir).catch(() => undefined);
  if (s?.type === MSDOS_SUPER_MAGIC) traits.fatLimit = true;
  if (s?.type === FUSE_SUPER_MAGIC) {
    const mounted = (await mountOf(dir))?.fsType;
    traits.fusefat = mounted === 'fuse.fusefat';
    traits.fatLimit ||= isFatType(mounted);
  }
  return traits;
}

export async function hasFatFileLimit(dir: string, fsType: string | undefined, platform: NodeJS.Platform): Promise<boolean> {
  return (await probeFilesystem(dir, fsType, platform)).fatLimit;
}

export function unsafeFilesystem(driveName: string) {
  return refusal('unsafe-filesystem', `drive ${driveName} is mounted with fusefat, which loses the contents of renamed folders; airgap will not write through it`,
    'mount the drive with the kernel FAT driver (plug it in, or: mount -t vfat <device> <dir>), or format it exFAT; reading (verify, list, restore) is safe');
}
