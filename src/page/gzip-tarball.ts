// A format 3 snapshot's tarball as the page reads it (docs/FORMAT.md "Format 3"): the stored
// `<ID>.tar.gz` (its parts as one stream) is a run of independent gzip blocks, and its index
// `<ID>.tar.gz.idx` says where each block's bytes are in the tar. Every offset the page keeps
// (manifest members, delta links) is a tar offset, so the tarball is read two ways here:
// - in order, as the deep check hashes the stored bytes for SHA256SUMS: BlockFeed gathers each
//   block's stored bytes (one block at a time: memory stays at a block, not the tarball) and
//   hands its inflated tar bytes on, or says which tar range a block that fails would have held;
// - by tar offset, for a delta'd file's rebuild (delta-rebuild.ts): gzipTarBytes inflates only
//   the blocks that hold the range, reading each block's bytes with Blob.slice.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { SNAPSHOT_JSON, SUMS_FILE } from '../layout/format.js';
import { inflateBlock, PageGzipBlockError } from './gzip-block.js';
import { blockAt, blockSize, type GzipBlockIndex } from '../core/gzip-block-bounds.js';
import { GzipIndexError, MAX_INDEX_BYTES, parseGzipIndex } from '../layout/gzip-index.js';

/** A tarball's bytes by tar offset: `read` gives [pos, pos + length), fewer only at the tar's end. */
export interface TarBytes {
  read(pos: number, length: number): Promise<Uint8Array>;
}

/** A plain tarball (its parts as one Blob): the tar is the stored bytes. */
export const plainTarBytes = (blob: Blob): TarBytes => ({
  read: async (pos, length) => new Uint8Array(await blob.slice(pos, pos + length).arrayBuffer()),
});

/**
 * A format 3 tarball read by tar offset through its index. The last block inflated is kept:
 * a rebuild reads a member's headers 4 KiB at a time and then its body in 1 MiB pieces, mostly
 * from the same block. A block that fails is a PageGzipBlockError naming it.
 */
export function gzipTarBytes(stored: Blob, index: GzipBlockIndex): TarBytes {
  let kept: { i: number; bytes: Uint8Array } | undefined;
  const block = async (i: number): Promise<Uint8Array> => {
    if (kept?.i === i) return kept.bytes;
    const b = index.blocks[i]!;
    const raw = new Uint8Array(await stored.slice(b.compressedOffset, b.compressedOffset + b.compressedLength).arrayBuffer());
    kept = { i, bytes: await inflateBlock(b, blockSize(index, i), raw) };
    return kept.bytes;
  };
  return {
    read: async (pos, length) => {
      const end = Math.min(pos + length, index.uncompressedSize);
      if (pos >= end) return new Uint8Array(0);
      const out = new Uint8Array(end - pos);
      for (let i = blockAt(index, pos); i < index.blocks.length && index.blocks[i]!.uncompressedOffset < end; i++) {
        const start = index.blocks[i]!.uncompressedOffset;
        const bytes = await block(i);
        const from = Math.max(pos, start);
        out.set(bytes.subarray(from - start, Math.min(bytes.length, end - start)), from - pos);
      }
      return out;
    },
  };
}

/**
 * The stored bytes of a format 3 tarball, in order (as they are hashed), turned into its tar
 * bytes block by block. `onTar` gets each block's tar bytes; `onBadBlock` the error of a block
 * that does not inflate (its tar range: PageGzipBlockError's block and size), after which the
 * next block is read as usual: a damaged block does not hide the blocks after it.
 */
export class BlockFeed {
  private i = 0;
  private buf: Uint8Array<ArrayBuffer> | undefined;
  private filled = 0;

  constructor(
    private readonly index: GzipBlockIndex,
    private readonly onTar: (tar: Uint8Array) => Promise<void>,
    private readonly onBadBlock: (e: PageGzipBlockError) => Promise<void>,
  ) {}

  /** The next piece of the stored stream (the parts joined). */
  async push(piece: Uint8Array): Promise<void> {
    let at = 0;
    while (at < piece.length && this.i < this.index.blocks.length) {
      const b = this.index.blocks[this.i]!;
      this.buf ??= new Uint8Array(b.compressedLength);
      const n = Math.min(piece.length - at, this.buf.length - this.filled);
      this.buf.set(piece.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled < this.buf.length) return;
      const raw = this.buf;
      this.buf = undefined;
      this.filled = 0;
      const size = blockSize(this.index, this.i);
      this.i++;
      let tar: Uint8Array;
      try {
        tar = await inflateBlock(b, size, raw);
      } catch (e) {
        if (!(e instanceof PageGzipBlockError)) throw e;
        await this.onBadBlock(e);
        continue;
      }
      await this.onTar(tar);
    }
    // Past the index's last block: the file grew since the index was checked against its size;
    // the read then fails its size check (blob-reader.ts), so nothing here is taken for tar.
  }
}

/** A format 3 index read and checked: usable, or why not (one sentence, for the page). */
export type IndexRead = { index: GzipBlockIndex } | { why: string };

/**
 * The index `name` (`file`: as picked; `listed`: its SHA-256 in SHA256SUMS) of a tarball of
 * `storedSize` bytes (its parts summed) whose tar snapshot.json says has `tarSize` bytes. The
 * index places every member in the stored bytes, so one that SHA256SUMS does not vouch for is
 * not used, and a vouched one is still parsed strictly (a forger may rewrite both).
 */
export async function readIndex(
  name: string, file: { size: number; bytes(): Promise<Uint8Array> } | undefined, listed: string | undefined, storedSize: number, tarSize: number | undefined,
): Promise<IndexRead> {
  if (listed === undefined) return { why: `${SUMS_FILE} does not list the tarball's index ${name}` };
  if (file === undefined) return { why: `the tarball's index ${name} is missing` };
  if (file.size > MAX_INDEX_BYTES) return { why: `the tarball's index ${name} is over the ${MAX_INDEX_BYTES} bytes an index may be: damaged or forged (not read)` };
  let raw: Uint8Array;
  try {
    raw = await file.bytes();
  } catch (e) {
    return { why: `the tarball's index ${name} cannot be read: ${(e as Error).message}` };
  }
  if (bytesToHex(sha256(raw)) !== listed) return { why: `the tarball's index ${name} does not match its SHA-256 in ${SUMS_FILE}` };
  try {
    const index = parseGzipIndex(new TextDecoder().decode(raw), storedSize);
    if (tarSize !== undefined && index.uncompressedSize !== tarSize) return { why: `${name} gives the tar ${index.uncompressedSize} bytes, ${SNAPSHOT_JSON} ${tarSize}` };
    return { index };
  } catch (e) {
    if (!(e instanceof GzipIndexError)) throw e;
    return { why: `${name} is not an index of this tarball: ${e.message}` };
  }
}
