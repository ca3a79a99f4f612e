// The writer of a block-gzipped tarball (issue 16; docs/design-compressed-tarballs.md): format
// 3's `<ID>.tar.gz` (docs/FORMAT.md "Format 3"), fed by snapshot/gzip-tar-out.ts.
//
// The tar byte stream goes in, in order, with the caller marking where each tar member ends;
// out come independent gzip members ("blocks", like samtools' BGZF but larger). Concatenated,
// they are one `.tar.gz` that GNU tar, bsdtar and busybox extract with `tar -xzf` and that
// `gzip -dc` turns back into the exact tar bytes. Because each block is a whole gzip member, a
// reader that knows where a block starts can inflate it alone: the index this writer returns
// maps uncompressed (tar) offsets to compressed ones, so every offset airgap keeps (manifest
// member offsets, delta blocks) stays in the tar's byte space.
//
// Where blocks are cut: at a member boundary once the block holds `target` bytes, so that a
// small member never straddles two blocks (one file's restore inflates one block); and inside a
// member longer than `target`, every `target` bytes of it, so that no block grows past
// 2 × target (a member's first block may also hold < target bytes of the members before it).
//
// Compression runs on libuv's threadpool (gzip-block-compress.ts), a few blocks at once; their
// gzip members are handed to the sink in order, and `write` waits while `inFlight` blocks are
// still being compressed or written, so memory stays bounded (≈ inFlight × 2 × target).
import { compressBlock } from './gzip-block-compress.js';

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

export interface GzipBlockOptions {
  /** Uncompressed bytes a block is cut at (see above). 1 MiB: docs/design-compressed-tarballs.md. */
  target?: number;
  /** zlib level of compressible blocks. */
  level?: number;
  /** Blocks compressed or written at once, at most. */
  inFlight?: number;
}

export const DEFAULT_TARGET = 1 << 20;
/** Level 1: on set S's full, level 6 came out 2 % smaller for 15–20 % more CPU (the design doc). */
export const DEFAULT_LEVEL = 1;
/** Enough to keep two cores' threadpool busy while the sink writes: ≈ 3 × 2 MiB held at 1 MiB blocks. */
export const DEFAULT_IN_FLIGHT = 3;
/** Bounds the options: a block must fit the index parser's cap (layout/gzip-index.ts). */
export const MAX_TARGET = 16 << 20;

/** Where the compressed bytes go, in order (a HashedWriter's write, a file handle's). */
export type BlockSink = (gzipMember: Buffer) => Promise<void>;

export class GzipBlockWriter {
  private readonly target: number;
  private readonly level: number;
  private readonly maxInFlight: number;
  /** The block being filled: never more than 2 × target bytes (see the header). */
  private buf: Buffer;
  private len = 0;
  /** Bytes of the member being written that are in the current block. */
  private memberBytes = 0;
  private blockStart = 0;
  private compressedSize = 0;
  private readonly blocks: GzipBlock[] = [];
  /** The last block's sink write: each block's write chains on the one before, keeping order. */
  private tail: Promise<void> = Promise.resolve();
  private readonly inFlight: Promise<void>[] = [];
  private finished = false;

  constructor(private readonly sink: BlockSink, options: GzipBlockOptions = {}) {
    this.target = options.target ?? DEFAULT_TARGET;
    this.level = options.level ?? DEFAULT_LEVEL;
    this.maxInFlight = options.inFlight ?? DEFAULT_IN_FLIGHT;
    if (!Number.isSafeInteger(this.target) || this.target < 512 || this.target > MAX_TARGET) throw new RangeError(`block target ${this.target} is outside 512 B–16 MiB`);
    if (!Number.isInteger(this.level) || this.level < 1 || this.level > 9) throw new RangeError(`gzip level ${this.level} is outside 1–9`);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError(`inFlight ${this.maxInFlight} must be at least 1`);
    this.buf = Buffer.allocUnsafe(2 * this.target);
  }

  /** Tar bytes, in order. They are copied: the caller may reuse `data` once this resolves. */
  async write(data: Uint8Array): Promise<void> {
    if (this.finished) throw new Error('GzipBlockWriter: write after finish');
    let pos = 0;
    while (pos < data.length) {
      const n = Math.min(this.target - this.memberBytes, data.length - pos);
      this.buf.set(data.subarray(pos, pos + n), this.len);
      this.len += n;
      this.memberBytes += n;
      pos += n;
      // A member longer than target: cut inside it, every target bytes of it.
      if (this.memberBytes === this.target) await this.cut();
    }
  }

  /** The bytes written so far end a tar member (with its pax header and padding): a place to cut. */
  async memberEnd(): Promise<void> {
    this.memberBytes = 0;
    if (this.len >= this.target) await this.cut();
  }

  /** Cuts the last block, waits for every block to be written, and returns the index. */
  async finish(): Promise<GzipBlockIndex> {
    if (!this.finished) {
      if (this.len > 0) await this.cut();
      this.finished = true;
    }
    while (this.inFlight.length > 0) await this.inFlight.shift();
    await this.tail;
    return { blocks: this.blocks, uncompressedSize: this.blockStart, compressedSize: this.compressedSize };
  }

  /** Hands the current block to the threadpool, its write queued behind the blocks before it. */
  private async cut(): Promise<void> {
    const raw = this.buf.subarray(0, this.len);
    const uncompressedOffset = this.blockStart;
    this.blockStart += this.len;
    this.buf = Buffer.allocUnsafe(2 * this.target); // raw is now the compressor's
    this.len = 0;
    this.memberBytes = 0;
    const job = compressBlock(raw, this.level);
    job.catch(() => {}); // awaited below, through the tail; this only keeps it from being "unhandled" meanwhile
    const written = this.tail.then(async () => {
      const { bytes, stored } = await job;
      this.blocks.push({ uncompressedOffset, compressedOffset: this.compressedSize, compressedLength: bytes.length, stored });
      this.compressedSize += bytes.length;
      await this.sink(bytes);
    });
    written.catch(() => {}); // the same: the error reaches the caller when this block is awaited
    this.tail = written;
    this.inFlight.push(written);
    while (this.inFlight.length > this.maxInFlight) await this.inFlight.shift();
  }
}
