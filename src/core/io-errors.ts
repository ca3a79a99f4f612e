// Turns the errno of a failed drive operation into the user-facing refusal it means.
// Pure: takes the error's fields, touches nothing.
import { AirgapError, refusal } from './errors.js';

export interface ErrnoLike {
  code?: string;
  message?: string;
}

/** Errors meaning the device itself went away (unplugged, powered off, USB reset). */
export const DEVICE_GONE = new Set(['EIO', 'ENXIO', 'ENODEV', 'ESHUTDOWN', 'ENOTCONN', 'ESTALE']);

export function driveWriteError(err: ErrnoLike, driveLabel: string): AirgapError | undefined {
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return refusal('drive-full', `drive ${driveLabel} is full`, 'free space on the drive (or prune old snapshots) and run the backup again; nothing was changed');
    case 'EROFS':
      return refusal('drive-read-only', `drive ${driveLabel} is mounted read-only`, 'remount it read-write (or check its write-protect switch), then run again');
    case 'EACCES':
    case 'EPERM':
      return refusal('drive-not-writable', `no permission to write on drive ${driveLabel}`, 'check the ownership of its airgap/ folder or run as the user who owns it');
    case 'EFBIG':
      return refusal('file-too-large', `drive ${driveLabel} cannot hold a file this large (FAT32 is limited to 4 GiB)`, 'run the backup with --part-size 4G (the tarball is then written in parts), or use an exFAT, NTFS, ext4 or APFS drive; nothing was changed');
    case 'ENOENT':
      // Our own folder on the drive vanished under us: the drive was unmounted or unplugged.
      return refusal('drive-removed', `drive ${driveLabel} was removed (its airgap folder disappeared)`, 'plug it back in and run again; the unfinished snapshot will be cleaned up');
    default:
      if (err.code && DEVICE_GONE.has(err.code)) {
        return refusal('drive-removed', `drive ${driveLabel} was removed or stopped responding (${err.code})`, 'plug it back in and run again; the unfinished snapshot will be cleaned up');
      }
      return undefined;
  }
}
