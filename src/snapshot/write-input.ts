// What the snapshot writer (write-snapshot.ts) is given: where, what, and the hooks through
// which the job watches and steers it (the gate's look, room on a full drive, progress).
import type { ChainPolicy } from '../core/chains.js';
import type { ListingEntry } from '../core/change-analysis.js';
import type { SnapshotFormat, SnapshotMeta } from '../layout/format.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { ArchiveProgress } from './archive.js';
import type { ScanResult, SourceRoot } from './scan.js';

export interface WriteSnapshotInput {
  airgapDir: string;
  drive: { id: string; name: string };
  roots: SourceRoot[];
  excludes: string[];
  clock: () => Date;
  toolVersion: string;
  dryRun?: boolean;
  /** Refuse (and write nothing) when any source path cannot be stored as it is. */
  strict?: boolean;
  /** Aborting (Ctrl+C) removes the unfinished snapshot and fails with exit 130. */
  signal?: AbortSignal;
  /** Milliseconds without progress before giving up (default 120 s). */
  stallMs?: number;
  onScanned?: (scan: { files: number; bytes: number; entries: number; estimate: number }) => void;
  /** Runs on the scan before anything is written; its findings go into snapshot.json. */
  inspect?: (scan: ScanResult) => Promise<SnapshotMeta['gate'] | undefined>;
  /**
   * The snapshot needs `need` bytes and the drive has `free`: make room (under the lock, before
   * any write) and return the free bytes then, or throw the refusal. `flagged`: the mass-change
   * gate flagged this snapshot (nothing may be removed for it). Absent: refused as it is.
   */
  makeRoom?: (need: number, free: number, flagged: boolean) => Promise<number>;
  /**
   * Every file stored, with the entropy of its first bytes; `stamp`: the scan's change stamp, or
   * undefined when it cannot vouch (changed just before the scan).
   */
  onStored?: (e: ManifestEntry, entropy: number, stamp: string | undefined) => void | Promise<void>;
  onProgress?: (p: ArchiveProgress & { totalEntries: number; totalBytes: number }) => void;
  /** Split the tarball into parts of at most this many bytes (FAT drives); undefined: one file. */
  partSize?: number;
  /** Runs just before the rename into place (the commit); throwing aborts the snapshot. */
  beforeCommit?: () => Promise<void>;
  /**
   * Encrypt the snapshot to these age recipients (`age1…`; formats 2 and 3 only): docs/FORMAT.md
   * "Encrypted drives". Undefined: written in the clear.
   */
  encryption?: { recipients: string[]; /** One of them is the drive key (the drive carries KEY.age): RESTORE.txt opens it with the passphrase. */ driveKey?: string };
  /** The snapshot format to write (default 1; docs/FORMAT.md for 2 and 3). */
  format?: SnapshotFormat;
  /** Format 2: when to start a new full, and what may be carried forward without reading. */
  chainOptions?: {
    policy?: ChainPolicy;
    forceFull?: boolean;
    /** Read every file, even those every sign says are unchanged (`--reread`). */
    reread?: boolean;
    /** Every Nth increment of a chain reads every file, as --reread (0 or undefined: never). */
    rereadEvery?: number;
    /** Snapshots whose last verification found damage: a chain through one ends. */
    damaged?: ReadonlySet<string>;
    /** The host's gate baseline (state/baseline.ts): its change stamps vouch for files not read again. */
    host?: () => AsyncIterator<ListingEntry>;
    /** core/change-stamp.ts RACY_SECONDS unless given (tests). */
    racySeconds?: number;
    /** core/block-delta.ts MAX_DD_LINES unless given (tests). */
    maxDdLines?: number;
  };
}
