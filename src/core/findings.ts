// Verification results are data, never exceptions: a report lists every finding so that one
// damaged snapshot never hides the state of the others.

export type Severity = 'damage' | 'warning' | 'note';

export interface Finding {
  severity: Severity;
  code: string; // stable: checksum-mismatch, missing-file, member-damaged, ...
  message: string;
  file?: string; // a file in the snapshot folder
  member?: string; // a path inside the tarball
  expected?: string;
  actual?: string;
  /** Format 2, a chain finding: the snapshot of the chain it is about (the missing or damaged link). */
  link?: string;
  /** Format 2, a damaged snapshot: every snapshot whose chain runs through it (they cannot be restored from this drive). */
  dependants?: string[];
  /**
   * `--deep`: files of those snapshots whose content is in what is damaged of this tarball (the
   * first DEPENDANT_FILES_SHOWN), and how many there are in all.
   */
  dependantFiles?: { snapshot: string; path: string }[];
  dependantFilesTotal?: number;
  /** A file that could not be read: the error's code (EIO: the drive failed to read it; core/drive-health counts those). */
  errno?: string;
}

/** A damaged snapshot's finding names at most this many of the files that depend on it: there may be 400,000. */
export const DEPENDANT_FILES_SHOWN = 20;

export type SnapshotStatus = 'ok' | 'damaged' | 'incomplete';

export interface SnapshotReport {
  id: string;
  status: SnapshotStatus;
  deep: boolean;
  findings: Finding[];
  files?: number;
  bytes?: number;
  /** Tarball bytes read and hashed. */
  bytesRead: number;
  membersChecked?: number;
  /** `--sample`: members read at their offsets, of the files whose content is in this tarball, and their bytes. */
  sampled?: { members: number; of: number; bytes: number };
}

export interface DriveReport {
  drive: { id: string; name: string };
  path: string;
  snapshots: SnapshotReport[];
  leftovers: string[];
  /**
   * The airgap run holding the drive's lock right now (a live holder; a stale lock is none):
   * while it runs, its .partial-* folder is the snapshot being written, not a leftover.
   */
  inProgress?: { pid: number; host: string; command: string; startedAt: string };
  /** Drive-level findings: snapshots missing without a prune by this host, entries that are not snapshots, FAT rename leftovers. */
  driveFindings?: Finding[];
  ok: boolean;
}

export const damaged = (findings: Finding[]) => findings.some((f) => f.severity === 'damage');
