// Several files read as one, by position (crypto/age-seek.ts ReadableHandle): an encrypted
// tarball in parts (`<ID>.tar.age.000`, `.001`, … that `cat` joins) is ONE age file, so a member
// at a plaintext offset lies in chunks that may straddle two parts. Every part is opened as
// io/read-regular.ts opens a drive's files (no-follow, non-blocking, regular only), its size
// taken from fstat on the open descriptor; a part is opened only when a read first reaches it.
import type { FileHandle } from 'node:fs/promises';
import { lstat } from 'node:fs/promises';
import { openAgeHeader, readerFor, type AgeFileReader, type OpenedHeader, type ReadableHandle } from '../crypto/age-seek.js';
import { identitiesFor, keySourceEpoch } from './keys.js';
import { NotRegularFileError, openRegularFile } from './read-regular.js';

export class JoinedFiles implements ReadableHandle {
  private readonly handles: (FileHandle | undefined)[];
  /** Where each file starts in the whole. */
  private readonly starts: number[];
  private readonly total: number;

  private constructor(private readonly files: string[], private readonly sizes: number[], /** The parts as lstat saw them (which file, how long, when changed). */ readonly stamp: string) {
    this.handles = files.map(() => undefined);
    this.starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    this.total = sizes.reduce((a, b) => a + b, 0);
  }

  /** The files' sizes come from lstat (a symlink or other non-file is refused here already); each open checks again. */
  static async open(files: string[]): Promise<JoinedFiles> {
    const sizes: number[] = [];
    const stamp: string[] = [];
    for (const f of files) {
      const st = await lstat(f, { bigint: true });
      if (!st.isFile()) throw new NotRegularFileError(f, st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a folder' : 'something else');
      sizes.push(Number(st.size));
      stamp.push(`${f}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
    }
    return new JoinedFiles(files, sizes, stamp.join('\0'));
  }

  async stat(): Promise<{ size: number }> {
    return { size: this.total };
  }

  private async handle(i: number): Promise<FileHandle> {
    const have = this.handles[i];
    if (have) return have;
    const { fh, size } = await openRegularFile(this.files[i]!);
    // Swapped between lstat and open: the layout computed from the old size would be wrong.
    if (size !== this.sizes[i]) {
      await fh.close();
      throw new Error(`${this.files[i]} changed size while being read`);
    }
    this.handles[i] = fh;
    return fh;
  }

  /** Reads from the file holding `position` (at most to its end: callers read on, as with one file). */
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position >= this.total || length === 0) return { bytesRead: 0 };
    let i = this.starts.length - 1;
    while (this.starts[i]! > position) i--;
    const within = position - this.starts[i]!;
    const n = Math.min(length, this.sizes[i]! - within);
    const fh = await this.handle(i);
    const { bytesRead } = await fh.read(buffer, offset, n, within);
    return { bytesRead };
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h?.close()));
    this.handles.fill(undefined);
  }
}

/** How messages name an age file in parts: the name `cat` would give it, and that it is joined (byte offsets count over the parts). */
export const joinedName = (files: string[]): string =>
  (files.length > 1 ? `${files[0]!.replace(/\.\d{3}$/, '')} (its ${files.length} parts joined)` : files[0]!);

/**
 * Headers opened in this run, by the parts' stamp: restoring named files, `verify --sample` and
 * delta rebuilds open one tarball once per member, and opening its header (an X25519 unwrap, a
 * MAC) took ~2.2 ms of the 3.5 ms such a member cost (1 GiB tarball, 200 members: 1.3 ms now). A part
 * changed since (another inode, size or time) or another key source (tests switch keys) opens
 * the header again.
 */
const opened = new Map<string, { epoch: number; header: Promise<OpenedHeader> }>();
const MAX_OPENED = 256;

/** An encrypted file in parts, opened for reading plaintext ranges (the key from io/keys.ts); close it after. */
export async function openSealedParts(files: string[]): Promise<{ reader: AgeFileReader; close: () => Promise<void> }> {
  const joined = await JoinedFiles.open(files);
  try {
    const size = (await joined.stat()).size;
    const name = joinedName(files);
    const epoch = keySourceEpoch();
    let known = opened.get(joined.stamp);
    if (!known || known.epoch !== epoch) {
      if (opened.size >= MAX_OPENED) opened.clear();
      known = { epoch, header: (async () => openAgeHeader(joined, size, await identitiesFor(files[0]!), name))() };
      opened.set(joined.stamp, known);
      const mine = known;
      // A failure is not kept: the next try opens again.
      known.header.catch(() => opened.get(joined.stamp) === mine && opened.delete(joined.stamp));
    }
    const reader = await readerFor(joined, size, await known.header, name);
    return { reader, close: () => joined.close() };
  } catch (e) {
    await joined.close();
    throw e;
  }
}
