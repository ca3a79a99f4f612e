// writeArchive on real files: what it stores, and what it reports when sources misbehave.
import { execFileSync } from 'node:child_process';
import { appendFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SourceProblem } from '../../src/layout/format.js';
import { parseManifestLine } from '../../src/layout/manifest.js';
import { writeArchive } from '../../src/snapshot/archive.js';
import { HashedWriter } from '../../src/io/hashed-writer.js';
import { scanSources } from '../../src/snapshot/scan.js';
import { Watchdog } from '../../src/snapshot/watchdog.js';
import { makeTree } from '../helpers/tree.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-archive-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function archive(src: string, tick?: (where: string) => void) {
  const scan = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
  return archiveScan(scan, tick);
}

async function archiveScan(scan: Awaited<ReturnType<typeof scanSources>>, tick?: (where: string) => void) {
  const out = join(dir, 'out');
  await rm(out, { recursive: true, force: true });
  await import('node:fs/promises').then((f) => f.mkdir(out));
  const tar = await HashedWriter.create(join(out, 'x.tar'), 64 << 10);
  const manifest = await HashedWriter.create(join(out, 'MANIFEST.tsv'));
  const fileSums = await HashedWriter.create(join(out, 'FILES.sha256'));
  const problems: SourceProblem[] = [...scan.problems];
  const offsets = new Map<string, number>();
  const counts = await writeArchive(scan.entries, { tar, manifest, fileSums }, problems, { tick, onMember: (path, offset) => offsets.set(path, offset) });
  const done = await tar.finish();
  await manifest.finish();
  await fileSums.finish();
  const lines = (await readFile(join(out, 'MANIFEST.tsv'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
  return { counts, problems, done, tarPath: join(out, 'x.tar'), entries: lines.map(parseManifestLine), offsets };
}

describe('writeArchive', () => {
  it('reports where every member starts: each one reads back alone from there, as the manifest says', async () => {
    const src = join(dir, 'src');
    const long = `${'very-long-name-'.repeat(10)}.txt`; // a pax header before its ustar header
    await makeTree(src, { 'a.txt': 'a', big: Buffer.alloc(3 << 20, 7), sub: { dir: { [long]: 'b', 'empty': '' } } });
    symlinkSync('a.txt', join(src, 'link'));
    const r = await archive(src);
    const { createHash } = await import('node:crypto');
    const { readMemberAt } = await import('../../src/layout/member-at.js');
    expect([...r.offsets.keys()]).toEqual(r.entries.map((e) => e.path));
    for (const e of r.entries) {
      const h = createHash('sha256');
      const member = await readMemberAt({ files: [r.tarPath] }, r.offsets.get(e.path)!, (c) => h.update(c));
      expect(member.path, e.path).toBe(e.path);
      if (e.sha256) expect(h.digest('hex'), e.path).toBe(e.sha256);
    }
  });

  it('the tarball hash is the hash of the file on disk, and GNU tar lists what the manifest lists', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { 'a.txt': 'a', big: Buffer.alloc(3 << 20, 7), sub: { dir: { 'b.txt': 'b' } } });
    const r = await archive(src);
    const { createHash } = await import('node:crypto');
    expect(r.done.sha256).toBe(createHash('sha256').update(await readFile(r.tarPath)).digest('hex'));
    const listed = execFileSync('tar', ['-tf', r.tarPath], { encoding: 'utf8' }).split('\n').filter(Boolean).map((p) => p.replace(/\/$/, ''));
    expect(listed).toEqual(r.entries.map((e) => e.path));
    expect(r.counts).toMatchObject({ files: 3, dirs: 2, contentBytes: 2 + (3 << 20) });
  });

  it('small files that grew past their batch\'s slot since the scan are streamed instead, whole and in order', async () => {
    const src = join(dir, 'src');
    const { createHash, randomBytes } = await import('node:crypto');
    // One batch by the scan's sizes (3 × 300 KB); grown to 3 × 900 KB, only the first fits the slot.
    await makeTree(src, { 'a.bin': Buffer.alloc(300_000, 1), 'b.bin': Buffer.alloc(300_000, 2), 'c.bin': Buffer.alloc(300_000, 3), 'd.txt': 'after' });
    const scan = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
    const grown = Object.fromEntries(['a.bin', 'b.bin', 'c.bin'].map((n) => [n, randomBytes(900_000)]));
    for (const [n, data] of Object.entries(grown)) await writeFile(join(src, n), data);
    const r = await archiveScan(scan);
    expect(r.problems).toEqual([]);
    const out = join(dir, 'x');
    await import('node:fs/promises').then((f) => f.mkdir(out));
    execFileSync('tar', ['-xf', r.tarPath, '-C', out]);
    for (const [n, data] of Object.entries(grown)) {
      expect((await readFile(join(out, 'src', n))).equals(data), n).toBe(true);
      expect(r.entries.find((e) => e.path === `src/${n}`)!.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    }
    expect(await readFile(join(out, 'src', 'd.txt'), 'utf8')).toBe('after');
    expect(execFileSync('tar', ['-tf', r.tarPath], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual(['src/', 'src/a.bin', 'src/b.bin', 'src/c.bin', 'src/d.txt']);
  });

  it('reports a file deleted between scan and read as vanished, and leaves it out', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { 'keep.txt': 'k', 'gone.txt': 'g' });
    const scan = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
    await unlink(join(src, 'gone.txt'));
    const r = await archiveScan(scan);
    expect(r.problems).toEqual([expect.objectContaining({ path: join(src, 'gone.txt'), kind: 'vanished' })]);
    expect(r.entries.map((e) => e.path)).toEqual(['src', 'src/keep.txt']);
  });

  it('never opens a FIFO that replaced a file after the scan (no hang), nor follows a swapped-in symlink', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { 'fifo': 'was a file', 'link': 'was a file', 'ok': 'ok' });
    await writeFile(join(dir, 'secret'), 'outside');
    const scan = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
    unlinkSync(join(src, 'fifo'));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    unlinkSync(join(src, 'link'));
    symlinkSync(join(dir, 'secret'), join(src, 'link'));
    const r = await archiveScan(scan);
    expect(r.problems.map((p) => [p.path.slice(src.length + 1), p.kind])).toEqual([['fifo', 'changed'], ['link', 'changed']]);
    expect(r.entries.map((e) => e.path)).toEqual(['src', 'src/ok']);
  });

  it('reports a large file that grows while it is read, and stores exactly its size at open', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { big: Buffer.alloc(4 << 20, 1) });
    let grown = false;
    let ticks = 0;
    // The first tick for a path comes before it is opened; the second after its first chunk.
    const r = await archive(src, (where) => {
      if (!grown && where.endsWith('big') && ++ticks === 2) {
        grown = true;
        appendFileSync(join(src, 'big'), Buffer.alloc(1000, 2));
      }
    });
    expect(grown).toBe(true);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'changed', message: expect.stringMatching(/grew/) })]);
    expect(r.entries[1]).toMatchObject({ path: 'src/big', size: 4 << 20 });
  });

  it('pads a large file that shrinks while read with zeros, keeping the archive well-formed', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { big: Buffer.alloc(4 << 20, 1), after: 'still here' });
    let cut = false;
    let ticks = 0;
    const r = await archive(src, (where) => {
      if (!cut && where.endsWith('big') && ++ticks === 2) {
        cut = true;
        execFileSync('truncate', ['-s', '1000', join(src, 'big')]);
      }
    });
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'changed', message: expect.stringMatching(/shrank/) })]);
    const x = join(dir, 'x');
    await import('node:fs/promises').then((f) => f.mkdir(x));
    execFileSync('tar', ['-xf', r.tarPath, '-C', x]);
    expect(await readFile(join(x, 'src', 'after'), 'utf8')).toBe('still here');
    expect((await readFile(join(x, 'src', 'big'))).length).toBe(4 << 20);
  });

  it('stores a second path of the same inode as a hard link with the same hash', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { a: 'same', b: { hardlink: 'a' } });
    const r = await archive(src);
    expect(r.entries[1]).toMatchObject({ type: 'file', path: 'src/a' });
    expect(r.entries[2]).toMatchObject({ type: 'hardlink', path: 'src/b', link: 'src/a', sha256: r.entries[1]!.sha256, size: 4 });
  });
});

describe('Watchdog', () => {
  it('turns a stall into a "stalled" refusal (exit 4), naming where it was', async () => {
    const w = new Watchdog(100);
    w.tick('/src/slow-file');
    const err = (await w.guard(new Promise(() => {})).catch((e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ code: 'stalled', exitCode: 4 });
    expect(err.message).toContain('/src/slow-file');
  });

  it('does not fire while work makes progress', async () => {
    // Fake timers: 10 steps of 50 ms (500 ms in all, over the 200 ms limit) on a clock that no
    // machine load can stretch between two ticks.
    vi.useFakeTimers();
    try {
      const w = new Watchdog(200);
      const work = (async () => {
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 50));
          w.tick(`step ${i}`);
        }
        return 'done';
      })();
      const guarded = w.guard(work);
      await vi.advanceTimersByTimeAsync(10 * 50);
      expect(await guarded).toBe('done');
    } finally {
      vi.useRealTimers();
    }
  });
});
