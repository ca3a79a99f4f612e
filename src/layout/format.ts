// The on-drive format (docs/FORMAT.md is the human version of this file; format 2's snapshots
// are in docs/FORMAT.md).
import { isoUtc, object, v, whole } from '../core/validate.js';

/** The drive's own format (drive.json, the folder layout); format 1 snapshots are written by default. */
export const FORMAT_VERSION = 1;
/**
 * Snapshot formats: 1 (one full tarball), 2 (full or incremental, in chains) and 3 (format 2
 * with its tarball block-gzipped: `<ID>.tar.gz` and its index, docs/FORMAT.md "Format 3").
 */
export type SnapshotFormat = 1 | 2 | 3;
/** The newest snapshot format this airgap reads and writes. */
export const MAX_SNAPSHOT_FORMAT: SnapshotFormat = 3;
/**
 * Formats 2 and 3 keep chains (incremental snapshots, MANIFEST.tsv.gz version 2, REMOVE.nul,
 * RESTORE.txt). Only those two: a snapshot.json naming a format newer than this airgap knows
 * (refused as format-too-new) is not read as chained, as before format 3 existed.
 */
export const isChainedFormat = (format: number): boolean => format === 2 || format === 3;
/** Format 3 stores its tarball as independent gzip members (io/gzip-blocks.ts) with an index (layout/gzip-index.ts). */
export const isCompressedFormat = (format: number): boolean => format === 3;
export const TOOL_NAME = 'airgap';

/** Everything airgap writes on a drive lives in this one visible folder. */
export const DRIVE_DIR = 'airgap';
export const IDENTITY_FILE = 'drive.json';
export const DRIVE_README = 'README.txt';
/** The page that verifies the drive in a browser, with no airgap installed (layout/verify-page.ts). */
export const VERIFY_PAGE = 'verify.html';
export const LOCK_FILE = '.lock';
/** A snapshot being written; never listed as a snapshot, removed by the next run. */
export const PARTIAL_PREFIX = '.partial-';
/** A snapshot being pruned: renamed first, so a prune cut short never leaves a half-deleted snapshot that looks whole. */
export const PRUNING_PREFIX = '.pruning-';

export const SUMS_FILE = 'SHA256SUMS';
export const MANIFEST_FILE = 'MANIFEST.tsv';
export const FILE_SUMS_FILE = 'FILES.sha256';
/**
 * Format 2 gzips the two lists of every file (gzip -1..9 reads them; `gunzip -c FILES.sha256.gz |
 * sha256sum -c` checks a restore). Both describe the whole tree in every snapshot, so in a week
 * of small changes they were 80 % of an increment: 9.6 of 11.8 MB for 40,000 small files
 * (bench S), 3.8 MB gzipped (docs/FORMAT.md).
 */
export const MANIFEST_FILE_GZ = `${MANIFEST_FILE}.gz`;
export const FILE_SUMS_FILE_GZ = `${FILE_SUMS_FILE}.gz`;
/** A snapshot's manifest by its snapshot format: MANIFEST.tsv (1) or MANIFEST.tsv.gz (2). */
export const manifestFileOf = (format: SnapshotFormat, encrypted = false): string => sealedName(isChainedFormat(format) ? MANIFEST_FILE_GZ : MANIFEST_FILE, encrypted);
/** A snapshot's list of file hashes by its snapshot format: FILES.sha256 (1) or FILES.sha256.gz (2). */
export const fileSumsFileOf = (format: SnapshotFormat, encrypted = false): string => sealedName(isChainedFormat(format) ? FILE_SUMS_FILE_GZ : FILE_SUMS_FILE, encrypted);
export const SNAPSHOT_JSON = 'snapshot.json';
/** Format 2: what to remove after extracting a chain (NUL-separated), and the restore commands. */
export const REMOVE_FILE = 'REMOVE.nul';
export const RESTORE_FILE = 'RESTORE.txt';
/** Format 2: the 1 MiB block lists (raw SHA-256s) of the large files this snapshot stores (core/block-delta.ts). */
export const BLOCKS_FILE = 'BLOCKS';
/** A BLOCKS file is read whole: 32 bytes per MiB of large files, so 64 MiB covers 2 TB of them. */
export const MAX_BLOCKS_BYTES = 64 * 1024 * 1024;
/** `<ID>.tar`, or in format 3 `<ID>.tar.gz` (compressed first, then sealed: `<ID>.tar.gz.age`). */
export const tarballName = (id: string, encrypted = false, compressed = false) => sealedName(`${id}.tar${compressed ? '.gz' : ''}`, encrypted);
/**
 * Format 3: the index of the tarball's gzip members (layout/gzip-index.ts), `<ID>.tar.gz.idx`
 * (`<ID>.tar.gz.idx.age` when encrypted), listed in SHA256SUMS. Its offsets are in the stored
 * `.tar.gz` (the age file's plaintext when encrypted, the parts joined when split) and in the tar.
 */
export const gzipIndexName = (id: string, encrypted = false) => sealedName(`${id}.tar.gz.idx`, encrypted);

/**
 * An encrypted snapshot (docs/FORMAT.md "Encrypted drives") stores each of its files but
 * RESTORE.txt, snapshot.json and SHA256SUMS as one age file, named as the plain file plus
 * `.age`: `<ID>.tar.age` (parts `<ID>.tar.age.000`, … joined by cat into one age file),
 * `MANIFEST.tsv.gz.age`, `FILES.sha256.gz.age`, `REMOVE.nul.age`, `BLOCKS.age`, and
 * `snapshot.json.age`, the whole snapshot.json (the plain one keeps only what is not sensitive).
 */
export const SEALED_SUFFIX = '.age';
export const sealedName = (name: string, encrypted: boolean): string => (encrypted ? name + SEALED_SUFFIX : name);
/** The drive key's secret, encrypted with the passphrase (scrypt): `airgap/KEY.age`. */
export const DRIVE_KEY_FILE = 'KEY.age';

/**
 * A tarball too large for one file on the drive (FAT32 holds at most 4 GiB − 1 byte per file)
 * is written in parts `<ID>.tar.000`, `<ID>.tar.001`, … that `cat` joins back into `<ID>.tar`.
 * Every part but the last is exactly the part size; SHA256SUMS lists each part.
 */
export const partName = (id: string, index: number, encrypted = false, compressed = false) => `${tarballName(id, encrypted, compressed)}.${String(index).padStart(3, '0')}`;
export const MAX_PARTS = 1000;
/** The part size on FAT drives: under 4 GiB, a multiple of 64 KiB. */
export const FAT_PART_SIZE = 4 * 1024 ** 3 - 64 * 1024;
/** The smallest part size accepted (tests lower it to exercise parts on small data). */
export const MIN_PART_SIZE = 1024 * 1024;

/** The tarball's files among a snapshot folder's names, in order: `<ID>.tar` alone, or its parts. */
export function tarballFiles(id: string, names: Iterable<string>, encrypted = false, compressed = false): string[] {
  const all = [...names];
  const whole = tarballName(id, encrypted, compressed);
  if (all.includes(whole)) return [whole];
  const prefix = `${whole}.`;
  return all.filter((n) => n.startsWith(prefix) && /^\d{3}$/.test(n.slice(prefix.length))).sort();
}

export const DRIVE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export const identitySchema = object({
  format: v.literal('airgap-drive'),
  formatVersion: whole(1),
  id: v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/, 'a UUID')),
  name: v.pipe(v.string(), v.regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-" (max 40)')),
  createdAt: isoUtc(),
  createdBy: v.string(),
  host: v.string(),
  /** An encrypted drive (issue 18): the keys its snapshots are encrypted to; its host is then "". */
  encryption: v.optional(object({ scheme: v.literal('age'), recipients: v.array(v.string()) })),
});
export type DriveIdentity = v.InferOutput<typeof identitySchema>;

const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'));
const count = whole(0);

export const problemSchema = object({
  path: v.string(),
  /** 'silent-change' (format 2, --reread): content changed while size, times, inode and device did not. */
  kind: v.picklist(['vanished', 'unreadable', 'changed', 'special', 'bad-name', 'excluded-target', 'silent-change']),
  message: v.string(),
});
export type SourceProblem = v.InferOutput<typeof problemSchema>;

export const snapshotMetaSchema = object({
  format: v.literal('airgap-snapshot'),
  formatVersion: whole(1),
  id: v.string(),
  createdAt: isoUtc(),
  completedAt: isoUtc(),
  host: v.string(),
  drive: object({ id: v.string(), name: v.string() }),
  sources: v.array(object({ path: v.string(), root: v.string() })),
  excludes: v.array(v.string()),
  counts: object({
    files: count,
    dirs: count,
    symlinks: count,
    hardlinks: count,
    problems: count,
  }),
  bytes: object({ content: count, tarball: count }),
  tarball: object({
    name: v.string(),
    size: count,
    sha256,
    /** Only when the tarball was split (FAT drives): the parts in order. Added in format 1 as an optional field. */
    parts: v.optional(v.array(object({ name: v.string(), size: count, sha256 }))),
    /**
     * Format 3 only: the tarball is block-gzipped (`gzip -dc` of it, its parts joined, is the
     * tar): the tar's size (what MANIFEST.tsv's offsets count in) and the index file's name.
     * `size` and `sha256` above are of the stored `.tar.gz` (or `.tar.gz.age`).
     */
    gzip: v.optional(object({ tarSize: count, index: v.string() })),
  }),
  previous: v.nullable(object({ id: v.string(), sha256sums: sha256 })),
  problems: v.array(problemSchema),
  problemsTruncated: v.boolean(),
  tool: object({ name: v.string(), version: v.string() }),
  /**
   * An encrypted snapshot (format 2 only): the age recipients (`age1…`) its files are encrypted
   * to. This snapshot.json then has host, sources, excludes, problems and the gate's reasons
   * empty; the whole one is snapshot.json.age.
   */
  encryption: v.optional(object({ scheme: v.literal('age'), recipients: v.array(v.string()) })),
  /** Format 2: a full holds every file; an incremental only what changed since its base. */
  kind: v.optional(v.picklist(['full', 'incremental'])),
  /** Format 2, incremental: the snapshot it builds on (the one before it on the same drive). */
  base: v.optional(v.string()),
  /** Format 2: the ids of its chain, its full first, itself last. */
  chain: v.optional(v.array(v.string())),
  /** Format 2: the files carried forward from the chain (not in this tarball), and their bytes. */
  carried: v.optional(object({ files: count, bytes: count })),
  /** Format 2: files stored as their changed blocks (core/block-delta.ts), and the bytes of those blocks. */
  delta: v.optional(object({ files: count, bytes: count })),
  /** Format 2: the tarball holds `.airgap-delta/` members (a stock restore removes that folder after extracting it). */
  deltaMembers: v.optional(v.boolean()),
  /** The mass-change gate's findings (added in format 1 as an optional field). */
  gate: v.optional(object({
    suspect: v.boolean(),
    accepted: v.boolean(),
    reasons: v.array(v.string()),
    comparedWith: v.string(),
    counts: object({ oldFiles: count, newFiles: count, added: count, deleted: count, modified: count, renamed: count, encrypted: count }),
  })),
});
export type SnapshotMeta = v.InferOutput<typeof snapshotMetaSchema>;

/** snapshot.json keeps at most this many problem paths; the backup's output lists them all. */
export const MAX_RECORDED_PROBLEMS = 1000;

// Caps on what is read from a drive (docs/FORMAT.md, "Size limits"): a drive is untrusted
// input, and a forged 1 GB file must cost a refusal, not a gigabyte of memory or a crash.
/**
 * The longest line of MANIFEST.tsv or FILES.sha256, without its newline. A path is at most
 * 4096 bytes (PATH_MAX; restore refuses longer) and so is a link target; escaped (`\xHH`:
 * 4 bytes each) both fit in 32 KiB, plus seven short fields.
 */
export const MAX_MANIFEST_LINE_BYTES = 64 * 1024;
/** SHA256SUMS: at most 1000 parts plus three files, about 100 bytes a line. */
export const MAX_SUMS_BYTES = 1024 * 1024;
/**
 * snapshot.json: at most 1000 problem paths (MAX_RECORDED_PROBLEMS) of up to 4096 bytes, even
 * all JSON-escaped (6 bytes a character), stay under 25 MB.
 */
export const MAX_SNAPSHOT_JSON_BYTES = 32 * 1024 * 1024;
