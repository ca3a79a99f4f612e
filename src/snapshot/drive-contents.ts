// What is in a drive's airgap folder: snapshots (complete or not), leftovers of interrupted
// runs, and anything else. Only a folder named like a snapshot id that holds SHA256SUMS is a
// complete snapshot: SHA256SUMS is written last, after everything it covers was fsynced.
import { readRegularFile } from '../io/read-regular.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_PREFIX, PRUNING_PREFIX, SNAPSHOT_JSON, snapshotMetaSchema, SUMS_FILE } from '../core/format.js';
import { compareSnapshotIds, isSnapshotId } from '../core/snapshot-id.js';

export interface SnapshotFolder {
  id: string;
  dir: string;
  complete: boolean;
}

export interface DriveContents {
  snapshots: SnapshotFolder[]; // oldest first
  /** `.partial-*` (unfinished backups) and `.pruning-*` (interrupted prunes): never snapshots. */
  leftovers: string[];
}

export async function readDriveContents(airgapDir: string): Promise<DriveContents> {
  const names = await readdir(airgapDir);
  const snapshots: SnapshotFolder[] = [];
  const leftovers: string[] = [];
  for (const name of names) {
    if (name.startsWith(PARTIAL_PREFIX) || name.startsWith(PRUNING_PREFIX)) leftovers.push(name);
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

export interface SnapshotSummary {
  id: string;
  state: 'complete' | 'incomplete' | 'damaged';
  bytes: number;
  files: number;
  createdAt?: string;
  problems?: number;
  suspect?: boolean;
}

/** Cheap facts from each snapshot.json (no hashing): `verify` is what proves a snapshot sound. */
export async function summarizeSnapshots(airgapDir: string): Promise<SnapshotSummary[]> {
  const { snapshots } = await readDriveContents(airgapDir);
  return Promise.all(snapshots.map(async (s): Promise<SnapshotSummary> => {
    if (!s.complete) return { id: s.id, state: 'incomplete', bytes: 0, files: 0 };
    try {
      const meta = snapshotMetaSchema.parse(JSON.parse((await readRegularFile(join(s.dir, SNAPSHOT_JSON))).toString('utf8')));
      const summary: SnapshotSummary = { id: s.id, state: 'complete', bytes: meta.bytes.tarball, files: meta.counts.files, createdAt: meta.createdAt, problems: meta.counts.problems };
      if (meta.gate?.suspect && !meta.gate.accepted) summary.suspect = true;
      return summary;
    } catch {
      return { id: s.id, state: 'damaged', bytes: 0, files: 0 };
    }
  }));
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string) => stat(p).then(() => true, () => false);
