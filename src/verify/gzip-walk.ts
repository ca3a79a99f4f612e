// `verify --deep` of a format 3 snapshot (docs/FORMAT.md "Format 3"): the stored stream (the
// plaintext, when encrypted) is inflated on its way to the deep walk. A block that does not
// inflate (a flipped byte fails its CRC-32, a cut leaves a member unfinished) is named damage of
// the tarball, and nothing after it is inflated: the walk then reports the members it never saw,
// and every later file that depends on them (core/tarball-damage.ts), as a broken header does.
import { GunzipError, GunzipFeed } from '../io/gunzip-feed.js';
import type { Damage } from './file-sums-check.js';

export class GzipWalk {
  private readonly gz: GunzipFeed;
  /** A block failed: the tarball's content is damaged from there on, whatever its SHA-256 says. */
  failed = false;

  /** `tarSize`: the tar's size from snapshot.json (an inflate past it is damage, never followed). */
  constructor(feed: (tar: Buffer) => Promise<void>, private readonly damage: Damage, private readonly name: string, tarSize?: number) {
    this.gz = new GunzipFeed(feed, tarSize);
  }

  /** A chunk of the stored stream; undefined: its end. */
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
