// A format 3 tarball read by tar offset (docs/FORMAT.md "Format 3"): restore of named files,
// `verify --sample`, delta rebuilds. Its `<ID>.tar.gz.idx` (layout/gzip-index.ts) says which
// gzip block holds a tar byte, and only the blocks that hold the bytes wanted are read and
// inflated (io/gzip-block-reader.ts): one small file from a big snapshot reads one block or two.
// The index comes from a drive: read capped (sealed when the snapshot is encrypted) and parsed
// strictly against the stored stream's real size (the parts joined; the age plaintext's size).
// Restoring named files opens the same tarball once per member, so a parsed index is kept for
// the run, by what its file and the tarball's files are (inode, size, times): a file changed
// since is read again.
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AirgapError, EXIT } from '../core/errors.js';
import { type ReadAt } from '../io/gzip-block-reader.js';
import type { GzipBlockIndex } from '../io/gzip-blocks.js';
import { JoinedFiles, openSealedParts } from '../io/joined-files.js';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../io/read-regular.js';
import { readSealedFile } from '../io/sealed-file.js';
import { GzipIndexError, MAX_INDEX_BYTES, parseGzipIndex } from './gzip-index.js';

/** A format 3 tarball's index (`<ID>.tar.gz.idx`, or `.idx.age` beside an encrypted tarball). */
export interface GzipTarball {
  /** The index file's path. */
  index: string;
}

/** The index cannot be used (missing, not a file, over its cap, not an index of this tarball). */
export class GzipTarballError extends Error {
  readonly code = 'EGZIPTARBALL';
  constructor(index: string, why: string) {
    super(`the tarball's index ${basename(index)} ${why}`);
  }
}

export interface OpenedGzipTarball {
  index: GzipBlockIndex;
  /** Positional reads of the stored `.tar.gz` stream (the parts joined; the plaintext when encrypted). */
  readAt: ReadAt;
  close(): Promise<void>;
}

/** Parsed indexes of this run, by the stamp of the index file and of the tarball's files. */
const parsed = new Map<string, GzipBlockIndex>();
const MAX_PARSED = 8;

/** Opens a format 3 tarball (`files`: the `.tar.gz` or its parts, one age file when `encrypted`) for reads by tar offset. */
export async function openGzipTarball(t: { files: string[]; encrypted?: boolean; gzip: GzipTarball }): Promise<OpenedGzipTarball> {
  let stored: { size: number; stamp: string; readAt: ReadAt; close: () => Promise<void> };
  if (t.encrypted) {
    const { reader, close } = await openSealedParts(t.files);
    const joined = await JoinedFiles.open(t.files); // its stamp only (nothing is opened)
    stored = {
      size: reader.plaintextSize, stamp: joined.stamp, close,
      readAt: (pos, length) => reader.read(pos, Math.max(0, Math.min(length, reader.plaintextSize - pos))),
    };
  } else {
    const joined = await JoinedFiles.open(t.files);
    stored = { size: (await joined.stat()).size, stamp: joined.stamp, close: () => joined.close(), readAt: (pos, length) => readFully(joined, pos, length) };
  }
  try {
    const index = await indexOf(t.gzip.index, t.encrypted === true, stored.size, stored.stamp);
    return { index, readAt: stored.readAt, close: stored.close };
  } catch (e) {
    await stored.close();
    throw e;
  }
}

async function indexOf(path: string, encrypted: boolean, storedSize: number, tarballStamp: string): Promise<GzipBlockIndex> {
  const st = await lstat(path, { bigint: true }).catch((e: NodeJS.ErrnoException) => {
    throw new GzipTarballError(path, e.code === 'ENOENT' ? 'is missing' : `cannot be read (${e.code ?? e.message})`);
  });
  if (!st.isFile()) throw new GzipTarballError(path, 'is not a regular file');
  const key = `${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}\0${storedSize}\0${tarballStamp}`;
  const known = parsed.get(key);
  if (known) return known;
  let text: string;
  try {
    text = (encrypted ? await readSealedFile(path, MAX_INDEX_BYTES) : await readRegularFile(path, { maxBytes: MAX_INDEX_BYTES })).toString('utf8');
  } catch (e) {
    // A sealed index whose age chunks do not open (damage; a wrong key is a refusal and passes).
    if (e instanceof AirgapError && e.exitCode === EXIT.damaged) throw new GzipTarballError(path, `does not decrypt: ${e.message}`);
    if (e instanceof NotRegularFileError) throw new GzipTarballError(path, `is ${e.what}, not a regular file`);
    if (e instanceof FileTooLargeError) throw new GzipTarballError(path, `is over the ${MAX_INDEX_BYTES} bytes an index may be`);
    throw e;
  }
  let index: GzipBlockIndex;
  try {
    index = parseGzipIndex(text, storedSize);
  } catch (e) {
    if (e instanceof GzipIndexError) throw new GzipTarballError(path, `is not an index of this tarball: ${e.message}`);
    throw e;
  }
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(key, index);
  return index;
}

/** Up to `length` bytes at `pos` of the joined files (fewer only at their end). */
async function readFully(joined: JoinedFiles, pos: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await joined.read(buf, got, length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
