// The block list of a large file (format 2, core/block-delta.ts): the SHA-256 of each 1 MiB block,
// computed from the same bytes as the file's whole SHA-256, in whatever chunks they arrive. The
// next increment compares its own list with this one to store only the changed blocks.
import { createHash, type Hash } from 'node:crypto';
import { BLOCK_SIZE, HASH_BYTES } from '../core/block-delta.js';

export class BlockHasher {
  private readonly out: Buffer[] = [];
  private hash: Hash | undefined;
  private inBlock = 0;

  update(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length;) {
      this.hash ??= createHash('sha256');
      const n = Math.min(BLOCK_SIZE - this.inBlock, chunk.length - at);
      this.hash.update(chunk.subarray(at, at + n));
      at += n;
      this.inBlock += n;
      if (this.inBlock === BLOCK_SIZE) this.close();
    }
  }

  /** The list: one 32-byte SHA-256 per block, the last one of a partial block (none for an empty file). */
  digest(): Buffer {
    if (this.inBlock > 0) this.close();
    const all = Buffer.concat(this.out);
    if (all.length % HASH_BYTES !== 0) throw new Error('block list of a bad length');
    return all;
  }

  private close(): void {
    this.out.push(this.hash!.digest());
    this.hash = undefined;
    this.inBlock = 0;
  }
}
