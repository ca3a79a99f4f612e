// What is in a drive's airgap folder: snapshots (complete or not), leftovers of interrupted
// runs, and anything else. Only a real folder (not a symlink) named like a snapshot id that
// holds SHA256SUMS is a complete snapshot: SHA256SUMS is written last, after everything it
// covers was fsynced. Entries are looked at with lstat: a link on the drive is never followed
// (it could lead anywhere on the host), it is reported as an unknown entry.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DRIVE_KEY_FILE, DRIVE_README, IDENTITY_FILE, VERIFY_PAGE, LOCK_FILE, PARTIAL_PREFIX, PRUNING_PREFIX, SUMS_FILE } from './format.js';
import { readSnapshotMeta } from './snapshot-meta.js';
import { compareSnapshotIds, isSnapshotId } from './snapshot-id.js';

export interface SnapshotFolder {
  id: string;
  dir: string;
  complete: boolean;
}

/** Something under airgap/ that airgap did not put there (or not in that form). */
export interface UnknownEntry {
  name: string;
  /** What it is: 'a symlink', 'a folder', 'a file', ... */
  what: string;
  /** Named like a snapshot id, but not a real folder: a snapshot that is not one. */
  snapshotName: boolean;
}

export interface DriveContents {
  snapshots: SnapshotFolder[]; // oldest first
  /** `.partial-*` (unfinished backups) and `.pruning-*` (interrupted prunes): never snapshots. */
  leftovers: string[];
  /**
   * Leftovers whose snapshot X is also there (.partial-X or .pruning-X next to X): after a power
   * cut during a rename on FAT/exFAT both directory entries may point at the same clusters, so
   * neither may be deleted: the filesystem needs a check (fsck) first.
   */
  twins: string[];
  /** Links, files and folders that are neither snapshots, leftovers nor airgap's own files. */
  unknown: UnknownEntry[];
}

/** airgap's own files in airgap/ (and the temporary names writeFileAtomic uses for them). */
const OWN_FILES = new Set([IDENTITY_FILE, DRIVE_README, VERIFY_PAGE, DRIVE_KEY_FILE, LOCK_FILE, `${LOCK_FILE}.takeover`]);
const OWN_TEMP = new RegExp(`^\\.(${[IDENTITY_FILE, DRIVE_README, VERIFY_PAGE, DRIVE_KEY_FILE].map((n) => n.replace('.', '\\.')).join('|')})\\.tmp-\\d+$`);

export async function readDriveContents(airgapDir: string): Promise<DriveContents> {
  const names = await readdir(airgapDir);
  const snapshots: SnapshotFolder[] = [];
  const leftovers: string[] = [];
  const unknown: UnknownEntry[] = [];
  for (const name of names) {
    const st = await lstat(join(airgapDir, name)).catch(() => undefined);
    if (!st) continue; // gone meanwhile
    if (name.startsWith(PARTIAL_PREFIX) || name.startsWith(PRUNING_PREFIX)) {
      // Only a real folder is something of ours to finish off; a link is never followed nor removed.
      if (st.isDirectory()) leftovers.push(name);
      else unknown.push({ name, what: kindOf(st), snapshotName: false });
    } else if (isSnapshotId(name) && st.isDirectory()) {
      const dir = join(airgapDir, name);
      snapshots.push({ id: name, dir, complete: await lstat(join(dir, SUMS_FILE)).then(() => true, () => false) });
    } else if (isSnapshotId(name)) unknown.push({ name, what: kindOf(st), snapshotName: true });
    else if (!(OWN_FILES.has(name) && st.isFile()) && !(OWN_TEMP.test(name) && st.isFile())) unknown.push({ name, what: kindOf(st), snapshotName: false });
  }
  snapshots.sort((a, b) => compareSnapshotIds(a.id, b.id));
  leftovers.sort();
  unknown.sort((a, b) => (a.name < b.name ? -1 : 1));
  const present = new Set(names);
  const twins = leftovers.filter((l) => present.has(leftoverTarget(l)));
  return { snapshots, leftovers, twins, unknown };
}

/** The snapshot id a leftover's name refers to (.partial-X, .pruning-X → X). */
export const leftoverTarget = (name: string) =>
  name.startsWith(PARTIAL_PREFIX) ? name.slice(PARTIAL_PREFIX.length) : name.slice(PRUNING_PREFIX.length);

function kindOf(st: { isSymbolicLink(): boolean; isDirectory(): boolean; isFile(): boolean; isFIFO(): boolean }): string {
  return st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a folder' : st.isFile() ? 'a file' : st.isFIFO() ? 'a FIFO' : 'a special file';
}

/** Why a leftover next to its snapshot is left alone, and what the user does about it. */
export function twinMessage(leftover: string): string {
  return `${leftover} and ${leftoverTarget(leftover)} are both on the drive: a rename cut short by a power cut on a FAT/exFAT drive leaves two entries that may share the same data, so airgap deletes neither; unmount the drive and check its filesystem (fsck.vfat -n / fsck.exfat -n, or chkdsk on Windows); once it is sound, verify ${leftoverTarget(leftover)} and remove ${leftover} by hand`;
}

/** One line for a report: what the unknown entry is, and why it is not a snapshot. */
export function describeUnknown(u: UnknownEntry): string {
  return u.snapshotName
    ? `${u.name} is named like a snapshot but is ${u.what}, not a snapshot folder: not followed, not verified`
    : `${u.name} (${u.what}) is not something airgap wrote: not a snapshot (renamed, damaged, or put there by hand?)`;
}

export interface SnapshotSummary {
  id: string;
  state: 'complete' | 'incomplete' | 'damaged';
  bytes: number;
  files: number;
  createdAt?: string;
  problems?: number;
  suspect?: boolean;
  /** Format 2: full or incremental, and for an increment its base. */
  kind?: 'full' | 'incremental';
  base?: string;
  /** Its snapshot.json's formatVersion: a chain never mixes formats, so the plan needs it too. */
  format?: number;
}

/** Cheap facts from each snapshot.json (no hashing): `verify` is what proves a snapshot sound. */
export async function summarizeSnapshots(airgapDir: string): Promise<SnapshotSummary[]> {
  const { snapshots } = await readDriveContents(airgapDir);
  return Promise.all(snapshots.map(async (s): Promise<SnapshotSummary> => {
    if (!s.complete) return { id: s.id, state: 'incomplete', bytes: 0, files: 0 };
    try {
      const meta = await readSnapshotMeta(s);
      const summary: SnapshotSummary = { id: s.id, state: 'complete', bytes: meta.bytes.tarball, files: meta.counts.files, createdAt: meta.createdAt, problems: meta.counts.problems };
      if (meta.gate?.suspect && !meta.gate.accepted) summary.suspect = true;
      if (meta.kind) summary.kind = meta.kind;
      if (meta.base !== undefined) summary.base = meta.base;
      summary.format = meta.formatVersion;
      return summary;
    } catch {
      return { id: s.id, state: 'damaged', bytes: 0, files: 0 };
    }
  }));
}
