// What is in a drive's airgap folder: snapshots (complete or not), leftovers of interrupted
// runs, and anything else. Only a folder named like a snapshot id that holds SHA256SUMS is a
// complete snapshot: SHA256SUMS is written last, after everything it covers was fsynced.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_PREFIX, SUMS_FILE } from '../core/format.js';
import { compareSnapshotIds, isSnapshotId } from '../core/snapshot-id.js';

export interface SnapshotFolder {
  id: string;
  dir: string;
  complete: boolean;
}

export interface DriveContents {
  snapshots: SnapshotFolder[]; // oldest first
  /** `.partial-*` folders: unfinished backups, never snapshots. */
  leftovers: string[];
}

export async function readDriveContents(airgapDir: string): Promise<DriveContents> {
  const names = await readdir(airgapDir);
  const snapshots: SnapshotFolder[] = [];
  const leftovers: string[] = [];
  for (const name of names) {
    if (name.startsWith(PARTIAL_PREFIX)) leftovers.push(name);
    else if (isSnapshotId(name)) {
      const dir = join(airgapDir, name);
      if (!(await isDir(dir))) continue;
      snapshots.push({ id: name, dir, complete: await exists(join(dir, SUMS_FILE)) });
    }
  }
  snapshots.sort((a, b) => compareSnapshotIds(a.id, b.id));
  leftovers.sort();
  return { snapshots, leftovers };
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string) => stat(p).then(() => true, () => false);
