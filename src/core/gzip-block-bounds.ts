// The shape and the bounds of a block-gzipped tarball's blocks (docs/FORMAT.md "Format 3"):
// what a block is, where one is, and what sizes a block this writer made can have. Pure and
// free of node imports, so that the CLI (io/gzip-block-*.ts, layout/gzip-index.ts) and the
// browser page (src/page) share one set of rules instead of copies that could drift apart.

export interface GzipBlock {
  /** Where the block's bytes start in the tar (the uncompressed stream). */
  uncompressedOffset: number;
  /** Where its gzip member starts in the stored `.tar.gz`. */
  compressedOffset: number;
  /** Its gzip member's length, header and trailer included. */
  compressedLength: number;
  /** Stored deflate blocks (its sample did not compress), or deflated. */
  stored: boolean;
}

export interface GzipBlockIndex {
  blocks: GzipBlock[];
  /** The tar's size: the last block ends there. */
  uncompressedSize: number;
  /** The stored `.tar.gz`'s size: the last gzip member ends there. */
  compressedSize: number;
}

/** The most one block may hold, uncompressed: 4 × the writer's largest target (2 × 16 MiB). */
export const MAX_BLOCK_BYTES = 64 << 20;

/** A gzip member's fixed header (no optional fields) and its CRC-32 and size trailer. */
export const GZIP_HEADER_BYTES = 10;
export const GZIP_TRAILER_BYTES = 8;

/**
 * The most bytes a gzip member holding `size` bytes may take on the drive: a stored member is
 * 18 bytes of gzip header and trailer, the data, and 5 bytes per stored deflate block (zlib
 * makes them ≥ 16 KiB; 4 KiB is counted, to be generous). The writer never emits more (a
 * deflated block that came out larger is written stored), and the index parser refuses more, so
 * what a reader reads for one block is bounded by what it may inflate to.
 */
export function storedGzipBound(size: number): number {
  return 18 + size + 5 * Math.max(1, Math.ceil(size / 4096));
}

/** A block's uncompressed size: up to the next block, or the tar's end. */
export function blockSize(index: GzipBlockIndex, i: number): number {
  const next = index.blocks[i + 1];
  return (next ? next.uncompressedOffset : index.uncompressedSize) - index.blocks[i]!.uncompressedOffset;
}

/** The index of the block holding uncompressed offset `at` (< uncompressedSize): binary search. */
export function blockAt(index: GzipBlockIndex, at: number): number {
  let lo = 0;
  let hi = index.blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (index.blocks[mid]!.uncompressedOffset <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Why a block said to hold `size` bytes in `compressedLength` bytes cannot be one this writer
 * made (undefined: it can be). The index parser and inflateBlock both ask: what a reader reads
 * for a block, and what it may inflate to, stay bounded.
 */
export function blockBoundsProblem(size: number, compressedLength: number): string | undefined {
  if (size <= 0 || size > MAX_BLOCK_BYTES) return `the block holds ${size} bytes, over the ${MAX_BLOCK_BYTES} a block may hold`;
  if (compressedLength < GZIP_HEADER_BYTES + GZIP_TRAILER_BYTES || compressedLength > storedGzipBound(size)) {
    return `compressed length ${compressedLength} is impossible for a gzip member of ${size} bytes (${GZIP_HEADER_BYTES + GZIP_TRAILER_BYTES} to ${storedGzipBound(size)})`;
  }
  return undefined;
}
