// `verify --deep` of a format 3 snapshot (docs/FORMAT.md "Format 3"): the stored stream (the
// plaintext, when encrypted) is inflated on its way to the deep walk. When the tarball's index
// checked out, the stream is cut where the index says each gzip block is and every block is
// inflated alone, exactly as a read by offset (restore of named files, --sample, delta rebuilds)
// would inflate it: so the walk also proves the index true, and a forged index that parses is
// caught here rather than at a restore. Without a usable index the stream is gunzipped whole
// (node's gunzip goes from member to member), which still checks every member.
// A block that does not inflate (a flipped byte fails its CRC-32, a cut leaves it unfinished, the
// index disagrees with it) is named damage of the tarball and nothing after it is inflated: the
// walk then reports the members it never saw, and every later file that depends on them
// (core/tarball-damage.ts), as a broken header does.
import { blockSize, GzipBlockError, inflateBlock } from '../io/gzip-block-reader.js';
import type { GzipBlockIndex } from '../io/gzip-blocks.js';
import { GunzipError, GunzipFeed } from '../io/gunzip-feed.js';
import type { Damage } from './file-sums-check.js';

export interface GzipWalk {
  /** A block failed: the tarball's content is damaged from there on, whatever its SHA-256 says. */
  readonly failed: boolean;
  /** A chunk of the stored stream (the caller may reuse its buffer once this resolves); undefined: its end. */
  push(chunk: Buffer | undefined): Promise<void>;
  close(): void;
}

type Feed = (tar: Buffer) => Promise<void>;

/** The walk for a format 3 tarball: by its index when there is one (see above), else gunzipped whole. */
export function gzipWalk(feed: Feed, damage: Damage, name: string, index: GzipBlockIndex | undefined, tarSize?: number): GzipWalk {
  return index ? new IndexedWalk(index, feed, damage, name) : new StreamWalk(feed, damage, name, tarSize);
}

/** The stream gunzipped whole (no usable index). */
class StreamWalk implements GzipWalk {
  private readonly gz: GunzipFeed;
  failed = false;

  /** `tarSize`: the tar's size from snapshot.json (an inflate past it is damage, never followed). */
  constructor(feed: Feed, private readonly damage: Damage, private readonly name: string, tarSize?: number) {
    this.gz = new GunzipFeed(feed, tarSize);
  }

  async push(chunk: Buffer | undefined): Promise<void> {
    if (this.failed) return;
    try {
      if (chunk) await this.gz.push(chunk);
      else await this.gz.end();
    } catch (e) {
      if (!(e instanceof GunzipError)) throw e;
      this.failed = true;
      this.gz.close();
      this.damage('tarball-damaged', `${this.name}: ${e.message}`, { file: this.name });
    }
  }

  close(): void {
    this.gz.close();
  }
}

/** The stream cut into the blocks its index gives, each inflated and checked alone, in order. */
class IndexedWalk implements GzipWalk {
  failed = false;
  /** The next block to inflate. */
  private next = 0;
  /** Stored bytes of that block received so far (a copy: the caller reuses its buffers). */
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly index: GzipBlockIndex, private readonly feed: Feed, private readonly damage: Damage, private readonly name: string) {}

  async push(chunk: Buffer | undefined): Promise<void> {
    if (this.failed) return;
    try {
      if (chunk) await this.take(chunk);
      else this.end();
    } catch (e) {
      if (!(e instanceof GzipBlockError)) throw e;
      this.failed = true;
      this.carry = Buffer.alloc(0);
      const tarAt = this.index.blocks[this.next]?.uncompressedOffset ?? this.index.uncompressedSize;
      this.damage('tarball-damaged', `${this.name}: ${e.message}; the tar cannot be read from byte ${tarAt} on`, { file: this.name });
    }
  }

  private async take(chunk: Buffer): Promise<void> {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let at = 0;
    for (; this.next < this.index.blocks.length; this.next++) {
      const block = this.index.blocks[this.next]!;
      if (data.length - at < block.compressedLength) break;
      const stored = data.subarray(at, at + block.compressedLength);
      const tar = await inflateBlock(block, blockSize(this.index, this.next), async () => stored);
      at += block.compressedLength;
      await this.feed(tar);
    }
    if (this.next >= this.index.blocks.length && at < data.length) {
      throw new GzipBlockError(`is followed by ${data.length - at} bytes the index does not place (its last block ends there)`, this.index.compressedSize);
    }
    this.carry = Buffer.from(data.subarray(at));
  }

  private end(): void {
    const block = this.index.blocks[this.next];
    if (block) throw new GzipBlockError(`is cut short: the stream ends ${this.carry.length} bytes into it`, block.compressedOffset);
  }

  close(): void {
    this.carry = Buffer.alloc(0);
  }
}
