// The format 3 index parser the CLI and the page share (src/layout/gzip-index.ts; its block
// bounds in core/gzip-block-bounds.ts, free of node imports so that the page bundles it) on
// untrusted text: an index the project's writer made, hostile edits and seeded random ones, each
// either refused as a GzipIndexError naming its line, or accepted only as an index whose blocks
// tile both byte spaces exactly, each within its bounds.
// And the page's block inflater (src/page/gzip-block.ts, on the DecompressionStream Node shares
// with browsers) refuses what io/gzip-block-reader.ts refuses: a flipped byte, a gzip bomb.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { blockBoundsProblem, blockSize, type GzipBlockIndex } from '../../src/core/gzip-block-bounds.js';
import { formatGzipIndex, GzipIndexError, parseGzipIndex } from '../../src/layout/gzip-index.js';
import { inflateBlock, PageGzipBlockError } from '../../src/page/gzip-block.js';
import { gzipTar } from '../helpers/gzip-tar.js';
import { Mulberry32 } from '../helpers/prng.js';
import { noise } from '../helpers/bytes.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real tar (GNU tar, pax) of 40 files, text and random: many blocks at a 4 KiB target. */
function makeTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'airgap-idx-'));
  try {
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `f${i}`), i % 2 ? noise(500 + 100 * i, `f${i}`) : `line ${i}\n`.repeat(50 + i));
    return execFileSync('tar', ['--format=posix', '-cf', '-', '-C', dir, '.'], { maxBuffer: 64 << 20 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The parser's verdict: a GzipIndexError naming a line, or an index whose blocks tile the tar and the `.tar.gz` exactly. */
function expectSound(text: string, size: number): { ok?: GzipBlockIndex; refused?: string } {
  let index: GzipBlockIndex;
  try {
    index = parseGzipIndex(text, size);
  } catch (e) {
    expect(e).toBeInstanceOf(GzipIndexError);
    return { refused: (e as Error).message };
  }
  expect(index.compressedSize).toBe(size);
  index.blocks.forEach((b, i) => {
    const next = index.blocks[i + 1];
    if (i === 0) expect([b.uncompressedOffset, b.compressedOffset]).toEqual([0, 0]);
    expect(blockBoundsProblem(blockSize(index, i), b.compressedLength)).toBeUndefined();
    expect(next ? next.compressedOffset : size).toBe(b.compressedOffset + b.compressedLength);
  });
  return { ok: index };
}

const tar = makeTar();
async function sample(): Promise<{ gz: Buffer; text: string }> {
  const { gz, index } = await gzipTar(tar, { target: 4096 });
  return { gz, text: formatGzipIndex(index) };
}

describe('the format 3 index parser (the CLI\'s and the page\'s) on untrusted text', () => {
  it('an index the writer made: the same blocks', async () => {
    const { gz, text } = await sample();
    const v = expectSound(text, gz.length);
    expect(v.ok!.blocks.length).toBeGreaterThan(5);
  });

  const edit = (text: string, line: number, f: (fields: string[]) => string[]): string =>
    text.split('\n').map((l, i) => (i === line - 1 ? f(l.split('\t')).join('\t') : l)).join('\n');
  const cases: [string, (t: string) => string][] = [
    ['not an index', () => 'hello\n'],
    ['another version', (t) => edit(t, 1, (f) => [f[0]!, '2', ...f.slice(2)])],
    ['cut short', (t) => t.slice(0, -1)],
    ['a line missing', (t) => t.split('\n').slice(0, -2).join('\n') + '\n'],
    ['another .tar.gz size', (t) => edit(t, 1, (f) => [...f.slice(0, 3), String(Number(f[3]) + 1), f[4]!])],
    ['a sign', (t) => edit(t, 2, (f) => ['-0', ...f.slice(1)])],
    ['a leading zero', (t) => edit(t, 3, (f) => ['0' + f[0]!, ...f.slice(1)])],
    ['a first block after 0', (t) => edit(t, 2, (f) => ['1', ...f.slice(1)])],
    ['offsets going back', (t) => edit(t, 3, (f) => ['0', ...f.slice(1)])],
    ['a gap', (t) => edit(t, 3, (f) => [f[0]!, String(Number(f[1]) + 1), ...f.slice(2)])],
    ['an unknown kind', (t) => edit(t, 2, (f) => [...f.slice(0, 3), 'zstd'])],
    ['a block past the tar', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, '4096', ...f.slice(3)])],
    ['a block over the cap', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, String(2 ** 40), ...f.slice(3)])],
    ['a compressed length too large', (t) => edit(t, 1, (f) => [f[0]!, f[1]!, String(Number(t.trim().split('\n').pop()!.split('\t')[0]) + 1), ...f.slice(3)])],
    ['five fields on a block line', (t) => edit(t, 2, (f) => [...f, 'x'])],
    ['an empty file', () => ''],
  ];
  for (const [what, damage] of cases) {
    it(`refused, naming the line: ${what}`, async () => {
      const { gz, text } = await sample();
      const v = expectSound(damage(text), gz.length);
      expect(v.refused).toMatch(/^gzip block index, line \d+: /);
    });
  }

  it('300 seeded random edits (a digit, a tab, a line, a byte): each refused, or an index that tiles exactly', async () => {
    const { gz, text } = await sample();
    const rng = new Mulberry32(16);
    for (let n = 0; n < 300; n++) {
      const chars = [...text];
      const at = rng.int(0, chars.length - 1);
      const kind = rng.int(0, 3);
      if (kind === 0) chars[at] = String(rng.int(0, 9));
      else if (kind === 1) chars.splice(at, 1);
      else if (kind === 2) chars.splice(at, 0, rng.int(0, 1) ? '\t' : '\n');
      else chars[at] = String.fromCharCode(rng.int(32, 126));
      expectSound(chars.join(''), gz.length);
    }
  });
});

describe('the page inflates one block as io/gzip-block-reader.ts does', () => {
  const block = (raw: Buffer) => ({ uncompressedOffset: 0, compressedOffset: 0, compressedLength: raw.length, stored: false });
  const bytes = (b: Buffer) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) as Uint8Array<ArrayBuffer>;

  it('a whole block: its bytes', async () => {
    const data = noise(100_000, 'block');
    const raw = gzipSync(data, { level: 1 });
    expect(Buffer.from(await inflateBlock(block(raw), data.length, bytes(raw))).equals(data)).toBe(true);
  });

  it('a flipped byte: refused, naming the block and its tar range', async () => {
    const data = Buffer.from('text '.repeat(20_000));
    const raw = gzipSync(data, { level: 1 });
    raw[Math.floor(raw.length / 2)]! ^= 0x55;
    await expect(inflateBlock(block(raw), data.length, bytes(raw))).rejects.toThrow(PageGzipBlockError);
    await expect(inflateBlock(block(raw), data.length, bytes(raw))).rejects.toThrow(/the gzip block at compressed offset 0 \(tar bytes 0 to 100000\)/);
  });

  it('a gzip bomb (64 MiB of zeros indexed as 1 MiB): stopped at the indexed size, not inflated whole', async () => {
    const raw = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    raw.writeUInt32LE(1 << 20, raw.length - 4); // its trailer forged to agree with the index
    await expect(inflateBlock(block(raw), 1 << 20, bytes(raw))).rejects.toThrow(/inflates past its indexed size of 1048576 bytes/);
  });

  it('a block that inflates short of its indexed size, and one of two members: refused', async () => {
    const raw = gzipSync(Buffer.alloc(1000, 1));
    const short = Buffer.from(raw);
    short.writeUInt32LE(1001, short.length - 4); // the trailer made to agree with the index: the data still says 1000
    await expect(inflateBlock(block(short), 1001, bytes(short))).rejects.toThrow(PageGzipBlockError);
    const two = Buffer.concat([raw, gzipSync(Buffer.alloc(10))]);
    await expect(inflateBlock(block(two), 1010, bytes(two))).rejects.toThrow(/has a length trailer that disagrees with its indexed size/);
  });
});
