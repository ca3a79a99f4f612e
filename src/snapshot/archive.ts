// Phase 2 of a backup: stream the scanned entries into one pax tarball, hashing every member
// and the whole tarball on the way, and write the per-file manifests beside it.
import type { SourceProblem } from '../layout/format.js';
import { formatManifestLine, formatManifestLineV2, MANIFEST_COLUMNS, MANIFEST_COLUMNS_V2, MANIFEST_HEADER, MANIFEST_HEADER_V2, type DeltaLink, type ManifestEntry } from '../layout/manifest.js';
import { formatSumLine } from '../layout/sha256sums.js';
import type { HashedWriter } from '../io/hashed-writer.js';
import type { TarOut } from './tar-out.js';
import type { TextOut } from '../io/gzip-text-writer.js';
import { SMALL_FILE } from './read-source.js';
import { openBatchReader, type BatchReader, type SmallRead } from './small-reader.js';
import type { ScanEntries, ScanEntry } from './scan.js';
import { encodeHeader, END_OF_ARCHIVE } from '../layout/tar-header.js';
import { NOT_READY, ReadAhead, SLOTS } from './read-ahead.js';
import { CARRY, CHECK_SILENT, STORE, type CarryPlan } from './carry-plan.js';
import { checkLarge, sameAsScanned } from './carry-check.js';
import { DELTA_MIN_SIZE } from '../core/block-delta.js';
import { carriedEntry, manifestEntry, silentChangeMessage, storedFile, type Loop, type Stored } from './archive-file.js';
import { archiveLargeV2 } from './archive-large.js';
import { streamLarge } from './stream-large.js';

export interface ArchiveOutputs {
  /** The tar bytes: the stored `.tar` (formats 1, 2), or format 3's block-gzipping writer (gzip-tar-out.ts). */
  tar: TarOut;
  /** MANIFEST.tsv and FILES.sha256 (gzipped in format 2: io/gzip-text-writer.ts). */
  manifest: TextOut;
  fileSums: TextOut;
  /** Format 2: the snapshot's BLOCKS file, created on first use (most snapshots have no large file). */
  blocks?: () => Promise<HashedWriter>;
  /** The BLOCKS file if it was made, to finish with the others. */
  blocksWriter?: () => HashedWriter | undefined;
}

export interface ArchiveProgress {
  entries: number;
  bytes: number;
  current: string;
}

export interface ArchiveOptions {
  onProgress?: (p: ArchiveProgress) => void;
  /** Called for every file stored (and every hard link to one), with the entropy of its first bytes and its scan's change stamp (the gate's baseline); a promise returned is awaited before the next entry. */
  onStored?: (e: ManifestEntry, entropy: number, stamp: string) => Promise<void> | void;
  /** Called on every chunk read or written: feeds the no-progress watchdog. */
  tick?: (where: string) => void;
  /** A reader from openArchiveReader(), closed by the caller; else one is opened and closed here. */
  reader?: BatchReader;
  /**
   * Called for every member written, with the offset of its first header in the tarball (its
   * parts as one stream): what format 2's MANIFEST.tsv records so that one member can be read
   * alone (layout/member-at.ts).
   */
  onMember?: (path: string, offset: number) => void;
  /**
   * Format 2: MANIFEST.tsv version 2 (every line says where its content is), and for an
   * incremental snapshot the plan of what is carried forward from the chain.
   */
  format2?: {
    carry?: CarryPlan;
    /** This snapshot's id: the name of its delta members. */
    id?: string;
    /** The chain's checked block list of a file (snapshot, offset in its BLOCKS, the file's size then), or undefined. */
    blockList?: (id: string, offset: number, size: number) => Promise<Buffer | undefined>;
    /** The most `dd` lines this snapshot's deltas may take (core/block-delta.ts MAX_DD_LINES). */
    maxDdLines?: number;
  };
}

/** A delta'd file of this snapshot's tree (stored now or carried), for RESTORE.txt. */
export interface DeltaFile {
  path: string;
  mtime: number;
  links: DeltaLink[];
}

export interface ArchiveCounts {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  contentBytes: number;
  /** Format 2: files whose content is in an earlier tarball of the chain, and their bytes. */
  carried: { files: number; bytes: number };
  /** Format 2: files stored as their changed blocks, the bytes of those blocks, and the `dd` lines they take in RESTORE.txt. */
  delta: { files: number; bytes: number; lines: number };
  /** Format 2: the tarball holds `.airgap-delta/` members (also unused ones, see large-delta.ts). */
  deltaMembers: boolean;
  /** Format 2: every line of the tree with a `delta` field, in archive order. */
  deltaFiles: DeltaFile[];
}


/** Progress is reported at most every this many entries (and after every large file). */
const PROGRESS_EVERY = 256;

/** The small-file reader writeArchive uses; open it first to hash the tarball on its thread too. */
export const openArchiveReader = (): BatchReader => openBatchReader(SLOTS);

export async function writeArchive(
  entries: ScanEntries,
  out: ArchiveOutputs,
  problems: SourceProblem[],
  opts: ArchiveOptions = {},
): Promise<ArchiveCounts> {
  if (opts.reader) return archiveEntries(entries, out, problems, opts, opts.reader);
  const reader = openArchiveReader();
  try {
    return await archiveEntries(entries, out, problems, opts, reader);
  } finally {
    await reader.close();
  }
}


/** Appends text if it fits in the writer's buffer (no promise, no allocation); else a pending write. */
const text = (w: TextOut, s: string): Promise<void> | undefined => (w.putText(s) ? undefined : w.write(s));

async function archiveEntries(entries: ScanEntries, out: ArchiveOutputs, problems: SourceProblem[], opts: ArchiveOptions, reader: BatchReader): Promise<ArchiveCounts> {
  const counts: ArchiveCounts = {
    files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0, carried: { files: 0, bytes: 0 },
    delta: { files: 0, bytes: 0, lines: 0 }, deltaMembers: false, deltaFiles: [],
  };
  const firstCopy: Loop['firstCopy'] = new Map();
  const tick = opts.tick ?? (() => {});
  const v2 = opts.format2 !== undefined;
  const carry = opts.format2?.carry;
  // Carried files are never read: the read-ahead passes them by.
  const ahead = new ReadAhead(entries, reader, carry ? (i) => carry.actionOf(i) === CARRY : undefined);
  await out.manifest.write(v2 ? `${MANIFEST_HEADER_V2}\n${MANIFEST_COLUMNS_V2}\n` : `${MANIFEST_HEADER}\n${MANIFEST_COLUMNS}\n`);
  let offset = 0; // where the current entry's member, if any, starts
  // Small files, the bulk of most trees, go through without an await when nothing has to wait:
  // each await (and each object made per file) adds up over 100,000 files, in time and in
  // garbage that outlives V8's young generation.
  // The offset is passed beside the entry, not in a copy of it: a copy per line ({ ...e, offset })
  // grew the old generation ~1.2 MB per scavenge against ~0.1 for format 1 (the sampled
  // allocations promoted: the line's entry and strings), ~65 MB of peak RSS at 400,000 files.
  const record = (e: ManifestEntry): Promise<void> | undefined => {
    const line = text(out.manifest, v2 ? formatManifestLineV2(e, offset) : formatManifestLine(e));
    if (!e.sha256) return line;
    const sum = formatSumLine({ sha256: e.sha256, name: e.path });
    return line ? line.then(() => out.fileSums.write(sum)) : text(out.fileSums, sum);
  };

  const loop: Loop = { out, problems, opts, counts, firstCopy, ahead, carry, tick, record, storedWait: undefined, blocksOut: undefined };
  for (let i = 0; i < entries.length; i++) {
    const e = entries.at(i); // a short-lived object: the list itself is kept compact
    tick(e.abs);
    offset = out.tar.written;
    let pending: Promise<void> | undefined;
    const plan = e.kind === 'file' && carry ? carry.actionOf(i) : STORE;
    if (plan === CARRY) {
      pending = record(carriedEntry(loop, e, i, entries.stamp(i)));
    } else if (e.kind === 'dir') {
      await out.tar.write(encodeHeader({ path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, type: 'Directory', size: 0 }));
      pending = record(manifestEntry('dir', e.path, e.mode, e.uid, e.gid, 0, e.mtime, undefined, undefined));
      counts.dirs++;
    } else if (e.kind === 'symlink') {
      await out.tar.write(encodeHeader({ path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, type: 'SymbolicLink', size: 0, linkpath: e.link! }));
      pending = record(manifestEntry('symlink', e.path, e.mode, e.uid, e.gid, 0, e.mtime, undefined, e.link!));
      counts.symlinks++;
    } else {
      pending = archiveFile(loop, entries, i, e, plan);
    }
    if (pending) await pending;
    // A full baseline buffer's write: not waited for, files that need no await (carried ones) queued one each (300 MB at 400,000 files).
    if (loop.storedWait) await loop.storedWait;
    loop.storedWait = undefined;
    // After the entry's own writes (a file read late is appended inside `pending`).
    if (out.tar.written > offset) {
      out.tar.memberEnd?.(); // format 3: a gzip block may be cut here
      opts.onMember?.(e.path, offset);
    }
    if (opts.onProgress && (i % PROGRESS_EVERY === 0 || e.size > SMALL_FILE || i === entries.length - 1)) {
      opts.onProgress({ entries: i + 1, bytes: counts.contentBytes, current: e.path });
    }
  }
  await out.tar.write(END_OF_ARCHIVE);
  return counts;
}


/**
 * One regular file: a hard link to a first copy, carried forward (format 2), or read and stored.
 * A small file already read and not to be checked, the bulk of most trees, is appended without
 * an await (undefined, or the manifest write still pending); anything else goes the slow way.
 */
function archiveFile(loop: Loop, entries: ScanEntries, i: number, e: ScanEntry, plan: number): Promise<void> | undefined {
  const key = e.nlink > 1 ? `${e.dev}:${e.ino}` : undefined;
  const first = key === undefined ? undefined : loop.firstCopy.get(key);
  if (first) {
    // Stored as a tar hard link to the first copy, which GNU tar and bsdtar re-link.
    loop.ahead.discard(i);
    loop.counts.hardlinks++;
    const entry = manifestEntry('hardlink', e.path, e.mode, e.uid, e.gid, first.size, e.mtime, first.sha256, first.path);
    // The gate's baseline lists every name the scan does: else the gate and `diff` count it as added on every backup.
    loop.storedWait = loop.opts.onStored?.(entry, first.entropy, entries.stamp(i)) ?? undefined;
    return loop.out.tar.write(encodeHeader({ path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, type: 'Link', size: 0, linkpath: first.path }))
      .then(() => loop.record(entry));
  }
  const small = loop.ahead.ready(i);
  if (plan !== STORE || !small || small === NOT_READY || !('off' in small)) return archiveFileSlow(loop, entries, i, e, plan, key, small);
  // Read, hashed and packed (header, data, padding) by the reader worker: just append it.
  if (small.problem) loop.problems.push({ path: e.abs, ...small.problem });
  const { tar } = loop.out;
  if (tar.putRange(small.slot, small.off, small.off + small.len)) return storedFile(loop, entries, i, e, small, key);
  return tar.write(small.slot.subarray(small.off, small.off + small.len)).then(() => storedFile(loop, entries, i, e, small, key));
}

async function archiveFileSlow(loop: Loop, entries: ScanEntries, i: number, e: ScanEntry, plan: number, key: string | undefined, ready: SmallRead | undefined | typeof NOT_READY): Promise<void> {
  const { out, problems, carry, tick } = loop;
  const small = ready === NOT_READY ? await loop.ahead.take(i) : ready;
  if (small === undefined && e.size >= DELTA_MIN_SIZE && loop.opts.format2 && out.blocks) return archiveLargeV2(loop, entries, i, e, plan, key);
  // Read to check against the chain's copy: the same content (and header) is carried, not stored again.
  const expected = plan === STORE ? undefined : carry!.where(i).sha256;
  const read = expected === undefined ? undefined
    : small && 'off' in small ? (!small.problem && sameAsScanned(small, e) ? small.sha256 : undefined)
      : small === undefined ? await checkLarge(e, tick) : undefined;
  const same = read !== undefined && read === expected;
  if (read !== undefined && !same && plan === CHECK_SILENT) problems.push({ path: e.abs, kind: 'silent-change', message: silentChangeMessage(carry!.where(i).in) });
  if (same) return loop.record(carriedEntry(loop, e, i, entries.stamp(i), small && 'off' in small ? small.entropy : undefined));
  let stored: Stored | undefined;
  if (small && 'off' in small) {
    if (small.problem) problems.push({ path: e.abs, ...small.problem });
    if (!out.tar.putRange(small.slot, small.off, small.off + small.len)) await out.tar.write(small.slot.subarray(small.off, small.off + small.len));
    stored = small;
  } else if (small && 'skip' in small) {
    problems.push({ path: e.abs, ...small.skip });
  } else {
    stored = await streamLarge(e, out.tar, (p) => problems.push({ path: e.abs, ...p }), tick);
  }
  if (stored) await storedFile(loop, entries, i, e, stored, key);
}
