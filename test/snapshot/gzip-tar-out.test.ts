// snapshot/gzip-tar-out.ts buffers the archive's tar bytes and hands them to the block writer
// at flush, cut at the member ends it noted. Seeded rounds of member-like writes through every
// way in (write, put, putRange, buffer + commit, writeZeros), with buffers small enough that
// members and flushes cross each other at every position, including a member ending exactly at a
// full buffer: the gzip stream inflates to exactly the bytes given, `written` counts them, and
// the blocks are the ones the block writer makes when given the same bytes and member ends
// directly (no member end lost, none invented).
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipBlockWriter } from '../../src/io/gzip-blocks.js';
import { GzipTarOut } from '../../src/snapshot/gzip-tar-out.js';
import { Mulberry32 } from '../helpers/prng.js';

/** One member: its bytes, given in pieces, each by one of the ways in. */
interface Member { bytes: Buffer; pieces: { len: number; how: number }[] }

function members(rng: Mulberry32, count: number, maxLen: number): Member[] {
  return Array.from({ length: count }, () => {
    const len = rng.int(0, 1) ? rng.int(1, 64) : rng.int(1, maxLen);
    const bytes = rng.int(0, 1) ? rng.bytes(len) : Buffer.alloc(len, rng.int(0, 3)); // random or compressible
    const pieces: Member['pieces'] = [];
    for (let at = 0; at < len;) {
      const n = Math.min(len - at, rng.int(1, maxLen));
      pieces.push({ len: n, how: rng.int(0, 4) });
      at += n;
    }
    return { bytes, pieces };
  });
}

async function through(out: GzipTarOut, list: Member[]): Promise<void> {
  for (const m of list) {
    let at = 0;
    for (const { len, how } of m.pieces) {
      const piece = m.bytes.subarray(at, at + len);
      if (how === 0) await out.write(piece);
      else if (how === 1) { if (!out.put(piece)) await out.write(piece); }
      else if (how === 2) { if (!out.putRange(m.bytes, at, at + len)) await out.write(piece); }
      else if (how === 3 && piece.every((b) => b === 0)) await out.writeZeros(len);
      else {
        // As stream-large reads a file: straight into the buffer, as much as there is room for.
        for (let k = 0; k < len;) {
          if (out.room === 0) await out.flush();
          const n = Math.min(out.room, len - k);
          piece.copy(out.buffer, out.pos, k, k + n);
          out.commit(n);
          k += n;
        }
      }
      at += len;
    }
    out.memberEnd();
  }
}

async function direct(list: Member[], target: number): Promise<{ gz: Buffer; blocks: unknown }> {
  const parts: Buffer[] = [];
  const gz = new GzipBlockWriter(async (b) => void parts.push(b), { target });
  for (const m of list) {
    await gz.write(m.bytes);
    await gz.memberEnd();
  }
  const index = await gz.finish();
  return { gz: Buffer.concat(parts), blocks: index.blocks };
}

describe('GzipTarOut', () => {
  for (let round = 0; round < 8; round++) {
    it(`round ${round}: the same bytes and blocks as the block writer given them directly`, async () => {
      const rng = new Mulberry32(0x6a2 + round);
      const target = rng.pick([512, 1024, 4096]);
      const bufferBytes = rng.pick([512, 700, 2048, 5000]);
      const list = members(rng, rng.int(20, 120), rng.pick([100, 900, 3000]));
      // A member that ends exactly where the buffer is full: memberEnd at pos === buffer.length.
      list.unshift({ bytes: Buffer.alloc(bufferBytes, 7), pieces: [{ len: bufferBytes, how: 0 }] });
      const parts: Buffer[] = [];
      const out = new GzipTarOut(new GzipBlockWriter(async (b) => void parts.push(b), { target }), bufferBytes);
      await through(out, list);
      const index = await out.finish();
      const all = Buffer.concat(list.map((m) => m.bytes));
      expect(out.written).toBe(all.length);
      const gz = Buffer.concat(parts);
      expect(gunzipSync(gz).equals(all)).toBe(true);
      expect(index.uncompressedSize).toBe(all.length);
      expect(index.compressedSize).toBe(gz.length);
      const want = await direct(list, target);
      expect(index.blocks).toEqual(want.blocks);
      expect(gz.equals(want.gz)).toBe(true);
    });
  }

  it('a failing sink fails the archive write, and abandon() still settles', async () => {
    const out = new GzipTarOut(new GzipBlockWriter(async () => { throw new Error('drive gone'); }, { target: 512, inFlight: 1 }), 600);
    const data = Buffer.alloc(10_000, 1);
    await expect((async () => {
      for (let k = 0; k < 10; k++) {
        await out.write(data);
        out.memberEnd();
      }
      await out.finish();
    })()).rejects.toThrow('drive gone');
    await out.abandon();
  });
});
