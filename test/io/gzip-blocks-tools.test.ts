// The block-gzip writer's output (src/io/gzip-blocks.ts; a design for a future format, not yet
// used by airgap) as a user's stock tools see it: a real tar of a tree of text and random files,
// made by GNU tar, written as independent gzip members, must be one `.tar.gz` that `gzip -t`
// accepts, that `zcat` turns back into the exact tar, and that GNU tar, bsdtar and busybox tar
// extract with `-xzf` to the same tree. A tool that is missing is skipped, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockAt } from '../../src/io/gzip-block-reader.js';
import type { GzipBlockIndex } from '../../src/io/gzip-blocks.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { gzipTar } from '../helpers/gzip-tar.js';
import { deriveSeed, Mulberry32 } from '../helpers/prng.js';
import { makeTree, readTree, type Tree } from '../helpers/tree.js';

const TARGET = 256 * 1024;
let dir: string;
let tar: Buffer;
let gzPath: string;
let index: GzipBlockIndex;
let starts: number[];

/** Prose-like text: it deflates well, as documents do. */
function text(size: number, seed: string): Buffer {
  const rng = new Mulberry32(deriveSeed(7, seed));
  const words = ['backup', 'drive', 'rotation', 'snapshot', 'offline', 'restore', 'the', 'a', 'of', 'every', 'week'];
  const parts: string[] = [];
  for (let n = 0; n < size; ) {
    const w = rng.pick(words) + (rng.int(0, 9) === 0 ? '\n' : ' ');
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

const tree: Tree = {
  docs: { dir: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`note-${i}.txt`, text(200 + i * 997, `n${i}`)])) },
  photos: { dir: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`img-${i}.jpg`, noise(300 + i * 1511, `p${i}`)])) },
  // Longer than a block: cut inside, every TARGET bytes of it.
  'big-text.log': text(3 * TARGET + 12_345, 'big'),
  'big-random.bin': noise(2 * TARGET + 777, 'bigr'),
  // A name over 100 bytes and a non-ASCII one: GNU tar's posix format gives them pax headers.
  'a-rather-long-folder-name-that-goes-on': { dir: { ['x'.repeat(120) + '.txt']: 'long name\n', 'café ☕.txt': 'unicode\n' } },
  empty: { dir: {} },
  link: { symlink: 'docs/note-1.txt' },
  'zero.bin': '',
};

const have = (tool: string, args: string[]): boolean => {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  return r.status === 0 && (tool !== 'busybox' || r.stdout.split('\n').includes('tar'));
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-gzip-blocks-'));
  await makeTree(join(dir, 'src'), tree);
  // --format=posix: pax headers, as airgap's own tarballs have; sorted and fixed owner, so the
  // tar is the same on every machine.
  execFileSync('tar', ['--format=posix', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', join(dir, 'src'), '-cf', join(dir, 't.tar'), '.']);
  tar = await readFile(join(dir, 't.tar'));
  const out = await gzipTar(tar, { target: TARGET });
  index = out.index;
  starts = out.starts;
  gzPath = join(dir, 't.tar.gz');
  await writeFile(gzPath, out.gz);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a block-gzipped tar, read by stock tools', () => {
  it('is many gzip members, each cut at a member boundary or inside a long member', () => {
    expect(index.blocks.length).toBeGreaterThan(8);
    expect(index.uncompressedSize).toBe(tar.length);
    const boundaries = new Set(starts);
    for (const [i, b] of index.blocks.entries()) {
      const size = (index.blocks[i + 1]?.uncompressedOffset ?? tar.length) - b.uncompressedOffset;
      expect(size).toBeLessThan(2 * TARGET);
      if (i === 0) continue;
      // A cut inside a member comes TARGET bytes of that member after the block before began
      // (or after the member began, when it began inside that block).
      const member = starts.filter((s) => s < b.uncompressedOffset).pop()!;
      const inside = !boundaries.has(b.uncompressedOffset);
      if (inside) expect(b.uncompressedOffset - Math.max(member, index.blocks[i - 1]!.uncompressedOffset), `block ${i}`).toBe(TARGET);
      else if (i < index.blocks.length - 1) expect(b.uncompressedOffset - index.blocks[i - 1]!.uncompressedOffset).toBeGreaterThanOrEqual(TARGET);
    }
  });

  it('random data is stored and text deflated, block by block (the index says which)', () => {
    const kindAt = (name: string, within: number) => {
      const at = tar.indexOf(Buffer.from(name)); // the member's header (or pax record) names it
      expect(at).toBeGreaterThan(0);
      return index.blocks[blockAt(index, at + within)]!.stored;
    };
    expect(kindAt('big-random.bin', TARGET + 1000)).toBe(true);
    expect(kindAt('big-text.log', TARGET + 1000)).toBe(false);
    expect(index.blocks.some((b) => b.stored) && index.blocks.some((b) => !b.stored)).toBe(true);
    // What the choice is for: the whole is smaller than the tar, though half of it is random.
    expect(index.compressedSize).toBeLessThan(tar.length * 0.75);
  });

  it('gzip -t accepts it and zcat gives back the exact tar', () => {
    execFileSync('gzip', ['-t', gzPath]);
    const back = execFileSync('zcat', [gzPath], { maxBuffer: 64 << 20 });
    expect(back.length).toBe(tar.length);
    expect(sha256(back)).toBe(sha256(tar));
  });

  const tools: [string, string, string[]][] = [
    ['GNU tar', 'tar', ['--version']],
    ['bsdtar', 'bsdtar', ['--version']],
    ['busybox tar', 'busybox', ['--list']],
  ];
  for (const [name, bin, probe] of tools) {
    it(`${name} -xzf extracts the same tree`, async (ctx) => {
      if (!have(bin, probe)) {
        ctx.skip(`${name} is not installed here (${bin})`);
        return;
      }
      const into = join(dir, `out-${bin}`);
      await mkdir(into);
      execFileSync(bin, [...(bin === 'busybox' ? ['tar'] : []), '-xzf', gzPath, '-C', into]);
      expect(await readTree(into, { hashContent: true })).toEqual(await readTree(join(dir, 'src'), { hashContent: true }));
    });
  }
});
