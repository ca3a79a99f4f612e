// The restore target, checked before anything of the snapshot is read (issue 17 §4): a `--to`
// that is a file, that cannot be created (a file where a parent folder should be), that is not
// writable, or that lies on the backup drive itself is refused at once, not after a long
// verification read. Free space needs the manifest (the selected files' bytes): it is checked
// once the manifest is read, still before any tarball byte.
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, realpath, stat, statfs } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import { refusal } from '../core/errors.js';

export interface TargetPlace {
  target: string;
  /** The target folder as it is now (stat: a --to that is a link to a folder is that folder); undefined: it will be created. */
  existing: Stats | undefined;
  /** The target, or its nearest existing parent folder: where the space is. */
  nearest: string;
}

const NEW_OR_EMPTY = 'give a new folder, or a folder of yours, with --to (on another disk than the backup drive)';

/** Every check of the target that needs nothing of the snapshot; `driveRoot`: the drive restored from. */
export async function checkTarget(target: string, driveRoot: string | undefined): Promise<TargetPlace> {
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw refusal('target-not-a-folder', `${target} exists and is not a folder`, NEW_OR_EMPTY);
  let nearest = target;
  let st = existing;
  while (!st) {
    const up = dirname(nearest);
    if (up === nearest) break;
    nearest = up;
    st = await stat(nearest).catch(() => undefined);
  }
  if (st && !st.isDirectory()) {
    throw refusal('target-not-a-folder', `${target} cannot be created: ${nearest} is a file, not a folder`, NEW_OR_EMPTY);
  }
  await access(nearest, constants.W_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
    throw refusal('target-not-writable', `${existing ? target : `${target} cannot be created: ${nearest}`} is not writable (${e.code ?? e.message})`, NEW_OR_EMPTY);
  });
  if (driveRoot !== undefined && (await onDrive(nearest, driveRoot))) {
    throw refusal('target-on-drive', `${target} is on the backup drive itself (${driveRoot}): a restore never writes onto the drive it reads`, 'restore onto another disk, e.g. --to ~/restored');
  }
  return { target, existing, nearest };
}

/** Whether `path` (which exists) is the drive's folder or inside it, links resolved on both sides. */
async function onDrive(path: string, driveRoot: string): Promise<boolean> {
  const [p, root] = await Promise.all([realpath(path).catch(() => path), realpath(driveRoot).catch(() => driveRoot)]);
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses a restore whose files cannot fit: the staging folder holds every selected file before
 * anything is promoted, so the room needed is their whole size (what --overwrite replaces is
 * freed only afterwards). Filesystems that do not report their space are not checked.
 */
export async function checkSpace(place: TargetPlace, need: number): Promise<void> {
  const s = await statfs(place.nearest).catch(() => undefined);
  if (!s || s.blocks === 0) return;
  const free = s.bavail * s.bsize;
  if (need <= free) return;
  const { default: prettyBytes } = await import('pretty-bytes');
  throw refusal('target-no-space', `not enough space for the restore in ${place.target}: the selected files need ${prettyBytes(need)}, ${prettyBytes(free)} is free there; nothing was read or written`,
    'free space there, restore onto a larger disk, or restore fewer paths');
}
