import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareArchivePaths } from '../../src/core/archive-order.js';
import { AirgapError } from '../../src/core/errors.js';
import { scanSources, type ScanResult } from '../../src/snapshot/scan.js';
import { makeTree } from '../helpers/tree.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-scan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const paths = (r: ScanResult) => [...r.entries].map((e) => e.path);
const scanOne = (path: string, excludes: string[] = [], root = 'src') => scanSources([{ path, root }], { excludes });

describe('scanSources order', () => {
  it('lists a folder before its contents and siblings by UTF-8 byte order', async () => {
    const src = join(dir, 'src');
    await makeTree(src, {
      'a-c': 'x',
      'a.c': 'x',
      a: { dir: { z: 'x', b: { dir: { c: 'x' } }, 'b-c': 'x' } },
      B: 'x',
      b: 'x',
      ' space': 'x',
      '～': 'x', // U+FF5E: EF BD 9E
      '🎉': 'x', // F0 9F 8E 89 (UTF-16 would put it before U+FF5E)
      é: { dir: { e: 'x' } },
      z: 'x',
    });
    const r = await scanOne(src);
    expect(paths(r)).toEqual([
      'src',
      'src/ space',
      'src/B',
      'src/a',
      'src/a/b',
      'src/a/b/c',
      'src/a/b-c',
      'src/a/z',
      'src/a-c',
      'src/a.c',
      'src/b',
      'src/z',
      'src/é',
      'src/é/e',
      'src/～',
      'src/🎉',
    ]);
    expect([...paths(r)].sort(compareArchivePaths)).toEqual(paths(r));
    expect(r.problems).toEqual([]);
  });

  it('reports kinds, sizes, absolute paths and totals', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { f: '12345', d: { dir: { g: 'ab' } }, empty: '' });
    const r = await scanOne(src);
    const byPath = Object.fromEntries([...r.entries].map((e) => [e.path, e]));
    expect(byPath['src']).toMatchObject({ kind: 'dir', abs: src, size: 0 });
    expect(byPath['src/f']).toMatchObject({ kind: 'file', abs: join(src, 'f'), size: 5 });
    expect(byPath['src/d']).toMatchObject({ kind: 'dir', abs: join(src, 'd') });
    expect(byPath['src/d/g']).toMatchObject({ kind: 'file', size: 2 });
    expect(byPath['src/empty']).toMatchObject({ kind: 'file', size: 0 });
    expect(r.files).toBe(3);
    expect(r.bytes).toBe(7);
  });

  it('sorts several roots by root name, whatever order they are given in', async () => {
    await makeTree(join(dir, 'one'), { x: 'x' });
    await makeTree(join(dir, 'two'), { y: 'y' });
    await makeTree(join(dir, 'three'), { z: 'z' });
    const r = await scanSources(
      [
        { path: join(dir, 'one'), root: 'photos' },
        { path: join(dir, 'two'), root: 'docs' },
        { path: join(dir, 'three'), root: 'docs-old' },
      ],
      { excludes: [] },
    );
    expect(paths(r)).toEqual(['docs', 'docs/y', 'docs-old', 'docs-old/z', 'photos', 'photos/x']);
    expect([...r.entries].find((e) => e.path === 'docs/y')!.abs).toBe(join(dir, 'two', 'y'));
  });

  it('roots are ordered by bytes too', async () => {
    await makeTree(join(dir, 'one'), {});
    await makeTree(join(dir, 'two'), {});
    await makeTree(join(dir, 'three'), {});
    const r = await scanSources(
      [
        { path: join(dir, 'one'), root: 'Zeta' },
        { path: join(dir, 'two'), root: 'alpha' },
        { path: join(dir, 'three'), root: 'Épsilon' },
      ],
      { excludes: [] },
    );
    expect(paths(r)).toEqual(['Zeta', 'alpha', 'Épsilon']);
  });
});

describe('scanSources excludes', () => {
  const tree = {
    'keep.txt': 'k',
    'drop.tmp': 'd',
    '.hidden.tmp': 'h',
    node_modules: { dir: { pkg: { dir: { 'index.js': 'x' } } } },
    app: {
      dir: {
        'main.ts': 'm',
        'cache.tmp': 'c',
        node_modules: { dir: { dep: 'x' } },
        build: { dir: { 'out.o': 'o', 'keep.txt': 'k' } },
      },
    },
    build: { dir: { 'out.o': 'o' } },
    logs: { dir: { 'a.log': 'a', old: { dir: { 'b.log': 'b' } } } },
  };

  it('without excludes, everything is listed', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'));
    expect(paths(r)).toContain('src/node_modules/pkg/index.js');
    expect(paths(r)).toContain('src/drop.tmp');
    expect(r.entries).toHaveLength(21);
  });

  it('a pattern without "/" matches a name at any depth', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['*.tmp']);
    expect(paths(r).filter((p) => p.endsWith('.tmp'))).toEqual([]);
    expect(paths(r)).toContain('src/keep.txt');
    expect(paths(r)).toContain('src/app/main.ts');
    expect(r.entries).toHaveLength(18);
  });

  it('a folder name excludes the folder and everything in it, at any depth', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['node_modules']);
    expect(paths(r).filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(paths(r)).toContain('src/app');
    expect(paths(r)).toContain('src/app/main.ts');
    expect(r.entries).toHaveLength(21 - 3 - 2);
  });

  it('a name pattern matches whole names only', async () => {
    await makeTree(join(dir, 'src'), { 'my_node_modules': 'x', node_modules_backup: { dir: { a: 'x' } }, node_modules: { dir: {} } });
    const r = await scanOne(join(dir, 'src'), ['node_modules']);
    expect(paths(r)).toEqual(['src', 'src/my_node_modules', 'src/node_modules_backup', 'src/node_modules_backup/a']);
  });

  it('a pattern with "/" matches the path relative to the source folder', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['build/*.o']);
    expect(paths(r)).not.toContain('src/build/out.o');
    expect(paths(r)).toContain('src/build'); // the folder itself stays
    expect(paths(r)).toContain('src/app/build/out.o'); // only relative to the source root
    expect(r.entries).toHaveLength(20);
  });

  it('a path pattern naming a folder excludes its contents; a leading "/" is allowed', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['/app/build', 'logs/old']);
    expect(paths(r).filter((p) => p.startsWith('src/app/build'))).toEqual([]);
    expect(paths(r)).not.toContain('src/logs/old');
    expect(paths(r)).not.toContain('src/logs/old/b.log');
    expect(paths(r)).toContain('src/logs/a.log');
    expect(paths(r)).toContain('src/build/out.o');
  });

  it('a path pattern does not match the root folder name', async () => {
    await makeTree(join(dir, 'src'), tree);
    // 'src' is the name inside the archive, not part of the relative path.
    const r = await scanOne(join(dir, 'src'), ['src/keep.txt']);
    expect(paths(r)).toContain('src/keep.txt');
  });

  it('"**" in a path pattern crosses folders', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['logs/**/*.log']);
    expect(paths(r).filter((p) => p.endsWith('.log'))).toEqual([]);
    expect(paths(r)).toContain('src/logs/old');
  });

  it('several patterns of both kinds combine', async () => {
    await makeTree(join(dir, 'src'), tree);
    const r = await scanOne(join(dir, 'src'), ['*.tmp', 'node_modules', 'build/out.o', 'logs']);
    expect(paths(r)).toEqual([
      'src',
      'src/app',
      'src/app/build',
      'src/app/build/keep.txt',
      'src/app/build/out.o',
      'src/app/main.ts',
      'src/build',
      'src/keep.txt',
    ]);
  });
});

describe('scanSources special cases', () => {
  it('a FIFO is a problem of kind "special", not an entry, and is never opened', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { a: 'x', z: 'x' });
    execFileSync('mkfifo', [join(src, 'pipe')]);
    expect(lstatSync(join(src, 'pipe')).isFIFO()).toBe(true);
    const r = await scanOne(src);
    expect(paths(r)).toEqual(['src', 'src/a', 'src/z']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: 'special', path: join(src, 'pipe') });
    expect(r.problems[0]!.message).toMatch(/FIFO/);
  });

  it('an excluded FIFO is not a problem', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { a: 'x' });
    execFileSync('mkfifo', [join(src, 'pipe.tmp')]);
    const r = await scanOne(src, ['*.tmp']);
    expect(r.problems).toEqual([]);
  });

  it('a symlink is an entry with its target, never followed', async () => {
    const src = join(dir, 'src');
    const outside = join(dir, 'outside');
    await makeTree(outside, { secret: 'x', sub: { dir: { deeper: 'y' } } });
    await makeTree(src, { real: { dir: { inner: 'i' } }, file: 'f' });
    await symlink(outside, join(src, 'to-outside'));
    await symlink('real', join(src, 'to-real'));
    await symlink('file', join(src, 'to-file'));
    await symlink('does/not/exist', join(src, 'dangling'));
    const r = await scanOne(src);
    expect(paths(r)).toEqual(['src', 'src/dangling', 'src/file', 'src/real', 'src/real/inner', 'src/to-file', 'src/to-outside', 'src/to-real']);
    const byPath = Object.fromEntries([...r.entries].map((e) => [e.path, e]));
    expect(byPath['src/to-outside']).toMatchObject({ kind: 'symlink', link: outside, size: 0 });
    expect(byPath['src/to-real']).toMatchObject({ kind: 'symlink', link: 'real' });
    expect(byPath['src/to-file']).toMatchObject({ kind: 'symlink', link: 'file', size: 0 });
    expect(byPath['src/dangling']).toMatchObject({ kind: 'symlink', link: 'does/not/exist' });
    expect([...r.entries].filter((e) => e.kind !== 'symlink').every((e) => e.link === undefined)).toBe(true);
    expect(r.files).toBe(2);
    expect(r.problems).toEqual([]);
  });

  it('a symlink loop does not hang the scan', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { d: { dir: {} } });
    await symlink('..', join(src, 'd', 'up'));
    const r = await scanOne(src);
    expect(paths(r)).toEqual(['src', 'src/d', 'src/d/up']);
  });

  it('a root given as a symlink to a folder is followed once', async () => {
    const real = join(dir, 'real');
    await makeTree(real, { a: 'x' });
    await symlink(real, join(dir, 'alias'));
    const r = await scanOne(join(dir, 'alias'));
    expect(paths(r)).toEqual(['src', 'src/a']);
    expect(r.entries.at(0).kind).toBe('dir');
  });

  it('a name that is not valid UTF-8 is a "bad-name" problem and is skipped', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { e: 'x', g: 'x' });
    writeFileSync(Buffer.concat([Buffer.from(src + '/'), Buffer.from([0x66, 0xff, 0x66])]), 'x');
    // A folder with a bad name is skipped with its contents.
    const badDir = Buffer.concat([Buffer.from(src + '/'), Buffer.from([0x64, 0xc3, 0x28])]);
    mkdirSync(badDir);
    writeFileSync(Buffer.concat([badDir, Buffer.from('/inside')]), 'x');
    const r = await scanOne(src);
    expect(paths(r)).toEqual(['src', 'src/e', 'src/g']);
    expect(r.problems.map((p) => p.kind)).toEqual(['bad-name', 'bad-name']);
    expect(r.problems.every((p) => p.path.startsWith(src + '/'))).toBe(true);
    expect(r.files).toBe(2);
  });

  it('a missing root throws an AirgapError with exit code 2', async () => {
    let err: unknown;
    try {
      await scanOne(join(dir, 'no-such-folder'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AirgapError);
    expect((err as AirgapError).exitCode).toBe(2);
    expect((err as AirgapError).code).toBe('bad-source');
    expect((err as AirgapError).message).toContain(join(dir, 'no-such-folder'));
  });

  it('a root that is a file, not a folder, throws the same usage error', async () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    await expect(scanOne(join(dir, 'plain-file'))).rejects.toMatchObject({ name: 'AirgapError', exitCode: 2, code: 'bad-source' });
  });

  it('one missing root among several fails the whole scan', async () => {
    await makeTree(join(dir, 'ok'), { a: 'x' });
    await expect(
      scanSources([{ path: join(dir, 'ok'), root: 'ok' }, { path: join(dir, 'gone'), root: 'gone' }], { excludes: [] }),
    ).rejects.toBeInstanceOf(AirgapError);
  });

  // root can list any folder, so this needs an ordinary user.
  it.skipIf(process.getuid?.() === 0)('a folder it cannot list is a problem, stored empty', async () => {
    const src = join(dir, 'src');
    await makeTree(src, { locked: { dir: { secret: 'x' }, mode: 0o000 }, ok: 'x' });
    try {
      const r = await scanOne(src);
      expect(paths(r)).toEqual(['src', 'src/locked', 'src/ok']);
      expect(r.problems).toMatchObject([{ kind: 'unreadable', path: join(src, 'locked') }]);
    } finally {
      execFileSync('chmod', ['755', join(src, 'locked')]);
    }
  });
});
