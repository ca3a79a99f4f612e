// Random access into a block-gzipped tarball (docs/design-compressed-tarballs.md; a design for
// a future format, NOT yet used by airgap): the bytes of a tar range [start, end) are found by
// the index and only the blocks that hold them are read and inflated. A drive is untrusted
// input, so each block must be exactly one gzip member as this project's writer makes them (no
// optional header fields, the deflate data ending where the trailer starts), it may not inflate
// past the size the index gives it (zlib stops at that cap: a small block cannot balloon into
// gigabytes), and its CRC-32 and length trailer must match. A block that fails is a
// GzipBlockError naming its compressed offset.
import { crc32, inflateRaw, type ZlibOptions } from 'node:zlib';
import { blockAt, blockBoundsProblem, blockSize, GZIP_HEADER_BYTES as HEADER, GZIP_TRAILER_BYTES as TRAILER, type GzipBlock, type GzipBlockIndex } from '../core/gzip-block-bounds.js';

export { blockAt, blockBoundsProblem, blockSize, MAX_BLOCK_BYTES } from '../core/gzip-block-bounds.js';

interface Inflated {
  buffer: Buffer;
  /** engine.bytesWritten: how much of the input zlib consumed (the deflate data's length). */
  engine: { bytesWritten: number };
}

/** inflateRaw on the threadpool, with `info` (node's types do not say what it gives then). */
function inflateRawInfo(input: Buffer, options: ZlibOptions): Promise<Inflated> {
  return new Promise((resolve, reject) => {
    const callback = (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r as Inflated));
    inflateRaw(input, { ...options, info: true } as ZlibOptions, callback as (e: Error | null, r: Buffer) => void);
  });
}


/** What one read() of a range may return at most; larger ranges are read with inflateRange. */
export const MAX_RANGE_BYTES = 256 << 20;

/** Reads exactly `length` bytes at `position` of the stored `.tar.gz` (fewer only at its end). */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export class GzipBlockError extends Error {
  readonly code = 'EGZIPBLOCK';
  constructor(message: string, readonly compressedOffset: number) {
    super(`the gzip block at compressed offset ${compressedOffset} ${message}`);
  }
}


/** One block read and inflated: exactly `size` bytes, or a GzipBlockError. */
export async function inflateBlock(block: GzipBlock, size: number, readAt: ReadAt): Promise<Buffer> {
  const at = block.compressedOffset;
  // The index parser refuses such blocks; checked again here, since an index may come from elsewhere.
  const impossible = blockBoundsProblem(size, block.compressedLength);
  if (impossible) throw new GzipBlockError(`cannot be read: its index entry is impossible (${impossible})`, at);
  const got = await readAt(at, block.compressedLength);
  const raw = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  if (raw.length < block.compressedLength) throw new GzipBlockError(`is cut short: ${raw.length} of ${block.compressedLength} bytes`, at);
  if (raw.length > block.compressedLength) throw new RangeError(`readAt gave ${raw.length} bytes for ${block.compressedLength}`); // a caller's bug, not damage
  // 1f 8b, deflate, no flags: the header node's gzip writes (FEXTRA, FNAME… never appear).
  if (raw[0] !== 0x1f || raw[1] !== 0x8b || raw[2] !== 8 || raw[3] !== 0) throw new GzipBlockError('does not start with a plain gzip header', at);
  const body = raw.subarray(HEADER, raw.length - TRAILER);
  let out: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    out = await inflateRawInfo(body, { maxOutputLength: size });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new GzipBlockError(`inflates past its indexed size of ${size} bytes`, at);
    throw new GzipBlockError(`does not inflate (${(e as Error).message})`, at);
  }
  if (out.engine.bytesWritten !== body.length) throw new GzipBlockError(`has ${body.length - out.engine.bytesWritten} bytes after its deflate data`, at);
  if (out.buffer.length !== size) throw new GzipBlockError(`inflates to ${out.buffer.length} bytes, not the ${size} its index gives`, at);
  const trailer = raw.subarray(raw.length - TRAILER);
  if (trailer.readUInt32LE(0) !== crc32(out.buffer)) throw new GzipBlockError('fails its CRC-32', at);
  if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new GzipBlockError('has a length trailer that disagrees with its data', at);
  return out.buffer;
}

function checkRange(index: GzipBlockIndex, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > index.uncompressedSize) {
    throw new RangeError(`range [${start}, ${end}) is outside the tar's ${index.uncompressedSize} bytes`);
  }
}

/** The tar bytes [start, end), one piece per block that holds them, each block inflated alone. */
export async function* inflateRange(index: GzipBlockIndex, readAt: ReadAt, start: number, end: number): AsyncGenerator<Buffer> {
  checkRange(index, start, end);
  if (start === end) return;
  for (let i = blockAt(index, start); i < index.blocks.length; i++) {
    const block = index.blocks[i]!;
    if (block.uncompressedOffset >= end) return;
    const data = await inflateBlock(block, blockSize(index, i), readAt);
    const from = Math.max(0, start - block.uncompressedOffset);
    yield data.subarray(from, Math.min(data.length, end - block.uncompressedOffset));
  }
}

/** The tar bytes [start, end) in one buffer (at most MAX_RANGE_BYTES). */
export async function readRange(index: GzipBlockIndex, readAt: ReadAt, start: number, end: number): Promise<Buffer> {
  checkRange(index, start, end);
  if (end - start > MAX_RANGE_BYTES) throw new RangeError(`range of ${end - start} bytes is over ${MAX_RANGE_BYTES}: read it piece by piece (inflateRange)`);
  const pieces: Buffer[] = [];
  let got = 0;
  for await (const piece of inflateRange(index, readAt, start, end)) {
    pieces.push(piece);
    got += piece.length;
  }
  // Only an index that skipped parseGzipIndex (layout/gzip-index.ts) could leave a hole here.
  if (got !== end - start) throw new RangeError(`the index's blocks give ${got} of the range's ${end - start} bytes`);
  return Buffer.concat(pieces);
}
