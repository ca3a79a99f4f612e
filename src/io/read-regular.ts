// Reading a small file from a drive that may have been tampered with: whatever sits at the
// name (a FIFO, a device, a folder, a symlink) must be refused, never read — a FIFO would block
// the read forever, a device would never end.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Without a cap of its own, a file is read whole only up to the largest small file airgap
 * writes (snapshot.json, layout/format.ts MAX_SNAPSHOT_JSON_BYTES: test/layout/caps.test.ts checks that the
 * two agree): every file read whole comes from a drive or the state folder, and a forged one of
 * a gigabyte must be refused, not loaded.
 */
export const DEFAULT_MAX_READ_BYTES = 32 * 1024 * 1024;

/** What is at the path is not a regular file; `what` says what it is instead. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly path: string, readonly what: string) {
    super(`${path} is ${what}, not a regular file`);
  }
}

/** Larger than the caller accepts for this kind of file (not read). */
export class FileTooLargeError extends Error {
  readonly code = 'ETOOLARGE';
  constructor(readonly path: string, readonly size: number, readonly maxBytes: number) {
    super(`${path} is ${size} bytes (at most ${maxBytes} expected)`);
  }
}

/**
 * Reads a regular file whole, if it is at most `maxBytes` (default DEFAULT_MAX_READ_BYTES):
 * a larger one is refused (FileTooLargeError) before any of it is read. Opened with O_NONBLOCK
 * (a FIFO opens at once instead of waiting for a writer) and O_NOFOLLOW (a symlink is refused,
 * as lstat would show it), then checked with fstat on the open descriptor, so nothing can be
 * swapped in between. Other errors (ENOENT, EACCES, ...) are thrown as they are.
 */
export async function readRegularFile(path: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  const { fh, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) throw new FileTooLargeError(path, size, maxBytes);
    return size > LARGE_READ ? await inTurn(() => readAll(fh, path, size, maxBytes)) : await readAll(fh, path, size, maxBytes);
  } finally {
    await fh.close();
  }
}

/**
 * Whole reads larger than this take turns. Callers read many files at once (`list` reads every
 * snapshot.json with Promise.all): the cap must bound the memory of all of them together, not
 * of each, or a drive with a hundred forged 30 MB snapshot.json files would cost 3 GB.
 */
const LARGE_READ = 1024 * 1024;
let lastTurn: Promise<void> = Promise.resolve();

async function inTurn<T>(read: () => Promise<T>): Promise<T> {
  const before = lastTurn;
  let done!: () => void;
  lastTurn = new Promise((resolve) => (done = resolve));
  try {
    await before;
    return await read();
  } finally {
    done();
  }
}

/** Reads until the end, not to the size fstat gave, and never past the cap plus one byte: a file that grows meanwhile is still read whole, or refused. */
async function readAll(fh: FileHandle, path: string, size: number, maxBytes: number): Promise<Buffer> {
  let buf = Buffer.allocUnsafe(size + 1);
  let got = 0;
  for (;;) {
    if (got === buf.length) {
      if (got > maxBytes) throw new FileTooLargeError(path, got, maxBytes);
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxBytes + 1));
      buf.copy(bigger, 0, 0, got);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Opens a regular file for reading, with the same guarantees; the caller closes it (streams, large files). */
export async function openRegularFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    // Linux says ELOOP for a symlink under O_NOFOLLOW (FreeBSD/macOS: EMLINK).
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new NotRegularFileError(path, 'a symlink');
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new NotRegularFileError(path, st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'something else');
    }
    return { fh, size: st.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * SHA-256 of a regular file (same guarantees as readRegularFile), read in chunks: a manifest
 * of a few million files is hundreds of megabytes, and need not be in memory to be checked.
 */
export async function sha256OfRegularFile(path: string): Promise<string> {
  const { fh } = await openRegularFile(path);
  try {
    return await sha256OfHandle(fh);
  } finally {
    await fh.close();
  }
}

/** SHA-256 of what is left to read of an open file, in 1 MiB reads (the caller closes it). */
export async function sha256OfHandle(fh: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}
