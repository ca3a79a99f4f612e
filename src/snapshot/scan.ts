// Phase 1 of a backup: walk the sources ourselves (never node-tar), lstat every path, and
// produce the sorted list of what will be archived. Special files and unreadable folders are
// recorded as problems, never silently dropped and never opened (a FIFO would block a reader).
// Synchronous calls: a scan is one long series of tiny metadata calls, and the async API's round
// trip through libuv's pool cost 5× more per entry (measured on 5,000 files).
// Every stat asks for BigInts: only they carry the nanoseconds and a 64-bit inode exactly, and a
// change stamp (core/change-stamp.ts) needs both.
import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { compareNames } from '../core/archive-order.js';
import { changeStamp, u64Decimal } from '../core/change-stamp.js';
import { usageError } from '../core/errors.js';
import type { SourceProblem } from '../layout/format.js';

export interface SourceRoot {
  /** Absolute path of the source folder on this machine. */
  path: string;
  /** Top-level folder name inside the tarball. */
  root: string;
}

export interface ScanEntry {
  abs: string;
  /** Path inside the archive ('/'-separated, root folder first). */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number; // whole seconds
  dev: number;
  ino: number;
  nlink: number;
  link?: string;
  // No change stamp here: ScanEntries.stamp(i) makes it, once, only where a stamp is wanted.
}

const KINDS = ['file', 'dir', 'symlink'] as const;
// Numbers of an entry, in columns: those that may exceed 2^32 as doubles, the others as uint32.
// Times are whole seconds (MTIME, CTIME: as the file system has them, before 1970 too) and their
// nanoseconds; dev and ino are 64 bits as two halves, exact where a double would round above 2^53.
const SIZE = 0, MTIME = 1, CTIME = 2, WIDE = 3;
const KIND = 0, MODE = 1, UID = 2, GID = 3, NLINK = 4, ROOT = 5, MTIME_NS = 6, CTIME_NS = 7, DEV_HI = 8, DEV_LO = 9, INO_HI = 10, INO_LO = 11, NARROW = 12;
const NS_PER_S = 1_000_000_000n;
const TWO_32 = 2 ** 32;
/** Entries per chunk of the columns: they grow by chunks, never by copying. */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/**
 * The scanned entries, in archive order, stored as columns: one (flat) path string per entry,
 * its numbers in typed arrays, symlink targets aside. A backup keeps the whole list in memory,
 * so its size per entry is what memory grows by with the number of files. Measured at 400,000
 * files: one object per entry (with `abs`, every number boxed, each path a tree of three
 * strings) took 375 bytes; this 56 bytes of numbers plus the path (about 40 bytes). `abs` is
 * derived from the source root when asked for. The change stamp's ctime and nanoseconds add 16
 * bytes (72 of numbers); the stamp itself is made when asked for, never kept as a string.
 */
export class ScanEntries implements Iterable<ScanEntry> {
  private readonly wide: Float64Array[] = [];
  private readonly narrow: Uint32Array[] = [];
  private readonly paths: string[] = [];
  private readonly links = new Map<number, string>();
  /** Per source root: its absolute path, the prefix that replaces its archive name in `abs`. */
  private readonly roots: { abs: string; base: string; name: string }[] = [];

  get length(): number {
    return this.paths.length;
  }

  addRoot(abs: string, name: string): number {
    const base = join(abs, '.');
    this.roots.push({ abs, base: base === '/' ? '' : base, name });
    return this.roots.length - 1;
  }

  push(root: number, path: string, kind: ScanEntry['kind'], size: number, st: BigIntStats, link?: string): void {
    const i = this.paths.length;
    if ((i & MASK) === 0) {
      this.wide.push(new Float64Array(CHUNK * WIDE));
      this.narrow.push(new Uint32Array(CHUNK * NARROW));
    }
    const w = this.wide[i >> CHUNK_BITS]!;
    const n = this.narrow[i >> CHUNK_BITS]!;
    const wi = (i & MASK) * WIDE;
    const ni = (i & MASK) * NARROW;
    w[wi + SIZE] = size;
    putTime(w, wi + MTIME, n, ni + MTIME_NS, st.mtimeNs);
    putTime(w, wi + CTIME, n, ni + CTIME_NS, st.ctimeNs);
    putU64(n, ni + DEV_HI, st.dev);
    putU64(n, ni + INO_HI, st.ino);
    n[ni + KIND] = KINDS.indexOf(kind);
    n[ni + MODE] = Number(st.mode) & 0o7777;
    n[ni + UID] = Number(st.uid);
    n[ni + GID] = Number(st.gid);
    n[ni + NLINK] = Number(st.nlink);
    n[ni + ROOT] = root;
    path.charCodeAt(0); // flattens it now: V8 keeps a concatenation as a tree of strings otherwise
    this.paths.push(path);
    if (link !== undefined) this.links.set(i, link);
  }

  private w(i: number, field: number): number {
    return this.wide[i >> CHUNK_BITS]![(i & MASK) * WIDE + field]!;
  }

  private n(i: number, field: number): number {
    return this.narrow[i >> CHUNK_BITS]![(i & MASK) * NARROW + field]!;
  }

  kind(i: number): ScanEntry['kind'] {
    return KINDS[this.n(i, KIND)]!;
  }

  size(i: number): number {
    return this.w(i, SIZE);
  }

  path(i: number): string {
    return this.paths[i]!;
  }

  /** Where the entry is on this machine. */
  abs(i: number): string {
    const r = this.roots[this.n(i, ROOT)]!;
    const path = this.paths[i]!;
    return path.length === r.name.length ? r.abs : r.base + path.slice(r.name.length);
  }

  link(i: number): string | undefined {
    return this.links.get(i);
  }

  /** As a plain (non-BigInt) stat has it: rounded to a double above 2^53, like Number(bigint). */
  dev(i: number): number {
    return this.n(i, DEV_HI) * TWO_32 + this.n(i, DEV_LO);
  }

  ino(i: number): number {
    return this.n(i, INO_HI) * TWO_32 + this.n(i, INO_LO);
  }

  /**
   * Whole seconds, 0 before 1970 (tar's field), computed as before the scan had nanoseconds:
   * from the milliseconds a plain stat gives, so that it equals what snapshot/read-source.ts
   * reads (floor(mtimeMs / 1000) is a second late in the last hundred-odd nanoseconds of one).
   */
  mtime(i: number): number {
    return Math.max(0, Math.floor((this.w(i, MTIME) * 1000 + this.n(i, MTIME_NS) / 1e6) / 1000));
  }

  /** The change stamp of entry i (core/change-stamp.ts), made on each call. */
  stamp(i: number): string {
    return changeStamp(this.w(i, SIZE), this.w(i, MTIME), this.n(i, MTIME_NS), this.w(i, CTIME), this.n(i, CTIME_NS),
      u64Decimal(this.n(i, DEV_HI), this.n(i, DEV_LO)), u64Decimal(this.n(i, INO_HI), this.n(i, INO_LO)));
  }

  // Field by field for the per-file paths that need no `abs` (carry-plan.ts).
  nlink(i: number): number { return this.n(i, NLINK); }
  mode(i: number): number { return this.n(i, MODE); }
  uid(i: number): number { return this.n(i, UID); }
  gid(i: number): number { return this.n(i, GID); }

  /** Entry i as an object (made on each call: for code that is not on a per-file hot path). */
  at(i: number): ScanEntry {
    return {
      abs: this.abs(i), path: this.paths[i]!, kind: this.kind(i), size: this.w(i, SIZE), mode: this.n(i, MODE), uid: this.n(i, UID),
      gid: this.n(i, GID), mtime: this.mtime(i), dev: this.dev(i), ino: this.ino(i), nlink: this.n(i, NLINK), link: this.links.get(i),
    };
  }

  *[Symbol.iterator](): Iterator<ScanEntry> {
    for (let i = 0; i < this.paths.length; i++) yield this.at(i);
  }

}

/** Seconds into a double column, nanoseconds into a uint32 one: floored, as a timespec (-1.5 s is -2 s + 0.5 s). */
function putTime(w: Float64Array, wi: number, n: Uint32Array, ni: number, ns: bigint): void {
  const s = ns / NS_PER_S - (ns < 0n && ns % NS_PER_S !== 0n ? 1n : 0n); // BigInt division truncates toward zero
  w[wi] = Number(s);
  n[ni] = Number(ns - s * NS_PER_S);
}

/** A 64-bit number into two uint32 columns, high half first: through a double when that is exact. */
function putU64(n: Uint32Array, at: number, v: bigint): void {
  const x = Number(v);
  if (Number.isSafeInteger(x)) {
    n[at] = Math.floor(x / TWO_32);
    n[at + 1] = x >>> 0; // x mod 2^32
  } else {
    n[at] = Number(v >> 32n);
    n[at + 1] = Number(v & 0xffffffffn);
  }
}

export interface ScanResult {
  entries: ScanEntries;
  problems: SourceProblem[];
  files: number;
  bytes: number;
}

export interface ScanOptions {
  excludes: string[];
  /** dev:ino of folders never to descend into (the drive's own airgap folder). */
  skipDirs?: Set<string>;
  onProgress?: (entries: number) => void;
}

/** Byte order of UTF-8 names: stable across platforms and locales. */
const byBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

export function excludeMatcher(patterns: string[]): (relPath: string) => boolean {
  if (patterns.length === 0) return () => false;
  // Patterns without a slash match a name at any depth (like tar --exclude); patterns with a
  // slash match the path relative to the source folder.
  const byName = picomatch(patterns.filter((p) => !p.includes('/')), { dot: true });
  const byPath = picomatch(patterns.filter((p) => p.includes('/')).map((p) => p.replace(/^\/+/, '')), { dot: true });
  return (rel) => byName(rel.slice(rel.lastIndexOf('/') + 1)) || byPath(rel);
}

export async function scanSources(roots: SourceRoot[], opts: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { entries: new ScanEntries(), problems: [], files: 0, bytes: 0 };
  const excluded = excludeMatcher(opts.excludes);
  const problem = (path: string, kind: SourceProblem['kind'], message: string) =>
    result.problems.push({ path, kind, message });

  const visit = async (root: number, abs: string, path: string, rel: string, isRoot: boolean): Promise<void> => {
    let st;
    try {
      // A source root given as a symlink is followed once; nothing below it ever is.
      st = isRoot ? statSync(abs, { bigint: true }) : lstatSync(abs, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return void problem(abs, 'vanished', 'vanished before it could be read');
      return void problem(abs, 'unreadable', `cannot stat: ${code ?? (e as Error).message}`);
    }
    if (st.isFile()) {
      const size = Number(st.size);
      result.entries.push(root, path, 'file', size, st);
      result.files++;
      result.bytes += size;
    } else if (st.isSymbolicLink()) {
      try {
        const raw = readlinkSync(abs, { encoding: 'buffer' });
        const link = raw.toString('utf8');
        // Like names: a target that is not valid UTF-8 cannot be stored verbatim.
        if (!Buffer.from(link).equals(raw)) return void problem(abs, 'bad-name', 'symlink target is not valid UTF-8; skipped');
        result.entries.push(root, path, 'symlink', 0, st, link);
      } catch (e) {
        problem(abs, 'unreadable', `cannot read link: ${(e as NodeJS.ErrnoException).code}`);
      }
    } else if (st.isDirectory()) {
      // Numbers, not BigInts: the key is made from a plain stat (prepare-snapshot.ts).
      if (opts.skipDirs?.has(`${Number(st.dev)}:${Number(st.ino)}`)) {
        return void problem(abs, 'excluded-target', 'is the backup drive itself; skipped');
      }
      result.entries.push(root, path, 'dir', 0, st);
      let names: Buffer[];
      try {
        names = readdirSync(abs, { encoding: 'buffer' });
      } catch (e) {
        return void problem(abs, 'unreadable', `cannot list folder: ${(e as NodeJS.ErrnoException).code}; stored empty`);
      }
      names.sort(byBytes);
      for (const raw of names) {
        const name = raw.toString('utf8');
        const childAbs = join(abs, name);
        if (!Buffer.from(name).equals(raw)) {
          // Tar paths here are UTF-8; a name that is not valid UTF-8 cannot round-trip.
          problem(childAbs, 'bad-name', 'name is not valid UTF-8; skipped (rename it to back it up)');
          continue;
        }
        const childRel = rel ? `${rel}/${name}` : name;
        if (excluded(childRel)) continue;
        await visit(root, childAbs, `${path}/${name}`, childRel, false);
        opts.onProgress?.(result.entries.length);
      }
    } else {
      const what = st.isFIFO() ? 'FIFO' : st.isSocket() ? 'socket' : st.isBlockDevice() || st.isCharacterDevice() ? 'device' : 'special file';
      problem(abs, 'special', `${what} skipped (only files, folders and links are backed up)`);
    }
  };

  const sorted = [...roots].sort((a, b) => compareNames(a.root, b.root));
  for (const r of sorted) {
    const before = result.entries.length;
    await visit(result.entries.addRoot(r.path, r.root), r.path, r.root, '', true);
    if (result.entries.length === before || result.entries.kind(before) !== 'dir') {
      // A missing or non-folder source is a usage error, caught before anything is written.
      throw usageError('bad-source', `source ${r.path} is not a readable folder`, 'check the path given with --source or in the config');
    }
  }
  return result;
}
