// `airgap restore` and `airgap find` end to end: real source folders, a simulated drive, the
// built CLI as a subprocess. A tricky tree comes back byte for byte (modes, mtimes, links, hard
// links, odd names); selections, targets, damage, setuid bits and snapshot choice behave as
// documented; and a rough measurement against GNU tar on the same tarball.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { makeTree, readTree, type Snapshot, type Tree } from '../helpers/tree.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { bytes } from '../../src/ui/render.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';
import { readFileSumsV2, readManifestV2 } from '../helpers/v2-lists.js';

const T = 1_600_000_000;
const long = 'long-folder-name-'.repeat(8); // 136 bytes; nested twice plus a 200-byte name: > 255
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
  'group.conf': { file: 'group readable', mode: 0o640, mtime: T + 10 },
  'empty-file': { file: '', mtime: T + 9 },
  '-dash-folder': { dir: { '--x': { file: 'double dash', mtime: T + 11 } }, mode: 0o750, mtime: T + 12 },
  'sizes': {
    dir: {
      's0': { file: Buffer.alloc(0), mtime: T },
      's511': { file: Buffer.alloc(511, 1), mtime: T },
      's512': { file: Buffer.alloc(512, 2), mtime: T },
      's513': { file: Buffer.alloc(513, 3), mtime: T },
      'big.bin': { file: noise(3 * 1024 * 1024 + 7, 'big'), mtime: T },
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
  'sub': { dir: { 'hard-b': { hardlink: 'hard-a' }, 'own.txt': { file: 'own', mtime: T } }, mtime: T + 400 },
};
const SYMLINKS = ['link-rel', 'link-abs', 'link-escaping', 'link-dangling'];

const exists = (p: string) => lstat(p).then(() => true, () => false);

interface ManifestLine { type: string; mode: string; size: number; mtime: number; sha256: string; path: string; link: string }
const unescape = (s: string) => s.replace(/\\(\\|t|n|r|x[0-9a-fA-F]{2})/g, (_, c: string) =>
  c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : String.fromCharCode(parseInt(c.slice(1), 16)));
/** A format 2 snapshot's manifest (MANIFEST.tsv.gz, the default): the v1 fields, v2's `in` and `offset` aside. */
async function readManifest(snapDir: string): Promise<ManifestLine[]> {
  const text = await readManifestV2(snapDir);
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [type, mode, , , size, mtime, sha, path, link] = l.split('\t');
    return { type: type!, mode: mode!, size: Number(size), mtime: Number(mtime), sha256: sha!, path: unescape(path!), link: unescape(link ?? '') };
  });
}

/** `sha256sum -c` of a format 2 snapshot's FILES.sha256.gz, inflated, in `cwd` (the restored tree). */
async function checkFileSums(snapDir: string, cwd: string, ...flags: string[]) {
  return spawnSync('sha256sum', [...flags, '-c', '-'], { cwd, input: await readFileSumsV2(snapDir), encoding: 'utf8' });
}

/** Every CLI run: failures are reported, never a crash. */
const run = runChecked;

async function backup(sb: Sandbox, src: string, env: Record<string, string> = {}): Promise<{ id: string; dir: string }> {
  const r = await run(sb, ['backup', '--drive', 'A', '--source', src, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { snapshot: string; dir: string; problems: unknown[] };
  expect(out.problems).toEqual([]);
  return { id: out.snapshot, dir: out.dir };
}

/** No staging folder left anywhere under `dir` (or `dir` does not exist). */
async function expectNoStaging(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.airgap-restore-')) found.push(join(d, e.name));
      else if (e.isDirectory()) await walk(join(d, e.name));
    }
  };
  await walk(dir);
  expect(found, 'staging folders left behind').toEqual([]);
}

/** Only the regular files and symlinks of a read tree (folders created as parents aside). */
const leaves = (t: Snapshot) => Object.keys(t).filter((k) => t[k]!.type !== 'dir').sort();
/** A read tree re-rooted at `docs/` (as restored) for comparison with a read source. */
const prefixed = (t: Snapshot, root = 'docs') => Object.fromEntries(Object.entries(t).map(([k, v]) => [`${root}/${k}`, v]));

/** A `find` line without format 2's "  (in tarball <ID>)" at its end. */
const withoutTarball = (l: string) => l.replace(/ {2}\(in tarball [^)]*\)$/, '');

describe('restore: round trip, selection, targets (tricky tree)', () => {
  let sb: Sandbox;
  let src: string;
  let id: string;
  let snapDir: string;
  let source: Snapshot; // readTree(src, dirMtimes), re-rooted at docs/
  let manifest: ManifestLine[];

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, tricky);
    await labelledDrive(sb, 'A');
    ({ id, dir: snapDir } = await backup(sb, src));
    source = prefixed(await readTree(src, { dirMtimes: true }));
    manifest = await readManifest(snapDir);
  });
  afterAll(() => sb.cleanup());

  it('restores the whole snapshot into a new folder, identical to the source', async () => {
    const to = join(sb.dir, 'restored');
    const r = await run(sb, ['restore', 'A', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Restored snapshot ${id} from drive A into ${to}`);
    expect(r.stdout).not.toMatch(/DAMAGED|REFUSED|Summary:/);
    expect(r.stdout).toContain(`${manifest.filter((m) => m.type === 'f').length} files`);
    expect(r.stdout).toMatch(/note: 2 symlinks point outside the restored folder/);
    expect(await readdir(to)).toEqual(['docs']);
    expect(prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }))).toEqual(source);

    // Symlink targets byte for byte (absolute, escaping and dangling ones too).
    for (const l of SYMLINKS) {
      const got = await readlink(join(to, 'docs', l), { encoding: 'buffer' });
      const want = await readlink(join(src, l), { encoding: 'buffer' });
      expect(got.equals(want), `${l}: ${got} vs ${want}`).toBe(true);
    }
    // The hard-link pair across folders is one inode again.
    const a = await lstat(join(to, 'docs', 'hard-a'));
    const b = await lstat(join(to, 'docs', 'sub', 'hard-b'));
    expect(b.ino).toBe(a.ino);
    expect(a.nlink).toBe(2);
    // The > 255-byte path came back.
    const deep = join('docs', long, long, 'f'.repeat(200));
    expect(Buffer.byteLength(deep)).toBeGreaterThan(255);
    expect(await readFile(join(to, deep), 'utf8')).toBe('deep and long');
    // Stock tools agree: every file checks against FILES.sha256(.gz).
    const check = await checkFileSums(snapDir, to);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).not.toMatch(/FAILED/);
    await expectNoStaging(to);
  });

  it('restores one file only', async () => {
    const to = join(sb.dir, 'one-file');
    const r = await run(sb, ['restore', 'A', 'docs/plain.txt', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await readTree(to);
    expect(leaves(got)).toEqual(['docs/plain.txt']);
    expect(got['docs/plain.txt']).toEqual({ ...source['docs/plain.txt'] });
    await expectNoStaging(to);
  });

  it('restores one folder only, with everything under it and its own mtime', async () => {
    const to = join(sb.dir, 'one-folder');
    const r = await run(sb, ['restore', 'A', 'docs/sizes', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await readTree(to, { dirMtimes: true });
    const want = Object.fromEntries(Object.entries(source).filter(([k]) => k === 'docs/sizes' || k.startsWith('docs/sizes/')));
    expect(Object.keys(got).sort()).toEqual(['docs', ...Object.keys(want)].sort());
    for (const k of Object.keys(want)) expect(got[k], k).toEqual(want[k]);
    await expectNoStaging(to);
  });

  it('refuses a path that is not in the snapshot (exit 4), pointing at airgap find', async () => {
    for (const missing of ['docs/nope.txt', 'docs/plain', 'plain.txt']) {
      const to = join(sb.dir, `missing-${missing.replace(/\W/g, '_')}`);
      const r = await run(sb, ['restore', 'A', missing, '--to', to]);
      expect(r.code, `${missing}: ${r.stdout}${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/^error: /m);
      expect(r.stderr).toContain(missing);
      expect(r.stderr).toMatch(/^hint: .*airgap find/m);
      expect(await exists(to)).toBe(false);
    }
  });

  it('selecting a hard link whose first copy lies outside the selection restores that copy too, and says so', async () => {
    const h = manifest.find((m) => m.type === 'h');
    expect(h).toMatchObject({ path: 'docs/sub/hard-b', link: 'docs/hard-a' });
    const to = join(sb.dir, 'hardlink-only');
    const r = await run(sb, ['restore', 'A', 'docs/sub', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/also restored, as the first copy of a selected hard link: docs\/hard-a/);
    const got = await readTree(to);
    expect(leaves(got)).toEqual(['docs/hard-a', 'docs/sub/hard-b', 'docs/sub/own.txt']);
    expect(got['docs/hard-a']).toEqual(source['docs/hard-a']);
    expect(got['docs/sub/hard-b']).toEqual(source['docs/sub/hard-b']);
    const a = await lstat(join(to, 'docs', 'hard-a'));
    const b = await lstat(join(to, 'docs', 'sub', 'hard-b'));
    expect(b.ino).toBe(a.ino);
  });

  describe('targets', () => {
    let target: string;
    const victim = () => join(sb.dir, 'victim.txt');

    beforeAll(async () => {
      target = join(sb.dir, 'existing');
      await makeTree(target, {
        'unrelated.txt': { file: 'mine, not from the backup', mtime: T - 5 },
        docs: {
          dir: {
            'plain.txt': { file: 'an older plain.txt', mode: 0o644, mtime: T - 10 },
            'mine.txt': { file: 'also mine', mtime: T - 20 },
            sizes: { dir: { 's512': { file: 'not 512 bytes', mtime: T - 30 } } },
          },
        },
      });
      await writeFile(victim(), 'must never be written through a link');
      await symlink(victim(), join(target, 'docs', 'run.sh'));
    });

    it('refuses a non-empty target without --overwrite (exit 4), naming the conflicts, changing nothing', async () => {
      const before = await readTree(target, { dirMtimes: true });
      const r = await run(sb, ['restore', 'A', '--to', target]);
      expect(r.code, r.stdout + r.stderr).toBe(4);
      for (const c of ['docs/plain.txt', 'docs/sizes/s512', 'docs/run.sh']) expect(r.stderr).toContain(JSON.stringify(c));
      expect(r.stderr).toMatch(/^hint: .*--overwrite/m);
      expect(await readTree(target, { dirMtimes: true })).toEqual(before);
      await expectNoStaging(target);
    });

    it('--dry-run reports files and bytes (and the conflicts) and writes nothing', async () => {
      const files = manifest.filter((m) => m.type === 'f');
      const total = files.reduce((n, m) => n + m.size, 0);
      // Into a folder that does not exist: it is not created.
      const fresh = join(sb.dir, 'dry', 'run');
      const r = await run(sb, ['restore', 'A', '--to', fresh, '--dry-run']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`would write ${files.length} files (${bytes(total)})`);
      expect(r.stdout).toContain('Nothing was written');
      expect(await exists(join(sb.dir, 'dry'))).toBe(false);
      const j = await run(sb, ['restore', 'A', '--to', fresh, '--dry-run', '--json']);
      expect(j.code).toBe(0);
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, snapshot: id, planned: { files: files.length, bytes: total, conflicts: [] } });
      // Into the existing target, with --overwrite: names how many already exist, changes nothing.
      const before = await readTree(target, { dirMtimes: true });
      const o = await run(sb, ['restore', 'A', '--to', target, '--dry-run', '--overwrite', '--json']);
      expect(o.code, o.stdout + o.stderr).toBe(0);
      const planned = JSON.parse(o.stdout).planned;
      expect(planned).toMatchObject({ files: files.length, bytes: total });
      expect([...planned.conflicts].sort()).toEqual(['docs/plain.txt', 'docs/run.sh', 'docs/sizes/s512']);
      expect(await readTree(target, { dirMtimes: true })).toEqual(before);
      await expectNoStaging(target);
    });

    it('with --overwrite replaces what exists, keeps unrelated files, never writes through a link', async () => {
      const r = await run(sb, ['restore', 'A', '--to', target, '--overwrite']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const got = await readTree(target, { dirMtimes: true });
      expect(got['unrelated.txt']).toMatchObject({ type: 'file', content: Buffer.from('mine, not from the backup').toString('base64'), mtime: T - 5 });
      expect(got['docs/mine.txt']).toMatchObject({ type: 'file', content: Buffer.from('also mine').toString('base64'), mtime: T - 20 });
      const { ['unrelated.txt']: _u, ['docs/mine.txt']: _m, docs: _d, ...restored } = got;
      expect(restored).toEqual(source);
      expect((await lstat(join(target, 'docs', 'run.sh'))).isFile()).toBe(true);
      expect(await readFile(victim(), 'utf8')).toBe('must never be written through a link');
      await expectNoStaging(target);
    });

    it('with --overwrite replaces a file, or a symlink to a folder, standing where the snapshot has a folder', async () => {
      const to = join(sb.dir, 'kind-clash');
      const outside = join(sb.dir, 'outside-folder');
      await mkdir(outside);
      await makeTree(to, { docs: { dir: { sizes: 'a file where the snapshot has a folder' } } });
      await symlink(outside, join(to, 'docs', 'sub'));
      const r = await run(sb, ['restore', 'A', '--to', to, '--overwrite']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }))).toEqual(source);
      expect(await readdir(outside)).toEqual([]);
      await expectNoStaging(to);
    });

    it('refuses (not crashes on) a --to that is an existing file, leaving it alone', async () => {
      const file = join(sb.dir, 'a-file');
      await writeFile(file, 'not a folder');
      const r = await run(sb, ['restore', 'A', '--to', file]);
      expect([2, 4], r.stdout + r.stderr).toContain(r.code);
      expect(r.stderr).toMatch(/^error: .*\nhint: /m);
      expect(await readFile(file, 'utf8')).toBe('not a folder');
    });

    it('creates a target that does not exist (parents included)', async () => {
      const to = join(sb.dir, 'not', 'yet', 'there');
      const r = await run(sb, ['restore', 'A', '--to', to]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }))).toEqual(source);
      await expectNoStaging(to);
    });
  });
});

describe('restore from a damaged snapshot', () => {
  const DAMAGED = 'docs/sizes/s513';
  let sb: Sandbox;
  let src: string;
  let id: string;
  let source: Snapshot;
  let manifest: ManifestLine[];

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, tricky);
    await labelledDrive(sb, 'A');
    let snapDir: string;
    ({ id, dir: snapDir } = await backup(sb, src));
    source = prefixed(await readTree(src, { dirMtimes: true }));
    manifest = await readManifest(snapDir);
    const tar = join(snapDir, `${id}.tar`);
    const off = await offsetOfMember(tar, DAMAGED);
    expect(off).toBeGreaterThan(0);
    await flipByte(tar, off + 100);
  });
  afterAll(() => sb.cleanup());

  it('a plain restore exits 3, points at --salvage and writes nothing', async () => {
    const to = join(sb.dir, 'plain');
    const r = await run(sb, ['restore', 'A', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^error: .*/m);
    expect(r.stderr).toMatch(/^hint: .*--salvage/m);
    expect(await exists(to)).toBe(false);
    // An existing empty target stays empty.
    const empty = join(sb.dir, 'empty');
    await mkdir(empty);
    const e = await run(sb, ['restore', 'A', '--to', empty]);
    expect(e.code).toBe(3);
    expect(await readdir(empty)).toEqual([]);
  });

  it('--salvage restores every other file intact, leaves the damaged one out and names it (exit 3)', async () => {
    const to = join(sb.dir, 'salvage');
    const r = await run(sb, ['restore', 'A', '--to', to, '--salvage']);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const files = manifest.filter((m) => m.type === 'f').length;
    expect(r.stdout).toContain('SALVAGE');
    expect(r.stdout).toMatch(/DAMAGED, not restored \(1\):\n {2}"docs\/sizes\/s513": /);
    expect(r.stdout).toContain(`Summary: restored ${files - 1}, damaged 1, refused 0`);
    const got = prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }));
    const { [DAMAGED]: _gone, ...want } = source;
    expect(got).toEqual(want);
    expect(await exists(join(to, DAMAGED))).toBe(false);
    await expectNoStaging(to);
  });
});

describe('restore: setuid/setgid bits', () => {
  let sb: Sandbox;
  const isRoot = process.getuid?.() === 0;

  beforeAll(async () => {
    sb = await makeSandbox();
    if (!isRoot) return;
    const src = join(sb.dir, 'home', 'bin');
    await makeTree(src, { 'suid-tool': { file: '#!/bin/sh\n', mode: 0o4755, mtime: T }, 'normal': { file: 'x', mode: 0o755, mtime: T } });
    expect((await stat(join(src, 'suid-tool'))).mode & 0o7777).toBe(0o4755);
    await labelledDrive(sb, 'A');
    await backup(sb, src);
  });
  afterAll(() => sb.cleanup());

  it('strips setuid by default and keeps it with --keep-special-bits', async (ctx) => {
    if (!isRoot) ctx.skip('not root: the brief asks for the setuid fixture to be created as root');
    const plain = join(sb.dir, 'plain');
    const r = await run(sb, ['restore', 'A', '--to', plain]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await lstat(join(plain, 'bin', 'suid-tool'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(plain, 'bin', 'normal'))).mode & 0o7777).toBe(0o755);
    const keep = join(sb.dir, 'keep');
    const k = await run(sb, ['restore', 'A', '--to', keep, '--keep-special-bits']);
    expect(k.code, k.stdout + k.stderr).toBe(0);
    expect((await lstat(join(keep, 'bin', 'suid-tool'))).mode & 0o7777).toBe(0o4755);
    expect((await lstat(join(keep, 'bin', 'normal'))).mode & 0o7777).toBe(0o755);
  });
});

describe('two snapshots: choosing one, and find', () => {
  const NOW1 = '2030-01-01T10:00:00Z';
  const NOW2 = '2030-01-08T10:00:00Z';
  let sb: Sandbox;
  let src: string;
  let id1: string;
  let id2: string;
  let tree1: Snapshot;
  let tree2: Snapshot;

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, {
      'notes.txt': { file: 'version one\n', mtime: T },
      'keep.txt': { file: 'unchanged\n', mtime: T },
      'old-only.txt': { file: 'removed later\n', mtime: T },
      'data.bin': { file: 'not a text file', mtime: T },
      deep: { dir: { 'inner.txt': { file: 'inner\n', mtime: T } }, mtime: T },
    });
    await labelledDrive(sb, 'A');
    ({ id: id1 } = await backup(sb, src, { AIRGAP_NOW: NOW1 }));
    tree1 = prefixed(await readTree(src, { dirMtimes: true }));
    await rm(join(src, 'old-only.txt'));
    await makeTree(src, {
      'notes.txt': { file: 'version two, longer\n', mtime: T + 1000 },
      'new.txt': { file: 'added\n', mtime: T + 1000 },
    });
    ({ id: id2 } = await backup(sb, src, { AIRGAP_NOW: NOW2 }));
    tree2 = prefixed(await readTree(src, { dirMtimes: true }));
    expect(id1 < id2).toBe(true);
  });
  afterAll(() => sb.cleanup());

  it('restores the latest by default (and with --snapshot latest)', async () => {
    for (const extra of [[], ['--snapshot', 'latest']]) {
      const to = join(sb.dir, `latest-${extra.length}`);
      const r = await run(sb, ['restore', 'A', '--to', to, ...extra]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`Restored snapshot ${id2}`);
      expect(prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }))).toEqual(tree2);
    }
  });

  it('restores the older one with --snapshot <id>', async () => {
    const to = join(sb.dir, 'older');
    const r = await run(sb, ['restore', 'A', '--to', to, '--snapshot', id1]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Restored snapshot ${id1}`);
    expect(prefixed(await readTree(join(to, 'docs'), { dirMtimes: true }))).toEqual(tree1);
  });

  it('refuses an unknown snapshot id (exit 2) and creates nothing', async () => {
    for (const bad of ['2001-01-01T000000Z', 'not-an-id']) {
      const to = join(sb.dir, `unknown-${bad}`);
      const r = await run(sb, ['restore', 'A', '--to', to, '--snapshot', bad]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(bad);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(await exists(to)).toBe(false);
    }
  });

  it("find A '*.txt' lists the latest snapshot's matches with size and hash prefix", async () => {
    const r = await run(sb, ['find', 'A', '*.txt']);
    expect(r.code, r.stderr).toBe(0);
    // Format 2 (the default) ends each line with the tarball that holds the file's content.
    const lines = r.stdout.split('\n').filter((l) => l.startsWith(id1) || l.startsWith(id2)).map(withoutTarball);
    const want = Object.keys(tree2).filter((k) => k.endsWith('.txt')).sort();
    expect(lines.map((l) => l.split(/\s+/).at(-1)).sort()).toEqual(want);
    expect(lines.every((l) => l.startsWith(id2))).toBe(true);
    for (const path of want) {
      const content = Buffer.from(tree2[path]!.content!, 'base64');
      const line = lines.find((l) => l.endsWith(`  ${path}`))!;
      expect(line, path).toContain(bytes(content.length));
      expect(line, path).toContain(`  ${sha256(content).slice(0, 12)}  `);
    }
    expect(r.stdout).not.toContain('old-only.txt');
    expect(r.stdout).not.toContain('data.bin');
  });

  it('find --all-snapshots lists both versions of a changed file, with different hashes', async () => {
    const r = await run(sb, ['find', 'A', 'notes.txt', '--all-snapshots']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').map(withoutTarball).filter((l) => l.endsWith('  docs/notes.txt'));
    expect(lines).toHaveLength(2);
    const h1 = sha256('version one\n').slice(0, 12);
    const h2 = sha256('version two, longer\n').slice(0, 12);
    expect(h1).not.toBe(h2);
    expect(lines.find((l) => l.startsWith(id1))).toContain(h1);
    expect(lines.find((l) => l.startsWith(id2))).toContain(h2);
    // The file that is only in the older snapshot is found there.
    const old = await run(sb, ['find', 'A', 'old-only.txt', '--all-snapshots']);
    // Match lines only (they start with a snapshot id): the restore hint below them names the path too.
    expect(old.stdout.split('\n').filter((l) => l.includes('docs/old-only.txt') && !l.startsWith('Restore '))).toEqual([expect.stringMatching(new RegExp(`^${id1}`))]);
    expect(old.stdout).toContain(`Restore the first one with: airgap restore A docs/old-only.txt --snapshot ${id1} --to ~/restored`);
  });

  it('find --json gives {found: [{snapshot, path, size, mtime, sha256}]}', async () => {
    const r = await run(sb, ['find', 'A', '*.txt', '--all-snapshots', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { found: { snapshot: string; path: string; size: number; mtime: number; sha256: string }[] };
    const notes = out.found.filter((f) => f.path === 'docs/notes.txt');
    expect(notes).toEqual(expect.arrayContaining([
      expect.objectContaining({ snapshot: id1, path: 'docs/notes.txt', size: 12, mtime: T, sha256: sha256('version one\n') }),
      expect.objectContaining({ snapshot: id2, path: 'docs/notes.txt', size: 20, mtime: T + 1000, sha256: sha256('version two, longer\n') }),
    ]));
    expect(notes).toHaveLength(2);
    const txt1 = Object.keys(tree1).filter((k) => k.endsWith('.txt')).length;
    const txt2 = Object.keys(tree2).filter((k) => k.endsWith('.txt')).length;
    expect(out.found).toHaveLength(txt1 + txt2);
    for (const f of out.found) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('no match: exit 0 and a "No match" line', async () => {
    const r = await run(sb, ['find', 'A', '*.nothing-like-this']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^No match for "\*\.nothing-like-this"/m);
    const j = await run(sb, ['find', 'A', '*.nothing-like-this', '--all-snapshots', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout).found).toEqual([]);
  });
});

describe('measurement: airgap restore vs GNU tar on the same tarball', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await makeSandbox();
  });
  afterAll(() => sb.cleanup());

  const timed = (cmd: string, args: string[], env?: Record<string, string>): Promise<{ ms: number; code: number; stderr: string }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(cmd, args, { env: env ? { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env } : process.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, stderr }));
    });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it('restore-vs-tar (median of 3)', async () => {
    const src = join(sb.dir, 'home', 'bulk');
    for (let i = 0; i < 4; i++) {
      await mkdir(join(src, 'big'), { recursive: true });
      await writeFile(join(src, 'big', `r${i}.bin`), randomBytes(40 * 1024 * 1024));
    }
    for (let d = 0; d < 30; d++) {
      await mkdir(join(src, 'small', `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) await writeFile(join(src, 'small', `d${d}`, `f${f}.dat`), randomBytes(1 + ((d * 100 + f) * 7919) % 20_000));
    }
    await labelledDrive(sb, 'A');
    const tb = performance.now();
    const { id, dir } = await backup(sb, src);
    const backupMs = performance.now() - tb;
    const tarPath = join(dir, `${id}.tar`);
    const size = (await stat(tarPath)).size;

    const bin = join(import.meta.dirname, '../../bin/airgap.js');
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = join(sb.dir, `airgap-${i}`);
      spawnSync('sync'); // start each timed run without the previous run's dirty pages
      const r = await timed(process.execPath, [bin, 'restore', 'A', '--to', a], sb.env);
      expect(r.code, r.stderr).toBe(0);
      ours.push(r.ms);
      if (i === 0) {
        const check = await checkFileSums(dir, a, '--quiet');
        expect(check.status, check.stdout + check.stderr).toBe(0);
      }
      await rm(a, { recursive: true, force: true });
      const t = join(sb.dir, `tar-${i}`);
      await mkdir(t);
      spawnSync('sync');
      const g = await timed('tar', ['-xpf', tarPath, '-C', t]);
      expect(g.code, g.stderr).toBe(0);
      theirs.push(g.ms);
      await rm(t, { recursive: true, force: true });
    }
    const a = median(ours);
    const g = median(theirs);
    console.log(`restore-vs-tar: tarball ${(size / 1e6).toFixed(0)} MB, 3004 files (backup took ${(backupMs / 1000).toFixed(1)} s); ` +
      `airgap restore median ${(a / 1000).toFixed(2)} s [${ours.map((x) => (x / 1000).toFixed(2)).join(', ')}], ` +
      `GNU tar -xpf median ${(g / 1000).toFixed(2)} s [${theirs.map((x) => (x / 1000).toFixed(2)).join(', ')}], ratio ${(a / g).toFixed(2)}x`);
  }, 900_000); // a cap (figures only, no time assertion): 160 MB written and restored 3+3 times, slow under load
});
