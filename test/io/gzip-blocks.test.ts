// Random access into a block-gzipped tar (src/io/gzip-blocks.ts, gzip-block-reader.ts,
// layout/gzip-index.ts; a design for a future format, not yet used by airgap): any range read
// through the index equals the same range of the original bytes, only the blocks that hold it
// are read, and what comes from a drive (the index, the blocks) is refused by name when it is
// wrong: never a hang, never an inflate past a block's indexed size.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipBlockError, readRange, type ReadAt } from '../../src/io/gzip-block-reader.js';
import { GzipBlockWriter, type GzipBlockIndex } from '../../src/io/gzip-blocks.js';
import { formatGzipIndex, GzipIndexError, parseGzipIndex } from '../../src/layout/gzip-index.js';
import { noise } from '../helpers/bytes.js';
import { deriveSeed, Mulberry32 } from '../helpers/prng.js';

/** A tar-like stream: members of random sizes (a few longer than a block), text or random. */
function stream(rng: Mulberry32, members: number, target: number): { bytes: Buffer; ends: number[] } {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  for (let i = 0; i < members; i++) {
    const size = rng.int(0, 9) === 0 ? rng.int(target, 3 * target) : rng.logInt(1, target / 2);
    const part = rng.int(0, 1) === 0 ? noise(size, `m${rng.next()}`) : Buffer.from(Array.from({ length: size }, (_, k) => 'abcab \n'.charCodeAt((k * 7 + i) % 7)));
    parts.push(part);
    ends.push((at += size));
  }
  return { bytes: Buffer.concat(parts), ends };
}

/** Writes `bytes` in uneven pieces, marking each member's end. */
async function blockGzip(bytes: Buffer, ends: number[], target: number, rng: Mulberry32): Promise<{ gz: Buffer; index: GzipBlockIndex }> {
  const out: Buffer[] = [];
  const writer = new GzipBlockWriter(async (b) => void out.push(b), { target, inFlight: rng.int(1, 4) });
  let at = 0;
  for (const end of ends) {
    while (at < end) {
      const n = Math.min(end - at, rng.int(1, 3 * target));
      await writer.write(bytes.subarray(at, at + n));
      at += n;
    }
    await writer.memberEnd();
  }
  const index = await writer.finish(); // before the concat: the last blocks are written by finish
  return { gz: Buffer.concat(out), index };
}

/** A ReadAt over a buffer that records what it was asked for. */
function reader(gz: Buffer, reads: number[] = []): ReadAt {
  return async (position, length) => {
    reads.push(position);
    return gz.subarray(position, position + length);
  };
}

describe('reading ranges through the index', () => {
  it('any range equals the same range of the original, reading only its blocks (seeded)', async () => {
    for (let round = 0; round < 6; round++) {
      const rng = new Mulberry32(deriveSeed(20261205, round));
      const target = rng.pick([512, 4096, 16 * 1024]);
      const { bytes, ends } = stream(rng, rng.int(5, 60), target);
      const { gz, index: written } = await blockGzip(bytes, ends, target, rng);
      // Through the index file, as a reader would get it from a drive.
      const index = parseGzipIndex(formatGzipIndex(written), gz.length);
      expect(index).toEqual(written);
      expect(index.uncompressedSize).toBe(bytes.length);
      for (let k = 0; k < 40; k++) {
        // Every fourth range starts exactly where a block starts: the edge a search gets wrong.
        const a = k % 4 === 0 ? rng.pick(index.blocks).uncompressedOffset : rng.int(0, bytes.length);
        const b = rng.int(0, 2) === 0 ? Math.min(bytes.length, a + rng.int(0, 600)) : rng.int(a, bytes.length);
        const reads: number[] = [];
        const got = await readRange(index, reader(gz, reads), a, b);
        expect(got.equals(bytes.subarray(a, b)), `round ${round}, [${a}, ${b})`).toBe(true);
        const wanted = index.blocks.filter((blk, i) => blk.uncompressedOffset < b && (index.blocks[i + 1]?.uncompressedOffset ?? Infinity) > a);
        expect(reads).toEqual(a === b ? [] : wanted.map((blk) => blk.compressedOffset));
      }
    }
  });

});

describe('the writer', () => {
  it('memory in flight is bounded: while the sink is stuck, write waits after inFlight blocks', async () => {
    const held: (() => void)[] = [];
    let stuck = true;
    let firstCall!: () => void;
    const called = new Promise<void>((resolve) => (firstCall = resolve));
    const sink = (b: Buffer) => {
      void b;
      firstCall();
      return stuck ? new Promise<void>((resolve) => void held.push(resolve)) : Promise.resolve();
    };
    const writer = new GzipBlockWriter(sink, { target: 512, inFlight: 2 });
    let written = 0;
    const loop = (async () => {
      for (let i = 0; i < 10; i++) {
        await writer.write(noise(512, `b${i}`));
        written++;
      }
    })();
    // The first block reaches the sink only after the threadpool compressed it: an unbounded
    // writer would have taken all ten blocks (microtasks only) long before.
    await called;
    expect(written).toBe(2); // blocks 1 and 2 in flight; the third waits for the first's write
    stuck = false;
    for (const release of held.splice(0)) release();
    await loop;
    const index = await writer.finish();
    expect(index.blocks.length).toBe(10);
  });

  it('a sink that fails fails the writer (nothing is reported written)', async () => {
    const writer = new GzipBlockWriter(async () => Promise.reject(new Error('disk full')), { target: 512, inFlight: 1 });
    const attempt = async () => {
      for (let i = 0; i < 10; i++) await writer.write(Buffer.alloc(512, 1));
      await writer.finish();
    };
    await expect(attempt()).rejects.toThrow('disk full');
  });
});

/** One valid small block-gzipped stream and its index text, to be damaged. */
async function sample(): Promise<{ gz: Buffer; text: string; index: GzipBlockIndex; bytes: Buffer }> {
  const rng = new Mulberry32(42);
  const bytes = Buffer.concat([Buffer.alloc(5000, 'a'), noise(5000, 'x'), Buffer.alloc(5000, 'b')]);
  const { gz, index } = await blockGzip(bytes, [5000, 10000, 15000], 4096, rng);
  return { gz, text: formatGzipIndex(index), index, bytes };
}

describe('a hostile index is refused by name', () => {
  const edit = (text: string, line: number, f: (fields: string[]) => string[]): string =>
    text
      .split('\n')
      .map((l, i) => (i === line - 1 ? f(l.split('\t')).join('\t') : l))
      .join('\n');
  const cases: [string, (t: string, size: number) => string, RegExp][] = [
    ['not an index', () => 'hello\n', /line 1: not a gzip block index/],
    ['another version', (t) => edit(t, 1, (f) => [f[0]!, '2', ...f.slice(2)]), /line 1: version "2"/],
    ['cut short (no newline at the end)', (t) => t.slice(0, -1), /does not end with a newline/],
    ['a line missing', (t) => t.split('\n').slice(0, -2).join('\n') + '\n', /line 1: says \d+ blocks/],
    ['a .tar.gz size that is not the file', (t) => edit(t, 1, (f) => [...f.slice(0, 3), String(Number(f[3]) + 1), f[4]!]), /line 1: says the .tar.gz has/],
    ['a sign', (t) => edit(t, 2, (f) => ['-0', ...f.slice(1)]), /line 2: uncompressed offset "-0" is not a whole number/],
    ['a leading zero', (t) => edit(t, 3, (f) => ['0' + f[0]!, ...f.slice(1)]), /line 3: uncompressed offset "0\d+" is not a whole number/],
    ['a first block after 0', (t) => edit(t, 2, (f) => ['1', ...f.slice(1)]), /line 2: uncompressed offset 1 does not follow/],
    ['offsets going back', (t) => edit(t, 3, (f) => ['0', ...f.slice(1)]), /line 3: uncompressed offset 0 does not follow/],
    ['a gap between blocks', (t) => edit(t, 3, (f) => [f[0]!, String(Number(f[1]) + 1), ...f.slice(2)]), /line 3: compressed offset \d+: the block before ends at/],
    ['an unknown kind', (t) => edit(t, 2, (f) => [...f.slice(0, 3), 'zstd']), /line 2: kind "zstd"/],
    ['a block past the tar', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, '4096', ...f.slice(3)]), /line \d: the block starts at \d+, not before the tar's end/],
    ['a block over the cap', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, String(2 ** 40), ...f.slice(3)]), /over the 67108864 a block may hold/],
    // The last block made to hold 1 byte: its gzip member is longer than 1 byte can take.
    ['a compressed length too large for its size', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, String(Number(t.trim().split('\n').pop()!.split('\t')[0]) + 1), ...f.slice(3)]), /compressed length \d+ is impossible for a gzip member of 1 bytes/],
  ];
  for (const [what, damage, message] of cases) {
    it(what, async () => {
      const { gz, text } = await sample();
      const bad = damage(text, gz.length);
      expect(() => parseGzipIndex(bad, gz.length)).toThrow(GzipIndexError);
      expect(() => parseGzipIndex(bad, gz.length)).toThrow(message);
    });
  }

  it('an index over the size cap is refused before it is split', () => {
    expect(() => parseGzipIndex('x'.repeat(64 * 1024 * 1024 + 1), 0)).toThrow(/over 67108864 bytes/);
  });
});

describe('a damaged block is a GzipBlockError naming its compressed offset', () => {
  /** The sample with its second block replaced by `member` (the index edited to match). */
  async function withSecondBlock(member: (orig: Buffer) => Buffer) {
    const { gz, index, bytes } = await sample();
    const b = index.blocks[1]!;
    const orig = gz.subarray(b.compressedOffset, b.compressedOffset + b.compressedLength);
    const repl = member(Buffer.from(orig));
    const gz2 = Buffer.concat([gz.subarray(0, b.compressedOffset), repl, gz.subarray(b.compressedOffset + b.compressedLength)]);
    const delta = repl.length - orig.length;
    const blocks = index.blocks.map((x, i) => (i < 1 ? x : i === 1 ? { ...x, compressedLength: repl.length } : { ...x, compressedOffset: x.compressedOffset + delta }));
    return { gz: gz2, index: { ...index, blocks, compressedSize: index.compressedSize + delta }, at: b.compressedOffset, bytes };
  }
  const read = async (gz: Buffer, index: GzipBlockIndex) => readRange(parseGzipIndex(formatGzipIndex(index), gz.length), reader(gz), 0, index.uncompressedSize);

  it('a flipped bit in the deflate data', async () => {
    const { gz, index, at } = await withSecondBlock((m) => {
      m[m.length - 20] = m[m.length - 20]! ^ 0x10;
      return m;
    });
    await expect(read(gz, index)).rejects.toThrow(GzipBlockError);
    await expect(read(gz, index)).rejects.toThrow(`compressed offset ${at} `);
  });

  it('a wrong CRC-32', async () => {
    const { gz, index } = await withSecondBlock((m) => {
      m[m.length - 8] = m[m.length - 8]! ^ 1;
      return m;
    });
    await expect(read(gz, index)).rejects.toThrow(/fails its CRC-32/);
  });

  it('two gzip members in one block (a reader that stops after the first would differ)', async () => {
    // The block's own member, then an empty one: node's gunzip would read on through both.
    const { gz, index } = await withSecondBlock((m) => Buffer.concat([m, gzipSync(Buffer.alloc(0))]));
    await expect(read(gz, index)).rejects.toThrow(GzipBlockError);
    await expect(read(gz, index)).rejects.toThrow(/has \d+ bytes after its deflate data/);
  });

  it('a gzip bomb: a block may not inflate past its indexed size', async () => {
    // 64 MiB of zeros deflate to ~64 KiB: a length the index allows for a 1 MiB block.
    const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    const text = `airgap-gzip-index\t1\t${1 << 20}\t${bomb.length}\t1\n0\t0\t${bomb.length}\tdeflated\n`;
    const index = parseGzipIndex(text, bomb.length);
    await expect(readRange(index, reader(bomb), 0, 10)).rejects.toThrow(`at compressed offset 0 inflates past its indexed size of ${1 << 20} bytes`);
  });

  it('a .tar.gz shorter than its index says', async () => {
    const { gz, index } = await sample();
    const last = index.blocks[index.blocks.length - 1]!;
    const short = gz.subarray(0, gz.length - 5);
    await expect(readRange(index, reader(short), index.uncompressedSize - 1, index.uncompressedSize)).rejects.toThrow(`at compressed offset ${last.compressedOffset} is cut short`);
  });
});
