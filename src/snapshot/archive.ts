// Phase 2 of a backup: stream the scanned entries into one pax tarball, hashing every member
// and the whole tarball on the way, and write the per-file manifests beside it.
import { createHash, type Hash } from 'node:crypto';
import { entropyOf } from '../core/change-analysis.js';
import type { SourceProblem } from '../core/format.js';
import { formatManifestLine, MANIFEST_COLUMNS, MANIFEST_HEADER, type ManifestEntry } from '../core/manifest.js';
import { formatSumLine } from '../core/sha256sums.js';
import type { HashedWriter } from './hashed-writer.js';
import { changedWhileRead, openSource, SMALL_FILE, type HeaderStat, type Problem } from './read-source.js';
import { BATCH_BYTES, ENTROPY_SAMPLE } from './small-batch.js';
import { openBatchReader, type BatchReader, type SmallRead } from './small-reader.js';
import type { ScanEntry } from './scan.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from './tar-header.js';

/** Small files are read in batches, a few batches ahead of the archive loop. */
const BATCH_FILES = 256;
const BATCHES_AHEAD = 3;
/** Slots of the shared buffer: a batch's slot is reused once all its files are in the tarball. */
const SLOTS = BATCHES_AHEAD + 1;

export interface ArchiveOutputs {
  tar: HashedWriter;
  manifest: HashedWriter;
  fileSums: HashedWriter;
}

export interface ArchiveProgress {
  entries: number;
  bytes: number;
  current: string;
}

export interface ArchiveOptions {
  onProgress?: (p: ArchiveProgress) => void;
  /** Called for every file stored, with the entropy of its first bytes (the gate's baseline). */
  onStored?: (e: ManifestEntry, entropy: number) => void;
  /** Called on every chunk read or written: feeds the no-progress watchdog. */
  tick?: (where: string) => void;
}

export interface ArchiveCounts {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  contentBytes: number;
}

interface Stored {
  size: number;
  sha256: string;
  header: HeaderStat;
  /** Entropy of the first ENTROPY_SAMPLE bytes. */
  entropy: number;
}

export { ENTROPY_SAMPLE } from './small-batch.js';

/** Progress is reported at most every this many entries (and after every large file). */
const PROGRESS_EVERY = 256;

export async function writeArchive(
  entries: ScanEntry[],
  out: ArchiveOutputs,
  problems: SourceProblem[],
  opts: ArchiveOptions = {},
): Promise<ArchiveCounts> {
  const reader = openBatchReader(SLOTS);
  try {
    return await archiveEntries(entries, out, problems, opts, reader);
  } finally {
    await reader.close();
  }
}

async function archiveEntries(entries: ScanEntry[], out: ArchiveOutputs, problems: SourceProblem[], opts: ArchiveOptions, reader: BatchReader): Promise<ArchiveCounts> {
  const counts: ArchiveCounts = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0 };
  const firstCopy = new Map<string, { path: string; size: number; sha256: string }>();
  const tick = opts.tick ?? (() => {});
  const ahead = new ReadAhead(entries, reader);
  await out.manifest.write(`${MANIFEST_HEADER}\n${MANIFEST_COLUMNS}\n`);

  const record = async (e: ManifestEntry) => {
    await out.manifest.write(formatManifestLine(e));
    if (e.sha256) await out.fileSums.write(formatSumLine({ sha256: e.sha256, name: e.path }));
  };

  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    tick(e.abs);
    const common = { path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
    if (e.kind === 'dir') {
      await out.tar.write(encodeHeader({ ...common, type: 'Directory', size: 0 }));
      await record({ ...common, type: 'dir', size: 0 });
      counts.dirs++;
    } else if (e.kind === 'symlink') {
      await out.tar.write(encodeHeader({ ...common, type: 'SymbolicLink', size: 0, linkpath: e.link! }));
      await record({ ...common, type: 'symlink', size: 0, link: e.link! });
      counts.symlinks++;
    } else {
      const key = `${e.dev}:${e.ino}`;
      const first = e.nlink > 1 ? firstCopy.get(key) : undefined;
      if (first) {
        // Stored as a tar hard link to the first copy, which GNU tar and bsdtar re-link.
        ahead.discard(i);
        await out.tar.write(encodeHeader({ ...common, type: 'Link', size: 0, linkpath: first.path }));
        await record({ ...common, type: 'hardlink', size: first.size, sha256: first.sha256, link: first.path });
        counts.hardlinks++;
      } else {
        const report = (p: Problem) => problems.push({ path: e.abs, ...p });
        const stored = await archiveFile(e, await ahead.take(i), out.tar, report, tick);
        if (stored) {
          const entry: ManifestEntry = { ...common, ...stored.header, type: 'file', size: stored.size, sha256: stored.sha256 };
          await record(entry);
          opts.onStored?.(entry, stored.entropy);
          if (e.nlink > 1) firstCopy.set(key, { path: e.path, size: stored.size, sha256: stored.sha256 });
          counts.files++;
          counts.contentBytes += stored.size;
        }
      }
    }
    if (opts.onProgress && (i % PROGRESS_EVERY === 0 || e.size > SMALL_FILE || i === entries.length - 1)) {
      opts.onProgress({ entries: i + 1, bytes: counts.contentBytes, current: e.path });
    }
  }
  await out.tar.write(END_OF_ARCHIVE);
  return counts;
}

/** Archives one regular file; returns undefined when it was skipped (reported as a problem). */
async function archiveFile(
  e: ScanEntry, small: SmallRead | undefined, tar: HashedWriter, report: (p: Problem) => void, tick: (where: string) => void,
): Promise<Stored | undefined> {
  if (small && 'skip' in small) return void report(small.skip);
  if (small && 'member' in small) {
    // Read, hashed and packed (header, data, padding) by the reader worker: just append it.
    if (small.problem) report(small.problem);
    if (!tar.put(small.member)) await tar.write(small.member);
    return { size: small.size, sha256: small.sha256, header: small.header, entropy: small.entropy };
  }
  return streamLarge(e, tar, report, tick);
}

/** A large file: header first (with the size at open), then the body straight into the writer's buffer. */
async function streamLarge(e: ScanEntry, tar: HashedWriter, report: (p: Problem) => void, tick: (where: string) => void): Promise<Stored | undefined> {
  const opened = await openSource(e.abs, e);
  if ('skip' in opened) return void report(opened.skip);
  const { fh, before, header } = opened;
  let reported = false;
  const once = (p: Problem) => {
    if (!reported) report(p);
    reported = true;
  };
  try {
    const size = before.size;
    const hash = createHash('sha256');
    await tar.write(encodeHeader({ path: e.path, type: 'File', ...header, size }));
    let off = 0;
    let entropy: number | undefined;
    while (off < size) {
      if (tar.room < 65536) await tar.flush();
      const want = Math.min(tar.room, size - off);
      let got: number;
      try {
        got = (await fh.read(tar.buffer, tar.pos, want, off)).bytesRead;
      } catch (err) {
        // The header is already out: keep the archive well-formed, zero-fill, and say so.
        once({ kind: 'unreadable', message: `read error at byte ${off} (${(err as NodeJS.ErrnoException).code}); the rest of the file is stored as zeros` });
        got = 0;
      }
      if (got === 0) {
        once({ kind: 'changed', message: `shrank while being read (${off} of ${size} bytes); padded with zeros` });
        await fillZeros(tar, hash, size - off);
        break;
      }
      hash.update(tar.buffer.subarray(tar.pos, tar.pos + got));
      if (entropy === undefined) entropy = entropyOf(tar.buffer.subarray(tar.pos, tar.pos + Math.min(got, ENTROPY_SAMPLE)));
      tar.commit(got);
      off += got;
      tick(e.abs);
    }
    await tar.writeZeros(padding(size));
    const extra = (await fh.read(Buffer.alloc(1), 0, 1, size)).bytesRead;
    if (extra > 0) once({ kind: 'changed', message: `grew while being read; stored its first ${size} bytes` });
    const changed = await changedWhileRead(fh, before);
    if (changed) once(changed);
    return { size, sha256: hash.digest('hex'), header, entropy: entropy ?? 0 };
  } finally {
    await fh.close();
  }
}

async function fillZeros(tar: HashedWriter, hash: Hash, n: number) {
  const zeros = Buffer.alloc(Math.min(n, 1 << 16));
  while (n > 0) {
    const k = Math.min(n, zeros.length);
    hash.update(zeros.subarray(0, k));
    await tar.write(zeros.subarray(0, k));
    n -= k;
  }
}

/**
 * Reads upcoming small files before the archive loop reaches them, in batches (a worker
 * thread reads each batch with synchronous calls), a bounded number of batches ahead, so that
 * memory stays bounded and order stays the archive order.
 */
class ReadAhead {
  private slots = new Map<number, { batch: Batch; pos: number }>();
  private next = 0; // next entry index to consider
  private live = 0; // batches with entries not yet taken
  private batches = 0; // batches started, for round-robin slots

  constructor(private readonly entries: ScanEntry[], private readonly reader: BatchReader) {}

  /** The read for entry i if it is a small file, undefined for large files. */
  async take(i: number): Promise<SmallRead | undefined> {
    this.fill(i);
    const slot = this.slots.get(i);
    if (!slot) return undefined;
    this.release(i, slot.batch);
    const r = (await slot.batch.result)[slot.pos]!;
    return 'tooBig' in r ? undefined : r;
  }

  /** Entry i turned out to be a hard link: its data is not needed. */
  discard(i: number): void {
    const slot = this.slots.get(i);
    if (slot) this.release(i, slot.batch);
  }

  private release(i: number, batch: Batch): void {
    this.slots.delete(i);
    if (--batch.remaining === 0) this.live--;
  }

  private fill(current: number): void {
    if (this.next < current) this.next = current;
    while (this.live < BATCHES_AHEAD && this.next < this.entries.length) {
      const indexes: number[] = [];
      let bytes = 0;
      while (this.next < this.entries.length && indexes.length < BATCH_FILES && bytes < BATCH_BYTES) {
        const e = this.entries[this.next]!;
        if (e.kind === 'file' && e.size <= SMALL_FILE) {
          indexes.push(this.next);
          bytes += e.size;
        }
        this.next++;
      }
      if (indexes.length === 0) break;
      // Round robin over SLOTS > BATCHES_AHEAD: batches finish in archive order, so the slot
      // reused here belongs to a batch whose members are all in the tarball already.
      const result = this.reader.read(indexes.map((k) => {
        const { abs, path, dev, ino } = this.entries[k]!;
        return { abs, path, dev, ino };
      }), this.batches++ % SLOTS);
      result.catch(() => {}); // surfaced by take()
      const batch: Batch = { result, remaining: indexes.length };
      indexes.forEach((k, pos) => this.slots.set(k, { batch, pos }));
      this.live++;
    }
  }
}

interface Batch {
  result: Promise<SmallRead[]>;
  remaining: number;
}
