// io/gunzip-feed.ts, the sequential reader of a format 3 tarball: concatenated gzip members in,
// in pieces whose buffers the caller reuses at once (as readChunks and the age reader do), the
// exact stream out; a flipped byte, a cut, and more than the tar's size are GunzipErrors that say
// how much came out first.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GunzipError, GunzipFeed } from '../../src/io/gunzip-feed.js';
import { mulberry32 } from '../helpers/prng.js';

/** Text and random bytes, seeded: some members deflate, some hardly. */
function sample(seed: number, n: number): Buffer {
  const rnd = mulberry32(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = i % 3000 < 1500 ? 97 + (i % 26) : Math.floor(rnd() * 256);
  return out;
}

/** `data` as gzip members of `size` bytes each, one after another. */
function members(data: Buffer, size: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(gzipSync(data.subarray(at, at + size), { level: 1 }));
  return Buffer.concat(out);
}

/** Pushes `stored` in pieces of `piece` bytes through one reused buffer (scribbled on after each push); collects what comes out. */
async function feedAll(stored: Buffer, piece: number, maxOut?: number): Promise<{ out: Buffer; error?: GunzipError }> {
  const got: Buffer[] = [];
  const feed = new GunzipFeed(async (b) => {
    got.push(Buffer.from(b));
    await new Promise((r) => setImmediate(r)); // an emit that takes its time: the stream waits
  }, maxOut);
  const buf = Buffer.alloc(piece);
  try {
    for (let at = 0; at < stored.length; at += piece) {
      const n = stored.copy(buf, 0, at, Math.min(stored.length, at + piece));
      await feed.push(buf.subarray(0, n));
      buf.fill(0xaa); // the caller's next read lands here: zlib must be done with it
    }
    await feed.end();
    return { out: Buffer.concat(got) };
  } catch (e) {
    if (!(e instanceof GunzipError)) throw e;
    expect(e.tarOffset).toBe(Buffer.concat(got).length);
    return { out: Buffer.concat(got), error: e };
  } finally {
    feed.close();
  }
}

describe('GunzipFeed', () => {
  it('gives back the exact stream from members in uneven pieces, whatever the piece size', async () => {
    const data = sample(1, 700_000);
    const stored = members(data, 65_536);
    for (const piece of [1, 777, 65_536, 1 << 20]) {
      if (piece === 1) {
        const small = sample(2, 5000);
        expect((await feedAll(members(small, 1000), 1)).out.equals(small)).toBe(true);
        continue;
      }
      const { out, error } = await feedAll(stored, piece);
      expect(error).toBeUndefined();
      expect(out.equals(data), `pieces of ${piece}`).toBe(true);
    }
  });

  it('a flipped byte in the third member: a GunzipError, after exactly what came before it', async () => {
    const data = sample(3, 300_000);
    const sizes = [gzipSync(data.subarray(0, 65_536), { level: 1 }).length, gzipSync(data.subarray(65_536, 131_072), { level: 1 }).length];
    const stored = members(data, 65_536);
    const at = sizes[0]! + sizes[1]! + 40;
    stored[at] = stored[at]! ^ 0xff;
    const { out, error } = await feedAll(stored, 10_000);
    expect(error?.message).toMatch(/does not inflate past byte \d+ of its tar/);
    expect(out.length).toBeGreaterThanOrEqual(131_072 - 16_384 * 2); // the first two members, but for what zlib held back
    expect(out.length).toBeLessThan(196_608);
    expect(out.equals(data.subarray(0, out.length))).toBe(true);
  });

  it('a stream cut inside a member, and an empty one, are GunzipErrors', async () => {
    const stored = members(sample(4, 100_000), 30_000);
    expect((await feedAll(stored.subarray(0, stored.length - 5), 4096)).error).toBeInstanceOf(GunzipError);
    const empty = new GunzipFeed(() => {});
    await expect(empty.end()).rejects.toBeInstanceOf(GunzipError);
  });

  it('stops at the tar size it is given: a stream that inflates past it is damage, never followed', async () => {
    const data = Buffer.alloc(10 << 20); // zeros: a small stream, a large output
    const stored = members(data, 1 << 20);
    const { error, out } = await feedAll(stored, 65_536, 3 << 20);
    expect(error?.message).toContain(`inflates past the tar's ${3 << 20} bytes`);
    expect(out.length).toBeLessThanOrEqual(3 << 20);
  });
});

describe('GunzipFeed and the reader behind it', () => {
  it("an emit's own error (a cancel) comes out as itself, never as damage", async () => {
    // One push whose output is far more than the stream buffers: it is still pending when the
    // emit (paused on, then failing) throws.
    const stored = members(Buffer.alloc(2 << 20, 'a'), 1 << 20);
    const cancel = new Error('cancelled');
    let calls = 0;
    const feed = new GunzipFeed(async () => {
      await new Promise((r) => setImmediate(r));
      if (++calls === 3) throw cancel;
    });
    let thrown: unknown;
    try {
      await feed.push(stored);
      await feed.end();
    } catch (e) {
      thrown = e;
    } finally {
      feed.close();
    }
    expect(thrown).toBe(cancel);
  });
});
