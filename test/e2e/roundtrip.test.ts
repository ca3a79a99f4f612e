// label → backup → list → verify, then the stock tools: sha256sum -c on the drive, GNU tar
// (and bsdtar, busybox tar, Python's tarfile where installed) extract a tree identical to the
// source, and FILES.sha256 checks the extracted files. The backup is format 2, the default (its
// first snapshot a full: one tarball of everything, the lists gzipped).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { makeTree, readTree, type Tree } from '../helpers/tree.js';
import { readFileSumsV2 } from '../helpers/v2-lists.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const T = 1_600_000_000;
const long = 'long-folder-name-'.repeat(8); // > 100 bytes once nested
const tricky: Tree = {
  'plain.txt': { file: 'hello\n', mtime: T },
  'with space.txt': { file: 'space', mtime: T + 1 },
  'ünïcødé €.txt': { file: 'unicode', mtime: T + 2 },
  'new\nline.txt': { file: 'newline', mtime: T + 3 },
  'back\\slash.txt': { file: 'backslash', mtime: T + 4 },
  'tab\tname': { file: 'tab', mtime: T + 5 },
  '-leading-dash': { file: 'dash', mtime: T + 6 },
  'run.sh': { file: '#!/bin/sh\necho hi\n', mode: 0o755, mtime: T + 7 },
  'private.key': { file: 'secret', mode: 0o600, mtime: T + 8 },
  'empty-file': { file: '', mtime: T + 9 },
  'sizes': {
    dir: {
      's511': { file: Buffer.alloc(511, 1), mtime: T },
      's512': { file: Buffer.alloc(512, 2), mtime: T },
      's513': { file: Buffer.alloc(513, 3), mtime: T },
      'big.bin': { file: Buffer.alloc(3 * 1024 * 1024 + 7, 9), mtime: T },
    },
    mtime: T + 100,
  },
  'empty-folder': { dir: {}, mtime: T + 200 },
  [long]: { dir: { [long]: { dir: { ['f'.repeat(200)]: { file: 'deep and long', mtime: T } }, mtime: T + 300 } }, mtime: T + 301 },
  'link-rel': { symlink: 'plain.txt' },
  'link-abs': { symlink: '/etc/hostname' },
  'link-escaping': { symlink: '../../outside/the/tree' },
  'link-dangling': { symlink: 'does-not-exist' },
  'hard-a': { file: 'shared inode', mtime: T },
  'sub': { dir: { 'hard-b': { hardlink: 'hard-a' } }, mtime: T + 400 },
};

describe('label → backup → list → verify → stock tools', () => {
  let sb: Sandbox;
  let src: string;
  let snapDir: string;
  let tarPath: string;
  let id: string;

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, tricky);
    await labelledDrive(sb, 'A');
    const r = await sb.run('backup', '--drive', 'A', '--source', src, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    id = out.snapshot;
    snapDir = out.dir;
    tarPath = join(snapDir, `${id}.tar`);
    expect(out.problems).toEqual([]);
  });
  afterAll(() => sb.cleanup());

  it('writes the documented files, and nothing else, into a folder named by the date', async () => {
    expect(id).toMatch(/^\d{4}-\d{2}-\d{2}T\d{6}Z$/);
    // Format 2 (no BLOCKS: no file of 16 MiB or more).
    expect((await readdir(snapDir)).sort()).toEqual([`${id}.tar`, 'FILES.sha256.gz', 'MANIFEST.tsv.gz', 'REMOVE.nul', 'RESTORE.txt', 'SHA256SUMS', 'snapshot.json'].sort());
    const meta = JSON.parse(await readFile(join(snapDir, 'snapshot.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'airgap-snapshot', formatVersion: 2, kind: 'full', id, previous: null, sources: [{ path: src, root: 'docs' }] });
    expect(meta.counts).toMatchObject({ files: 16, symlinks: 4, hardlinks: 1, problems: 0 });
    const driveFiles = await readdir(join(sb.drive('A'), 'airgap'));
    expect(driveFiles.sort()).toEqual([id, 'README.txt', 'drive.json', 'verify.html']);
  });

  it('lists the snapshot as complete with its counts', async () => {
    const r = await sb.run('list', 'A', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.snapshots).toEqual([expect.objectContaining({ id, state: 'complete', files: 16 })]);
    expect(out.leftovers).toEqual([]);
    const text = await sb.run('list');
    expect(text.stdout).toContain(id);
    expect(text.stdout).toContain('complete');
  });

  it('verifies plain and deep, by name and by path', async () => {
    for (const args of [['verify', 'A'], ['verify', 'A', '--deep'], ['verify', sb.drive('A')], ['verify', join(sb.drive('A'), 'airgap'), '--deep', '--snapshot', id]]) {
      const r = await sb.run(...args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`${id}  OK`);
    }
    const deep = JSON.parse((await sb.run('verify', 'A', '--deep', '--json')).stdout);
    expect(deep.snapshots[0].membersChecked).toBe(Object.keys(await readTree(src)).length + 1);
  });

  it('verifies on a machine that has never seen the drive, with no config', async () => {
    const fresh = await makeSandbox();
    try {
      const r = await fresh.run('verify', sb.drive('A'), '--deep');
      expect(r.code).toBe(0);
    } finally {
      await fresh.cleanup();
    }
  });

  it('passes `sha256sum -c SHA256SUMS` in the snapshot folder', () => {
    const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(6); // the six files above SHA256SUMS
    expect(out).not.toMatch(/FAILED/);
  });

  it('GNU tar extracts a tree identical to the source, and FILES.sha256(.gz) checks it', async () => {
    const dest = join(sb.dir, 'x-gnu');
    await mkdir(dest);
    const r = spawnSync('tar', ['-xpf', tarPath, '-C', dest], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await readTree(join(dest, 'docs'), { dirMtimes: true })).toEqual(await readTree(src, { dirMtimes: true }));
    // As RESTORE.txt does it: the list inflated into sha256sum -c.
    const check = spawnSync('sha256sum', ['-c', '-'], { cwd: dest, input: await readFileSumsV2(snapDir), encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  const others: [string, string[]][] = [
    ['bsdtar', ['bsdtar', '-xpf']],
    ['busybox', ['busybox', 'tar', '-xf']],
    ['python3', ['python3', '-W', 'error', '-c', 'import sys,tarfile\nwith tarfile.open(sys.argv[1]) as t: t.extractall(sys.argv[3], filter="tar")']],
  ];
  for (const [tool, cmd] of others) {
    it.skipIf(!has(tool))(`${tool} reads it without warnings and extracts the same tree`, async () => {
      const dest = join(sb.dir, `x-${tool}`);
      await mkdir(dest);
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), tarPath, '-C', dest], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = await readTree(join(dest, 'docs'));
      const want = await readTree(src);
      if (tool === 'busybox') {
        // busybox tar does not restore hard links as links; contents must still match.
        for (const t of [got, want]) for (const v of Object.values(t)) delete v.nlink;
      }
      expect(got).toEqual(want);
    });
  }

  it('puts several sources into one tarball, one top-level folder each (clashing names get -2)', async () => {
    const a = join(sb.dir, 'one', 'data');
    const b = join(sb.dir, 'two', 'data');
    await makeTree(a, { 'x.txt': 'one' });
    await makeTree(b, { 'y.txt': 'two' });
    const r = await sb.run('backup', '--drive', 'A', '--source', a, '--source', b, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.meta.sources).toEqual([{ path: a, root: 'data' }, { path: b, root: 'data-2' }]);
    expect(out.meta.previous).toEqual({ id, sha256sums: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const listing = execFileSync('tar', ['-tf', join(out.dir, `${out.snapshot}.tar`)], { encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean).sort()).toEqual(['data-2/', 'data-2/y.txt', 'data/', 'data/x.txt']);
  });

  it('dry run reports what would be written and writes nothing', async () => {
    const before = await readdir(join(sb.drive('A'), 'airgap'));
    const r = await sb.run('backup', '--drive', 'A', '--source', src, '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: true, counts: { files: 16, hardlinks: 1 } });
    expect(await readdir(join(sb.drive('A'), 'airgap'))).toEqual(before);
  });
});
