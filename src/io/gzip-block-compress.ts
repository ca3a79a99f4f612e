// One block of a block-gzipped tarball (docs/design-compressed-tarballs.md) turned into one
// complete gzip member, on libuv's threadpool (node's async zlib), never on the main thread.
// Half of a typical tree is already-compressed or random data (photos, videos, archives): a
// level-1 deflate of a block's first 64 KiB tells it apart cheaply, and such a block is written
// as gzip with stored (level 0) deflate blocks, which costs a copy and a CRC instead of a
// deflate pass that would save nothing.
import { promisify } from 'node:util';
import { deflateRaw, gzip } from 'node:zlib';
import { storedGzipBound } from '../core/gzip-block-bounds.js';

export { storedGzipBound } from '../core/gzip-block-bounds.js';

const deflateRawAsync = promisify(deflateRaw);
const gzipAsync = promisify(gzip);

/** How much of a block is sampled to decide whether it compresses. */
export const SAMPLE_BYTES = 64 * 1024;

/** A sample that deflates to more than this share of its size is taken for incompressible. */
export const STORE_ABOVE = 0.9;


export interface CompressedBlock {
  /** One whole gzip member: header, deflate data, CRC-32 and size trailer. */
  bytes: Buffer;
  /** Written with stored deflate blocks (level 0): its sample did not compress. */
  stored: boolean;
}

/** `raw` as one gzip member at `level`, or stored when its sample does not compress. */
export async function compressBlock(raw: Buffer, level: number): Promise<CompressedBlock> {
  const sample = raw.subarray(0, SAMPLE_BYTES);
  // chunkSize: node's zlib hands its output back in chunks of this size, each a trip from the
  // threadpool to the main thread with a copy and a callback; at the default 16 KiB that was 64
  // trips per 1 MiB block, ~2 s of main-thread CPU per 256 MiB. One chunk that can hold the
  // whole member makes it one trip.
  const squeezed = await deflateRawAsync(sample, { level: 1, chunkSize: storedGzipBound(sample.length) });
  if (squeezed.length <= sample.length * STORE_ABOVE) {
    const bytes = await gzipAsync(raw, { level, chunkSize: storedGzipBound(raw.length) });
    // The sample is only the block's start: a block that deflates to more than it holds (random
    // data after a text head) is stored after all, so no block exceeds storedGzipBound.
    if (bytes.length <= storedGzipBound(raw.length)) return { bytes, stored: false };
  }
  return { bytes: await gzipAsync(raw, { level: 0, chunkSize: storedGzipBound(raw.length) }), stored: true };
}
