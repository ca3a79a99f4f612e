// The fast paths must produce exactly what the plain path produces: the archive writer as the
// tests load it (from the sources) and as users run it (the build in dist/), both with the
// compiled reader thread, and random trees with the awkward sizes round-tripped through GNU tar.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, link, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceProblem } from '../../src/layout/format.js';
import { writeArchive as writeFromSources } from '../../src/snapshot/archive.js';
import { HashedWriter } from '../../src/io/hashed-writer.js';
import { scanSources } from '../../src/snapshot/scan.js';
import { labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { readTree } from '../helpers/tree.js';

const DIST_ARCHIVE = resolve(import.meta.dirname, '../../dist/snapshot/archive.js');
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

/** A deterministic random tree with the sizes that matter for tar: 0, 511, 512, 513, the small-file limit ±1. */
async function randomTree(root: string, seed: number): Promise<void> {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const sizes = [0, 1, 511, 512, 513, 4096, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * 1024 * 1024 + 7];
  const names = ['a', 'B', 'space name', 'ünï', 'x'.repeat(120), '-dash', 'back\\slash', 'n\nl'];
  const files: string[] = [];
  await mkdir(root, { recursive: true });
  for (let d = 0; d < 4; d++) {
    const dir = join(root, ...Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, i) => `${names[Math.floor(rnd() * names.length)]}-${d}-${i}`));
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 6; f++) {
      const size = sizes[Math.floor(rnd() * sizes.length)]!;
      const p = join(dir, `${names[Math.floor(rnd() * names.length)]}.${f}`);
      const buf = Buffer.alloc(size);
      for (let i = 0; i < size; i++) buf[i] = (rnd() * 256) & 255;
      await writeFile(p, buf);
      files.push(p);
    }
  }
  await mkdir(join(root, 'empty', 'deeper'), { recursive: true });
  await symlink('../a-target', join(root, 'empty', 'link'));
  await symlink('/etc/hostname', join(root, 'abs-link'));
  if (files.length) await link(files[0]!, join(root, 'hard-copy'));
}

describe('fast paths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-fast-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // dist/ is always there: npm test builds it, test/global-setup.ts rebuilds a stale one.
  it('the writer from the sources and from the build write byte-identical archives and manifests', async () => {
    const src = join(dir, 'tree1');
    await randomTree(src, 7);
    const scan = await scanSources([{ path: src, root: 'tree1' }], { excludes: [] });
    const { writeArchive: writeFromDist } = (await import(DIST_ARCHIVE)) as { writeArchive: typeof writeFromSources };
    const outputs: string[][] = [];
    for (const [name, write] of [['src', writeFromSources], ['dist', writeFromDist]] as const) {
      const out = join(dir, `out-${name}`);
      await mkdir(out);
      const files = ['x.tar', 'MANIFEST.tsv', 'FILES.sha256'].map((f) => join(out, f));
      const [tar, manifest, fileSums] = await Promise.all(files.map((f) => HashedWriter.create(f)));
      const problems: SourceProblem[] = [];
      await write(scan.entries, { tar: tar!, manifest: manifest!, fileSums: fileSums! }, problems);
      for (const w of [tar!, manifest!, fileSums!]) await w.finish();
      expect(problems).toEqual([]);
      outputs.push(await Promise.all(files.map(sha)));
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });

  describe('random trees round-trip through airgap and GNU tar', () => {
    let sb: Sandbox;
    beforeAll(async () => {
      sb = await makeSandbox();
      await labelledDrive(sb, 'A');
    });
    afterAll(() => sb.cleanup());
    for (const seed of [1, 2, 3, 4, 5]) {
      it(`seed ${seed}`, async () => {
        const src = join(sb.dir, `src${seed}`, 'data');
        await randomTree(src, seed);
        const r = await sb.run('backup', '--drive', 'A', '--source', src, '--no-prune', '--json');
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        const dest = join(sb.dir, `x${seed}`);
        await mkdir(dest);
        const x = spawnSync('tar', ['-xpf', join(out.dir, `${out.snapshot}.tar`), '-C', dest], { encoding: 'utf8' });
        expect(x.stderr).toBe('');
        expect(await readTree(join(dest, 'data'))).toEqual(await readTree(src));
        expect((await sb.run('verify', 'A', '--deep', '--snapshot', out.snapshot)).code).toBe(0);
      });
    }
  });

  // 8 GiB + 1 needs the pax size record (the ustar field holds 8 GiB − 1). Sparse, but airgap
  // still reads and writes 8 GiB: opt in with AIRGAP_SLOW_TESTS=1.
  it.skipIf(process.env.AIRGAP_SLOW_TESTS !== '1')('a file of 8 GiB + 1 byte round-trips with a pax size record', async () => {
    const sb = await makeSandbox();
    try {
      await labelledDrive(sb, 'A');
      const src = join(sb.dir, 'big');
      await mkdir(src);
      await writeFile(join(src, 'huge.bin'), 'start');
      await truncate(join(src, 'huge.bin'), 8 * 1024 ** 3 + 1);
      const r = await sb.run('backup', '--drive', 'A', '--source', src, '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      const listing = execFileSync('tar', ['-tvf', join(out.dir, `${out.snapshot}.tar`)], { encoding: 'utf8' });
      expect(listing).toMatch(/8589934593 .*big\/huge\.bin/);
      expect((await sb.run('verify', 'A', '--deep')).code).toBe(0);
    } finally {
      await sb.cleanup();
    }
  }, 900_000);
});
