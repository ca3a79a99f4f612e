// One member of a tarball, read from its offset alone (format 2's MANIFEST.tsv `offset` field,
// docs/FORMAT.md): what lets one file be restored or checked without reading the whole
// tarball. The offset is where the member's first header starts (its pax header when it has
// one), counted over the parts as one stream. A drive is untrusted: an offset that does not
// point at a header is a TarFormatError (the header checksum, node-tar's Header, says so), the
// files are opened no-follow and regular-only, and nothing past the member is parsed.
import { openSealedParts } from '../io/joined-files.js';
import { openRegularFile } from '../io/read-regular.js';
import { inflateRange } from '../io/gzip-block-reader.js';
import { openGzipTarball, type GzipTarball } from './tar-gzip.js';
import { TarFormatError, TarReader, type TarEntry } from './tar-reader.js';

export interface TarballParts {
  /** The tarball's files in order: `<ID>.tar` alone, or its parts. */
  files: string[];
  /** The size of every part but the last (undefined for a tarball in one file). */
  partSize?: number;
  /**
   * The files are one age file (`<ID>.tar.age` or its parts): offsets are in its plaintext, and
   * a member is read by opening only the age chunks that hold it (crypto/age-seek.ts).
   */
  encrypted?: boolean;
  /**
   * Format 3: the files hold the tar block-gzipped (layout/tar-gzip.ts); offsets are in the tar,
   * and a member is read by inflating only the blocks that hold it (any part sizes do).
   */
  gzip?: GzipTarball;
}

const CHUNK = 1 << 20;

/**
 * Reads the member whose first header is at `offset`: its header, then its content through
 * `onData` (slices valid only during the call). Returns the member's header fields (`offset` as
 * given), also passed to `onEntry` before the content (a restore creates the file first).
 * Throws TarFormatError when no whole member starts there.
 */
export async function readMemberAt(t: TarballParts, offset: number, onData: (chunk: Buffer) => void, onEntry?: (e: TarEntry) => void): Promise<TarEntry> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % 512 !== 0) throw new TarFormatError(`offset ${offset} is not a multiple of 512`, offset);
  let entry: TarEntry | undefined;
  let done = false;
  const reader = new TarReader({
    entry: (e) => {
      if (entry) return;
      entry = { ...e, offset };
      onEntry?.(entry);
    },
    data: (chunk) => onData(chunk),
    entryEnd: () => {
      done = true;
    },
  });
  let fed = 0;
  let bodyLeft = 0;
  try {
    // How much more the member needs (a header block while none is parsed): an encrypted tarball
    // then opens only the age chunks that hold it.
    const need = () => (entry ? Math.max(bodyLeft, 1) : 512);
    for await (const chunk of chunksFrom(t, offset, need)) {
      // Headers block by block, then exactly the member's body and padding: the reader never
      // sees the next member (which may be damaged, and is none of our business).
      for (let at = 0; at < chunk.length && !done;) {
        const n = entry ? Math.min(bodyLeft, chunk.length - at) : Math.min(512, chunk.length - at);
        reader.write(chunk.subarray(at, at + n));
        at += n;
        fed += n;
        if (entry && bodyLeft === 0 && !done) bodyLeft = Math.ceil(entry.size / 512) * 512;
        else if (entry) bodyLeft -= n;
        if (reader.ended) throw new TarFormatError('the end-of-archive marker, not a member, is at this offset', fed);
      }
      if (done) return entry!;
    }
  } catch (e) {
    if (e instanceof TarFormatError) throw new TarFormatError(e.message, offset + e.offset);
    throw e;
  }
  throw new TarFormatError('the tarball ends in the middle of the member', offset + fed);
}

/** The tarball's bytes from `offset` on, across its parts, a chunk at a time; each file opened no-follow, regular-only. */
async function* chunksFrom(t: TarballParts, offset: number, need: () => number): AsyncGenerator<Buffer> {
  if (t.gzip) {
    yield* inflatedFrom({ ...t, gzip: t.gzip }, offset);
    return;
  }
  if (t.encrypted) {
    yield* plaintextFrom(t, offset, need);
    return;
  }
  let part = t.partSize ? Math.floor(offset / t.partSize) : 0;
  let pos = t.partSize ? offset - part * t.partSize : offset;
  for (; part < t.files.length; part++, pos = 0) {
    const { fh } = await openRegularFile(t.files[part]!);
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }
}

/**
 * An encrypted tarball's plaintext from `offset` on, as much at a time as `need()` says is still
 * wanted, to the end of the age chunk that holds it (at most CHUNK): no chunk past the member is
 * opened, so damage elsewhere in the tarball does not touch it.
 */
async function* plaintextFrom(t: TarballParts, offset: number, need: () => number): AsyncGenerator<Buffer> {
  const { reader, close } = await openSealedParts(t.files);
  try {
    if (offset >= reader.plaintextSize) throw new TarFormatError('the tarball ends before this offset', 0);
    for (let pos = offset; pos < reader.plaintextSize;) {
      const end = Math.ceil((pos + Math.min(need(), CHUNK)) / AGE_CHUNK) * AGE_CHUNK;
      const piece = await reader.read(pos, Math.min(end, reader.plaintextSize) - pos);
      pos += piece.length;
      yield piece;
    }
  } finally {
    await close();
  }
}

/**
 * A format 3 tarball's tar bytes from `offset` on, one gzip block at a time: the generator is
 * left as soon as the member is whole, so no block past it is read (nor one before it).
 */
async function* inflatedFrom(t: TarballParts & { gzip: GzipTarball }, offset: number): AsyncGenerator<Buffer> {
  const g = await openGzipTarball(t);
  try {
    if (offset >= g.index.uncompressedSize) throw new TarFormatError('the tarball ends before this offset', 0);
    yield* inflateRange(g.index, g.readAt, offset, g.index.uncompressedSize);
  } finally {
    await g.close();
  }
}

/** age's plaintext chunk (crypto/age-stream.ts CHUNK). */
const AGE_CHUNK = 64 * 1024;
