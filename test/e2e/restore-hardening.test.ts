// Restore hardening (issue 14): a restore never removes a folder to make room, never merges
// across a mount point, accounts for every file it was asked for by name, agrees with
// `verify --deep` on member types, checks implicit parent folders for look-alike names, and
// opens the tarball no-follow and non-blocking even with --salvage. Real snapshots where the
// defect shows with one (a real backup, then a real target or a damaged tarball), forged ones
// (test/helpers/forge.ts, SHA256SUMS re-signed) where only a lying drive can show it.
import { spawn, spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rename, rm, symlink, unlink, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { makeTree, readTree } from '../helpers/tree.js';
import { offsetOfMember } from '../helpers/damage.js';
import { FORGED_MTIME, forgeSnapshot, rawHeader, sha256 } from '../helpers/forge.js';
import type { ManifestEntry } from '../../src/layout/manifest.js';

const T = 1_600_000_000;
/** A hang must end in a failed assertion, not a stuck worker: far above any honest run, below vitest's timeout. */
const CAP_MS = 50_000;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** The built CLI as a subprocess, killed after CAP_MS (then `signal` says so and the test fails on it). */
function run(sb: Sandbox, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...sb.env },
      stdio: ['ignore', 'pipe', 'pipe'], timeout: CAP_MS, killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A run that ended by itself, without a stack trace. */
function settled(r: Run, what: string): Run {
  expect(r.signal, `${what}: killed after ${CAP_MS} ms (hung)\n${r.stdout}${r.stderr}`).toBeNull();
  expect(r.stderr, `${what}: crashed`).not.toContain('    at ');
  return r;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

async function backup(sb: Sandbox, src: string): Promise<{ id: string; dir: string }> {
  const r = settled(await run(sb, 'backup', '--drive', 'A', '--source', src, '--json'), 'backup');
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { snapshot: string; dir: string };
  return { id: out.snapshot, dir: out.dir };
}

async function expectNoStaging(dir: string): Promise<void> {
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.airgap-restore-')) found.push(join(d, e.name));
      else if (e.isDirectory()) await walk(join(d, e.name));
    }
  };
  if (await exists(dir)) await walk(dir);
  expect(found, 'staging folders left behind').toEqual([]);
}

const fileEntry = (path: string, content: string): ManifestEntry =>
  ({ type: 'file', path, mode: 0o644, uid: 0, gid: 0, size: Buffer.byteLength(content), mtime: FORGED_MTIME, sha256: sha256(content) });

describe('restore --overwrite never removes a folder, never crosses a mount point', () => {
  let sb: Sandbox;
  const mounts: string[] = [];

  beforeAll(async () => {
    sb = await makeSandbox();
    const src = join(sb.dir, 'home', 'docs');
    await makeTree(src, {
      'report': { file: 'the report as it was backed up\n', mtime: T },
      'was-empty': { file: 'a file where the target has an empty folder\n', mtime: T },
      'plain.txt': { file: 'plain\n', mtime: T },
      'sub': { dir: { 'inner.txt': { file: 'inner\n', mtime: T } }, mtime: T },
      'other': { dir: { 'o.txt': { file: 'o\n', mtime: T } }, mtime: T },
    });
    await labelledDrive(sb, 'A');
    await backup(sb, src);
  });
  afterAll(async () => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    await sb.cleanup();
  });

  it('a folder with new work where the snapshot has a file: conflict named, folder kept, exit 3; --dry-run lists it', async () => {
    const to = join(sb.dir, 'target-folder-clash');
    await makeTree(to, {
      docs: { dir: { report: { dir: { 'new-work.txt': 'written after the backup, only here\n' } }, 'was-empty': { dir: {} } } },
    });
    const dry = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite', '--dry-run', '--json'), 'dry run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(3);
    const planned = JSON.parse(dry.stdout).planned as { blocked: { path: string; reason: string }[] };
    expect(planned.blocked.map((b) => b.path)).toEqual(['docs/report']);
    const dryText = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite', '--dry-run'), 'dry run');
    expect(dryText.code).toBe(3);
    expect(dryText.stdout).toMatch(/"docs\/report": .*folder/);
    expect(await readFile(join(to, 'docs', 'report', 'new-work.txt'), 'utf8')).toBe('written after the backup, only here\n');

    const r = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite'), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/"docs\/report": .*folder/);
    // The new work is still there; everything else came back; the empty folder made way.
    expect(await readFile(join(to, 'docs', 'report', 'new-work.txt'), 'utf8')).toBe('written after the backup, only here\n');
    expect(await readFile(join(to, 'docs', 'plain.txt'), 'utf8')).toBe('plain\n');
    expect(await readFile(join(to, 'docs', 'sub', 'inner.txt'), 'utf8')).toBe('inner\n');
    expect(await readFile(join(to, 'docs', 'was-empty'), 'utf8')).toBe('a file where the target has an empty folder\n');
    await expectNoStaging(to);
  });

  it('a folder named like a staging folder is removed only if it is a leftover of ours (marker, same filesystem)', async () => {
    const to = join(sb.dir, 'target-staging-names');
    await makeTree(to, {
      '.airgap-restore-mine': { dir: { 'work.txt': 'a user folder that happens to have this name\n' } },
      '.airgap-restore-0123456789ab': { dir: { '.airgap-restore-staging': '', docs: { dir: { 'half.txt': 'left by a killed restore' } } } },
    });
    const r = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite'), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(join(to, '.airgap-restore-mine', 'work.txt'), 'utf8')).toBe('a user folder that happens to have this name\n');
    expect(await exists(join(to, '.airgap-restore-0123456789ab'))).toBe(false);
    expect(await readFile(join(to, 'docs', 'plain.txt'), 'utf8')).toBe('plain\n');
  });

  it('a symlink to a folder where the snapshot has a file: the link is replaced, what it points to is untouched', async () => {
    const to = join(sb.dir, 'target-link-clash');
    const elsewhere = join(sb.dir, 'elsewhere');
    await makeTree(elsewhere, { 'theirs.txt': 'not part of the restore\n' });
    await mkdir(join(to, 'docs'), { recursive: true });
    await symlink(elsewhere, join(to, 'docs', 'report'));
    const r = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite'), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await lstat(join(to, 'docs', 'report'))).isFile()).toBe(true);
    expect(await readdir(elsewhere)).toEqual(['theirs.txt']);
    await expectNoStaging(to);
  });

  it('a mount point inside the target is never merged into or replaced (exit 3, named); --dry-run lists it', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('mounting a tmpfs needs root');
    const to = join(sb.dir, 'target-mounts');
    await makeTree(to, { docs: { dir: { sub: { dir: {} }, report: { dir: {} } } } });
    for (const m of [join(to, 'docs', 'sub'), join(to, 'docs', 'report')]) {
      const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'h14-restore-test', m], { encoding: 'utf8' });
      expect(mnt.status, mnt.stderr).toBe(0);
      mounts.push(m);
    }
    await writeFile(join(to, 'docs', 'sub', 'theirs.txt'), 'on another filesystem\n');
    const dry = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite', '--dry-run', '--json'), 'dry run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(3);
    expect((JSON.parse(dry.stdout).planned.blocked as { path: string }[]).map((b) => b.path).sort()).toEqual(['docs/report', 'docs/sub']);
    const r = settled(await run(sb, 'restore', 'A', '--to', to, '--overwrite'), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/"docs\/sub": .*another filesystem/);
    expect(r.stdout).toMatch(/"docs\/report": .*another filesystem/);
    expect(r.stdout).toContain('"docs/sub/inner.txt"');
    expect(await readdir(join(to, 'docs', 'sub'))).toEqual(['theirs.txt']);
    expect(await readdir(join(to, 'docs', 'report'))).toEqual([]);
    expect(await readFile(join(to, 'docs', 'other', 'o.txt'), 'utf8')).toBe('o\n');
    await expectNoStaging(to);
  });
});

describe('restore accounts for every file it was asked for', () => {
  let sb: Sandbox;
  let tar: string;
  let original: Buffer;
  const names = Array.from({ length: 12 }, (_, i) => `docs/f${String(i + 1).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    sb = await makeSandbox();
    const src = join(sb.dir, 'home', 'docs');
    await makeTree(src, Object.fromEntries(names.map((n) => [n.slice(5), { file: `${n}: ${'x'.repeat(100)}\n`, mtime: T }])));
    await labelledDrive(sb, 'A');
    const { id, dir } = await backup(sb, src);
    tar = join(dir, `${id}.tar`);
    original = await readFile(tar);
  });
  afterAll(() => sb.cleanup());

  for (const zeroed of [4096, 512]) {
    it(`a tarball that ends early (${zeroed} zero bytes at a header): --salvage restores 4 of 12 and names the other 8 (exit 3)`, async () => {
      await writeFile(tar, original);
      const header = (await offsetOfMember(tar, 'docs/f05.txt')) - 512;
      expect(header).toBeGreaterThan(0);
      const fh = await open(tar, 'r+');
      await fh.write(Buffer.alloc(zeroed), 0, zeroed, header);
      await fh.close();
      // Without --salvage: the bytes fail their checksum, nothing is written (a broken header
      // once let a plain restore through: the hash of a read cut short was not held against it).
      const plain = join(sb.dir, `ends-early-plain-${zeroed}`);
      const p = settled(await run(sb, 'restore', 'A', '--to', plain), 'plain restore');
      expect(p.code, p.stdout + p.stderr).toBe(3);
      expect(p.stderr).toMatch(/^hint: .*--salvage/m);
      expect(await exists(plain)).toBe(false);
      const to = join(sb.dir, `ends-early-${zeroed}`);
      const r = settled(await run(sb, 'restore', 'A', '--to', to, '--salvage'), 'salvage');
      expect(r.code, r.stdout + r.stderr).toBe(3);
      if (zeroed === 4096) expect(r.stdout).toContain(`the archive ends early at byte ${header}`);
      for (const n of names.slice(4)) expect(r.stdout, n).toMatch(new RegExp(`"${n}": .*after the damage at byte ${header}`));
      expect(r.stdout).toMatch(/restored 4,/);
      expect((await readdir(join(to, 'docs'))).sort()).toEqual(names.slice(0, 4).map((n) => n.slice(5)));
      const j = settled(await run(sb, 'restore', 'A', '--to', join(sb.dir, `ends-early-json-${zeroed}`), '--salvage', '--json'), 'salvage --json');
      expect(j.code).toBe(3);
      const missing = (JSON.parse(j.stdout).report.missing as { path: string }[]).map((m) => m.path);
      expect(missing).toEqual(names.slice(4));
    });
  }
});

describe('forged snapshots: missing members, member types, look-alike folders, unlisted members', () => {
  let sb: Sandbox;
  let drive: string;

  beforeAll(async () => {
    sb = await makeSandbox();
  });
  afterAll(() => sb.cleanup());

  /** A fresh drive per archive (one forged snapshot each). */
  async function forged(name: string, items: Parameters<typeof forgeSnapshot>[1]): Promise<void> {
    drive = await labelledDrive(sb, name);
    await forgeSnapshot(drive, items);
  }

  it('a manifest listing members the tarball lacks: each named "not in the archive", exit 3', async () => {
    await forged('M', [
      { path: 'a.txt', content: 'a\n' },
      { bytes: Buffer.alloc(0), manifest: [fileEntry('b.txt', 'b\n')] },
      { path: 'c.txt', content: 'c\n' },
      { bytes: Buffer.alloc(0), manifest: [fileEntry('d/e.txt', 'e\n')] },
    ]);
    const to = join(sb.dir, 'lacks');
    const r = settled(await run(sb, 'restore', 'M', '--to', to), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/"b\.txt": not in the archive/);
    expect(r.stdout).toMatch(/"d\/e\.txt": not in the archive/);
    expect((await readdir(to)).sort()).toEqual(['a.txt', 'c.txt']);
    // Asking for it alone: nothing comes out, and it says so (exit 3, not 0).
    const one = join(sb.dir, 'lacks-one');
    const o = settled(await run(sb, 'restore', 'M', 'b.txt', '--to', one), 'restore b.txt');
    expect(o.code, o.stdout + o.stderr).toBe(3);
    expect(o.stdout).toMatch(/"b\.txt": not in the archive/);
    expect(o.stdout).toMatch(/0 of the 1 selected files? (was|were) restored/);
  });

  it('a path that is not in the snapshot is a usage-like refusal (exit 4) that says so, and names the spelling it has', async () => {
    const r = settled(await run(sb, 'restore', 'M', 'nope.txt', '--to', join(sb.dir, 'nope')), 'restore nope');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: .*has no "nope\.txt"/m);
    expect(r.stderr).toMatch(/^hint: .*airgap find/m);
    // Typed in another case: the hint gives the snapshot's own spelling.
    const c = settled(await run(sb, 'restore', 'M', 'A.TXT', '--to', join(sb.dir, 'nope-case')), 'restore A.TXT');
    expect(c.code).toBe(4);
    expect(c.stderr).toMatch(/^hint: .*"A\.TXT" is "a\.txt"/m);
    expect(await exists(join(sb.dir, 'nope-case'))).toBe(false);
  });

  it('a type-7 (contiguous file) member: damage to verify --deep and to restore alike', async () => {
    const content = 'contiguous\n';
    const member = Buffer.concat([
      rawHeader({ name: 'contig.txt', type: 'File', typeflag: '7', size: content.length }),
      Buffer.from(content), Buffer.alloc(512 - content.length),
    ]);
    await forged('C', [{ path: 'a.txt', content: 'a\n' }, { bytes: member, manifest: [fileEntry('contig.txt', content)] }]);
    const v = settled(await run(sb, 'verify', 'C', '--deep'), 'verify --deep');
    expect(v.code, v.stdout + v.stderr).toBe(3);
    expect(v.stdout).toMatch(/contig\.txt.*type is ContiguousFile, manifest says file/);
    const to = join(sb.dir, 'contig');
    const r = settled(await run(sb, 'restore', 'C', '--to', to), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/"contig\.txt": type is ContiguousFile, manifest says file/);
    expect(await readdir(to)).toEqual(['a.txt']);
  });

  it('implicit parent folders that differ only by unicode form or case collide (exit 3), one folder comes back', async () => {
    const nfc = 'Caf\u00e9';
    const nfd = 'Cafe\u0301';
    await forged('U', [
      { path: `${nfc}/a.txt`, content: 'a\n' },
      { path: `${nfd}/b.txt`, content: 'b\n' },
      { path: 'Docs/c.txt', content: 'c\n' },
      { path: 'DOCS/d.txt', content: 'd\n' },
      { path: 'x/Docs/e.txt', content: 'e\n' },
      { path: 'x/docs/f.txt', content: 'f\n' },
    ]);
    const to = join(sb.dir, 'lookalikes');
    const r = settled(await run(sb, 'restore', 'U', '--to', to), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`"${nfd}/b\\.txt": .*collides with ${nfc}`));
    expect(r.stdout).toMatch(/"DOCS\/d\.txt": .*collides with Docs/);
    expect(r.stdout).toMatch(/"x\/docs\/f\.txt": .*collides with x\/Docs/);
    expect((await readdir(to)).sort()).toEqual(['Caf\u00e9', 'Docs', 'x']);
    expect(await readdir(join(to, 'x'))).toEqual(['Docs']);
    // find compares in one unicode form: typed in NFD, it finds both spellings, each shown as stored.
    for (const pattern of [`${nfd}/a.txt`, `${nfd}/*`]) {
      const f = settled(await run(sb, 'find', 'U', pattern, '--json'), `find ${pattern}`);
      expect(f.code, f.stderr).toBe(0);
      const paths = (JSON.parse(f.stdout).found as { path: string }[]).map((x) => x.path).sort();
      expect(paths).toEqual(pattern.endsWith("*") ? [`${nfc}/a.txt`, `${nfd}/b.txt`].sort() : [`${nfc}/a.txt`]);
    }
  });

  it('members the manifest does not list, or lists as something else, are never created (exit 3)', async () => {
    await forged('L', [
      { path: 'a.txt', content: 'a\n' },
      { path: 'unlisted-link', type: 'SymbolicLink', linkpath: '/etc', manifest: false },
      { path: 'lying-link', type: 'SymbolicLink', linkpath: '/etc/passwd', manifest: { link: 'a.txt' } },
      { path: 'was-a-file', type: 'Directory', manifest: { type: 'file', size: 0, sha256: sha256('') } },
    ]);
    const to = join(sb.dir, 'unlisted');
    const r = settled(await run(sb, 'restore', 'L', '--to', to), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/"unlisted-link": .*not in the manifest/);
    expect(r.stdout).toMatch(/"lying-link": .*link target/);
    expect(r.stdout).toMatch(/"was-a-file": .*manifest says file/);
    expect(await readdir(to)).toEqual(['a.txt']);
  });
});

describe('restore --salvage opens the tarball no-follow and non-blocking', () => {
  let sb: Sandbox;
  let tar: string;
  let kept: string;

  beforeAll(async () => {
    sb = await makeSandbox();
    const src = join(sb.dir, 'home', 'docs');
    await makeTree(src, { 'a.txt': { file: 'a\n', mtime: T }, 'b.txt': { file: 'b\n', mtime: T } });
    await labelledDrive(sb, 'A');
    const { id, dir } = await backup(sb, src);
    tar = join(dir, `${id}.tar`);
    kept = join(sb.dir, 'elsewhere.tar'); // the real tarball, moved off the drive
    await rename(tar, kept);
  });
  afterAll(() => sb.cleanup());

  const cases: [string, () => Promise<void>, RegExp][] = [
    ['a FIFO', async () => { expect(spawnSync('mkfifo', [tar]).status).toBe(0); }, /FIFO/],
    ['a symlink to /dev/zero', () => symlink('/dev/zero', tar), /symlink/],
    ['a symlink to a tarball elsewhere', () => symlink(kept, tar), /symlink/],
  ];
  for (const [what, plant, says] of cases) {
    it(`a tarball that is ${what}: refused at once, nothing extracted, every file named (exit 3)`, async () => {
      await rm(tar, { force: true });
      await plant();
      const to = join(sb.dir, `salvage-${what.replace(/\W+/g, '-')}`);
      const r = settled(await run(sb, 'restore', 'A', '--to', to, '--salvage'), `salvage with ${what}`);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stdout + r.stderr).toMatch(says);
      expect(r.stdout).toContain('"docs/a.txt"');
      expect(r.stdout).toContain('"docs/b.txt"');
      expect(await exists(join(to, 'docs', 'a.txt'))).toBe(false);
      await expectNoStaging(to);
      await unlink(tar);
    });
  }

  it('the tree is as before: the moved tarball still restores when put back', async () => {
    await rename(kept, tar);
    const to = join(sb.dir, 'put-back');
    const r = settled(await run(sb, 'restore', 'A', '--to', to), 'restore');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(await readTree(to)).sort()).toEqual(['docs', 'docs/a.txt', 'docs/b.txt']);
  });
});
