// Issue 17 §4: the restore target. A target that cannot be used is refused before anything of
// the snapshot is read; a folder that already has files is merged into when nothing collides;
// real collisions (a file where anything stands, a folder where a file or symlink stands) are
// refused before anything is written, by name, and --overwrite replaces exactly those. Both
// snapshot formats; the built CLI against real folders.
//
// "Before the tarball is read" is proven without timing: the tarball is moved aside, so any
// read of the snapshot's data would end in a damage error (exit 3, shown by the control case);
// the target's refusal (exit 4) comes out instead.
import { lstat, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree, readTree, type Snapshot, type Tree } from '../helpers/tree.js';

const T = 1_600_000_000;
const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${String(i).padStart(2, '0')}`, { file: `many ${i}\n`, mtime: T + i }]));
const tree: Tree = {
  'a.txt': { file: 'a from the backup\n', mtime: T },
  sub: { dir: { 'b.txt': { file: 'b from the backup\n', mtime: T }, deep: { dir: { 'c.txt': { file: 'c\n', mtime: T } }, mtime: T } }, mtime: T + 50 },
  many: { dir: many, mtime: T + 60 },
  link: { symlink: 'a.txt' },
};
/** Every non-folder path of the snapshot: 3 files, 15 in many/, 1 symlink. */
const LEAVES = 19;

const exists = (p: string) => lstat(p).then(() => true, () => false);
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const errorOf = (r: CliResult) => (JSON.parse(r.stdout) as { ok: boolean; error: { code: string; exitCode: number; details?: { collisions: string[]; collisionCount: number } } }).error;

async function expectNoStaging(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  expect((await readdir(dir)).filter((n) => n.startsWith('.airgap-restore-')), 'staging folders left behind').toEqual([]);
}

for (const format of [1, 2] as const) describe(`restore targets, format ${format}`, () => {
  let sb: Sandbox;
  let id: string;
  let snapDir: string;
  let source: Snapshot; // the source tree, re-rooted at docs/
  let n = 0;
  const fresh = () => join(sb.dir, 'targets', `t${++n}`);
  const run = (...args: string[]) => runChecked(sb, args);

  /** Runs `fn` with the snapshot's tarball moved aside: reading the snapshot's data would fail. */
  async function withoutTarball<R>(fn: () => Promise<R>): Promise<R> {
    const tar = join(snapDir, `${id}.tar`);
    await rename(tar, `${tar}.aside`);
    try {
      return await fn();
    } finally {
      await rename(`${tar}.aside`, tar);
    }
  }

  beforeAll(async () => {
    sb = await makeSandbox();
    const src = join(sb.dir, 'home', 'docs');
    await makeTree(src, tree);
    await labelledDrive(sb, 'A');
    const r = await run('backup', '--drive', 'A', '--source', src, '--format', String(format), '--json');
    expect(r.code, show(r)).toBe(0);
    ({ snapshot: id, dir: snapDir } = JSON.parse(r.stdout) as { snapshot: string; dir: string });
    source = Object.fromEntries(Object.entries(await readTree(src, { dirMtimes: true })).map(([k, v]) => [`docs/${k}`, v]));
  });
  afterAll(() => sb.cleanup());

  describe('checked before the snapshot is read', () => {
    it('control: with the tarball gone, a restore into a new folder fails as damage (exit 3)', async () => {
      const to = fresh();
      const r = await withoutTarball(() => run('restore', 'A', '--to', to));
      expect(r.code, show(r)).toBe(3);
      expect(await exists(to)).toBe(false);
    });

    it('a --to that is a file, under a file, or on the drive itself: exit 4, error and hint, nothing created', async () => {
      const file = join(sb.dir, 'a-file');
      await writeFile(file, 'not a folder');
      const cases: [string, RegExp][] = [
        [file, /^error: .*a-file exists and is not a folder$/m],
        [join(file, 'below'), /^error: .*cannot be created: .*a-file is a file, not a folder$/m],
        [join(sb.drive('A'), 'restored'), /^error: .*is on the backup drive itself/m],
      ];
      for (const [to, message] of cases) {
        for (const dry of [[], ['--dry-run']]) {
          const r = await withoutTarball(() => run('restore', 'A', '--to', to, ...dry));
          expect(r.code, show(r)).toBe(4);
          expect(r.stderr, show(r)).toMatch(message);
          expect(r.stderr, show(r)).toMatch(/^hint: /m);
          expect(r.stderr).not.toMatch(/damage|verification/i);
        }
      }
      expect(await readFile(file, 'utf8')).toBe('not a folder');
      expect(await exists(join(sb.drive('A'), 'restored'))).toBe(false);
    });

    it('a collision is refused (exit 4) once the manifest is read, before the tarball: a restore and a dry run', async () => {
      const to = fresh();
      await makeTree(to, { docs: { dir: { 'a.txt': 'mine' } } });
      for (const dry of [[], ['--dry-run']]) {
        const r = await withoutTarball(() => run('restore', 'A', '--to', to, ...dry));
        expect(r.code, show(r)).toBe(4);
        expect(r.stderr, show(r)).toMatch(/^error: .*already has 1 path the restore would replace: "docs\/a.txt"; nothing was written$/m);
      }
      expect(await readFile(join(to, 'docs', 'a.txt'), 'utf8')).toBe('mine');
    });
  });

  it('merges into a folder with other files when nothing collides: theirs untouched, byte for byte', async () => {
    const to = fresh();
    await makeTree(to, {
      'mine.txt': { file: 'mine, not from the backup', mode: 0o600, mtime: T - 5 },
      docs: { dir: { 'own.txt': { file: 'also mine', mtime: T - 20 }, sub: { dir: { 'notes.md': { file: 'notes', mtime: T - 30 } } }, many: { dir: {} } } },
    });
    const before = await readTree(to);
    const r = await run('restore', 'A', '--to', to);
    expect(r.code, show(r)).toBe(0);
    const got = await readTree(to, { dirMtimes: true });
    for (const p of ['mine.txt', 'docs/own.txt', 'docs/sub/notes.md']) expect(got[p], p).toEqual(before[p]);
    const restored = Object.fromEntries(Object.entries(got).filter(([k]) => k in source && !['docs', 'docs/sub', 'docs/many'].includes(k)));
    const want = Object.fromEntries(Object.entries(source).filter(([k]) => !['docs', 'docs/sub', 'docs/many'].includes(k)));
    expect(restored).toEqual(want);
    await expectNoStaging(to);
  });

  it('refuses collisions without --overwrite (exit 4): names the first ten and counts the rest, writes nothing; a dry run and --json say the same', async () => {
    const to = fresh();
    const first = await run('restore', 'A', '--to', to);
    expect(first.code, show(first)).toBe(0);
    await writeFile(join(to, 'docs', 'a.txt'), 'changed since');
    await writeFile(join(to, 'extra.txt'), 'mine');
    const before = await readTree(to, { dirMtimes: true });
    for (const dry of [[], ['--dry-run']]) {
      const r = await run('restore', 'A', '--to', to, ...dry);
      expect(r.code, show(r)).toBe(4);
      expect(r.stderr, show(r)).toMatch(new RegExp(`^error: .*already has ${LEAVES} paths the restore would replace: ("[^"]+", ){9}"[^"]+" and ${LEAVES - 10} more; nothing was written$`, 'm'));
      expect(r.stderr).toContain('"docs/a.txt"');
      expect(r.stderr).toMatch(/^hint: .*--overwrite/m);
      const j = await run('restore', 'A', '--to', to, ...dry, '--json');
      expect(j.code, show(j)).toBe(4);
      const e = errorOf(j);
      expect(e).toMatchObject({ code: 'target-collision', exitCode: 4, details: { collisionCount: LEAVES } });
      expect(e.details!.collisions).toHaveLength(LEAVES);
      expect(e.details!.collisions).toContain('docs/link');
    }
    expect(await readTree(to, { dirMtimes: true })).toEqual(before);
    await expectNoStaging(to);
  });

  it('--overwrite replaces exactly the listed paths (the dry run lists them) and nothing else', async () => {
    const to = fresh();
    await makeTree(to, {
      'unrelated.txt': { file: 'mine', mtime: T - 5 },
      docs: { dir: { 'a.txt': { file: 'an old a', mtime: T - 10 }, 'extra.txt': { file: 'extra', mtime: T - 11 }, sub: { dir: { 'b.txt': { file: 'an old b', mtime: T - 12 } } } } },
    });
    const before = await readTree(to);
    const dry = await run('restore', 'A', '--to', to, '--overwrite', '--dry-run', '--json');
    expect(dry.code, show(dry)).toBe(0);
    const planned = (JSON.parse(dry.stdout) as { planned: { conflicts: string[]; conflictCount: number } }).planned;
    expect([...planned.conflicts].sort()).toEqual(['docs/a.txt', 'docs/sub/b.txt']);
    expect(planned.conflictCount).toBe(2);
    const text = await run('restore', 'A', '--to', to, '--overwrite', '--dry-run');
    expect(text.stdout, show(text)).toMatch(/would replace 2 paths that already exist there/);
    expect(text.stdout).toMatch(/^ {2}replaces "docs\/sub\/b.txt"$/m);
    expect(await readTree(to)).toEqual(before);
    const r = await run('restore', 'A', '--to', to, '--overwrite');
    expect(r.code, show(r)).toBe(0);
    const got = await readTree(to, { dirMtimes: true });
    expect(got['unrelated.txt']).toEqual(before['unrelated.txt']);
    expect(got['docs/extra.txt']).toEqual(before['docs/extra.txt']);
    expect(got['docs/a.txt']).toEqual(source['docs/a.txt']);
    expect(got['docs/sub/b.txt']).toEqual(source['docs/sub/b.txt']);
    await expectNoStaging(to);
  });

  it('a folder where the snapshot has a file, and a file where it has a folder, are collisions; --overwrite swaps them', async () => {
    const to = fresh();
    await makeTree(to, { docs: { dir: { 'a.txt': { dir: {} }, sub: 'a file where the snapshot has a folder' } } });
    const before = await readTree(to);
    const j = await run('restore', 'A', '--to', to, '--json');
    expect(j.code, show(j)).toBe(4);
    expect([...errorOf(j).details!.collisions].sort()).toEqual(['docs/a.txt', 'docs/sub']);
    expect(errorOf(j).details!.collisionCount).toBe(2);
    expect(await readTree(to)).toEqual(before);
    const r = await run('restore', 'A', '--to', to, '--overwrite');
    expect(r.code, show(r)).toBe(0);
    const got = await readTree(to, { dirMtimes: true });
    expect(got['docs/a.txt']).toEqual(source['docs/a.txt']);
    expect(got['docs/sub/deep/c.txt']).toEqual(source['docs/sub/deep/c.txt']);
  });

  it('a symlink in the target where the snapshot has a folder is a collision, never followed off the target', async () => {
    const to = fresh();
    const outside = join(sb.dir, `outside-${format}`);
    await makeTree(outside, { 'x.txt': 'outside the target' });
    await mkdir(join(to, 'docs'), { recursive: true });
    await symlink(outside, join(to, 'docs', 'sub'));
    const j = await run('restore', 'A', '--to', to, '--json');
    expect(j.code, show(j)).toBe(4);
    expect(errorOf(j).details).toEqual({ collisions: ['docs/sub'], collisionCount: 1 });
    expect(await readdir(outside)).toEqual(['x.txt']);
    expect((await lstat(join(to, 'docs', 'sub'))).isSymbolicLink()).toBe(true);
    expect(await readdir(join(to, 'docs'))).toEqual(['sub']);
    const r = await run('restore', 'A', '--to', to, '--overwrite');
    expect(r.code, show(r)).toBe(0);
    expect((await lstat(join(to, 'docs', 'sub'))).isDirectory()).toBe(true);
    expect(await readdir(outside)).toEqual(['x.txt']);
    expect(await readFile(join(outside, 'x.txt'), 'utf8')).toBe('outside the target');
  });
});
