// Real filesystems on loop devices: exFAT (through FUSE) and ext4 image files, attached with
// losetup and mounted under a temporary mount root that the CLI scans ($AIRGAP_MOUNT_ROOTS), with
// NO --drives-root: drives are found the way they are on a user's machine (drivelist plus
// mount-root scanning) and carry real hardware fingerprints (filesystem UUIDs from blkid/lsblk).
// Needs root, a free loop device, FUSE and the exFAT/ext4 tools; skipped (with the reason
// printed) otherwise.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, runChecked, type CliResult } from '../helpers/cli.js';
import { makeTree, readTree, type Tree } from '../helpers/tree.js';

const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z/;
const isPartial = (n: string) => n.startsWith('.partial-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['losetup', 'mount', 'umount', 'mkfs.exfat', 'mount.exfat-fuse', 'mkfs.ext4', 'blkid', 'findmnt', 'sha256sum', 'tar']) {
    if (!has(tool)) return `${tool} missing`;
  }
  if (!existsSync('/dev/fuse')) return '/dev/fuse missing';
  const free = spawnSync('losetup', ['-f'], { encoding: 'utf8' });
  if (free.status !== 0) return `losetup -f fails (${(free.stderr || free.error?.message || '').trim() || `exit ${free.status}`})`;
  return undefined;
}

const reason = skipReason();
if (reason) console.log('skipping real-drive tests: ' + reason);

/** Runs a system tool; throws with its stderr when it fails. */
function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

type Kind = 'exfat' | 'ext4';

interface Disk {
  kind: Kind;
  img: string;
  loop: string;
  mnt: string;
}

let dir: string; // everything of one test: images, mount root, state, config, sources
let mountRoot: string;
let env: Record<string, string>;
let loops: string[]; // attached by this test, still to detach
let mounts: string[]; // mounted by this test, still to unmount
let children: ChildProcess[];

function attach(img: string): string {
  const loop = sh('losetup', ['-f', '--show', img]).trim();
  loops.push(loop);
  return loop;
}

function mountDisk(kind: Kind, loop: string, mnt: string, readOnly = false): void {
  if (kind === 'exfat') sh('mount.exfat-fuse', [...(readOnly ? ['-o', 'ro'] : []), loop, mnt]);
  else sh('mount', [...(readOnly ? ['-o', 'ro'] : []), loop, mnt]);
  mounts.push(mnt);
}

/** A new image file with a fresh filesystem, attached to a loop device and mounted under the mount root. */
async function makeDisk(kind: Kind, fsLabel: string, folder: string): Promise<Disk> {
  const img = join(dir, `${folder}.img`);
  sh('truncate', ['-s', '64M', img]);
  if (kind === 'exfat') sh('mkfs.exfat', ['-L', fsLabel, img]);
  else sh('mkfs.ext4', ['-q', '-L', fsLabel, img]);
  const loop = attach(img);
  const mnt = join(mountRoot, folder);
  await mkdir(mnt);
  mountDisk(kind, loop, mnt);
  return { kind, img, loop, mnt };
}

function unmount(mnt: string, lazy = false): void {
  sh('umount', lazy ? ['-l', mnt] : [mnt]);
  mounts = mounts.filter((m) => m !== mnt);
}

function detachLoop(loop: string): void {
  sh('losetup', ['-d', loop]);
  loops = loops.filter((l) => l !== loop);
}

/** Unplugs a disk: unmount (lazily: like a yanked cable, open files do not keep it) and detach. */
function unplug(d: Disk, lazy = false): void {
  unmount(d.mnt, lazy);
  detachLoop(d.loop);
}

/** Waits until no loop device uses the image any more (a detached but busy loop lingers until closed). */
async function waitImageFree(img: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (sh('losetup', ['-j', img]).trim() === '') return;
    await sleep(50);
  }
  throw new Error(`${img} is still attached: ${sh('losetup', ['-j', img])}`);
}

const fsUuid = (loop: string) => sh('blkid', ['-o', 'value', '-s', 'UUID', loop]).trim();

const run = (...args: string[]): Promise<CliResult> => runChecked({ env }, args);

async function label(d: Disk, name: string): Promise<void> {
  const r = await run('label', d.mnt, '--name', name, '--yes');
  expect(r.code, `label ${d.mnt} --name ${name}: ${r.stderr}`).toBe(0);
}

async function backupOk(drive: string, source: string, ...extra: string[]): Promise<{ id: string; dir: string; stderr: string }> {
  const r = await run('backup', '--drive', drive, '--source', source, '--json', ...extra);
  expect(r.code, `backup --drive ${drive}: ${r.stderr}`).toBe(0);
  const out = JSON.parse(r.stdout) as { snapshot: string; dir: string };
  return { id: out.snapshot, dir: out.dir, stderr: r.stderr };
}

const T = 1_600_000_000;
const sample: Tree = {
  'notes.txt': { file: 'hello from a real drive\n', mtime: T },
  'run.sh': { file: '#!/bin/sh\necho hi\n', mode: 0o755, mtime: T + 1 },
  'private.key': { file: 'secret', mode: 0o600, mtime: T + 2 },
  'ünïcødé €.txt': { file: 'unicode', mtime: T + 3 },
  'empty-file': { file: '', mtime: T + 4 },
  docs: {
    dir: {
      'a.md': { file: '# a\n', mtime: T + 5 },
      'big.bin': { file: randomBytes(2 * 1024 * 1024 + 13), mtime: T + 6 },
      deeper: { dir: { 'c.txt': { file: 'deep', mtime: T + 7 } }, mtime: T + 8 },
    },
    mtime: T + 9,
  },
  'empty-folder': { dir: {}, mtime: T + 10 },
  'link-rel': { symlink: 'notes.txt' },
  'hard-a': { file: 'shared inode', mtime: T + 11 },
  sub: { dir: { 'hard-b': { hardlink: 'hard-a' } }, mtime: T + 12 },
};

async function sampleSource(): Promise<string> {
  const src = join(dir, 'home', 'docs');
  await makeTree(src, sample);
  return src;
}

describe.skipIf(reason)('real drives on loop devices (exFAT via FUSE, ext4)', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-real-'));
    mountRoot = join(dir, 'mnt');
    await mkdir(mountRoot);
    loops = [];
    mounts = [];
    children = [];
    env = {
      AIRGAP_STATE_DIR: join(dir, 'state'),
      AIRGAP_MOUNT_ROOTS: mountRoot,
      XDG_CONFIG_HOME: join(dir, 'config'),
    };
  });

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const m of [...mounts].reverse()) spawnSync('umount', ['-l', m]);
    for (const l of [...loops].reverse()) spawnSync('losetup', ['-d', l]);
    mounts = [];
    loops = [];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const { kind, name } of [{ kind: 'exfat', name: 'EX' }, { kind: 'ext4', name: 'E4' }] as const) {
    it(`${kind}: label, drives, backup, verify --deep, sha256sum -c, GNU tar restores the source`, async () => {
      const d = await makeDisk(kind, `AG-${name}`, name.toLowerCase());
      const src = await sampleSource();

      // A separate filesystem: no --force needed.
      await label(d, name);

      const drives = await run('drives', '--json');
      expect(drives.code, drives.stderr).toBe(0);
      const found = (JSON.parse(drives.stdout) as { labelled: { name: string; root: string; snapshots: number; fingerprint?: { fsUuid?: string }; fingerprintCheck: string }[] })
        .labelled.filter((l) => l.name === name);
      expect(found, drives.stdout).toHaveLength(1);
      expect(found[0]).toMatchObject({ name, root: d.mnt, snapshots: 0, fingerprintCheck: 'match' });
      const uuid = fsUuid(d.loop);
      expect(uuid).not.toBe('');
      expect(found[0]!.fingerprint?.fsUuid, drives.stdout).toBe(uuid);

      const { id, dir: snapDir } = await backupOk(name, src);
      expect(id).toMatch(SNAPSHOT_NAME);
      expect(snapDir).toBe(join(d.mnt, 'airgap', id));

      const v = await run('verify', name, '--deep');
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toContain(`${id}  OK`);

      const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
      expect(sums.status, sums.stdout + sums.stderr).toBe(0);
      // Format 2, the default: the tarball, the two gzipped lists, REMOVE.nul, RESTORE.txt and snapshot.json.
      expect(sums.stdout.trim().split('\n').map((l) => l.replace(/: OK$/, '')).sort()).toEqual([`${id}.tar`, 'FILES.sha256.gz', 'MANIFEST.tsv.gz', 'REMOVE.nul', 'RESTORE.txt', 'snapshot.json'].sort());

      const dest = join(dir, 'restore');
      await mkdir(dest);
      const tar = spawnSync('tar', ['-xpf', join(snapDir, `${id}.tar`), '-C', dest], { encoding: 'utf8' });
      expect(tar.stderr).toBe('');
      expect(tar.status).toBe(0);
      expect(await readTree(join(dest, basename(src)), { dirMtimes: true })).toEqual(await readTree(src, { dirMtimes: true }));
    });
  }

  it('a clone (same airgap/ folder on another disk) is flagged, and not written to until --accept-fingerprint', async () => {
    const src = await sampleSource();
    const a = await makeDisk('exfat', 'ORIG', 'a');
    await label(a, 'EX');
    await backupOk('EX', src);
    const uuidA = fsUuid(a.loop);

    const b = await makeDisk('exfat', 'CLONE', 'b');
    const uuidB = fsUuid(b.loop);
    expect(uuidB).not.toBe(uuidA);
    sh('cp', ['-a', join(a.mnt, 'airgap'), b.mnt + '/']);
    unplug(a);

    const drives = await run('drives');
    expect(drives.code, drives.stderr).toBe(0);
    expect(drives.stdout).toMatch(new RegExp(`^EX  ${b.mnt}`, 'm'));
    const warning = drives.stdout.split('\n').find((l) => /WARNING/.test(l));
    expect(warning, drives.stdout).toBeDefined();
    expect(warning).toContain(uuidA);
    expect(warning).toContain(uuidB);

    const airgapB = join(b.mnt, 'airgap');
    const before = (await readdir(airgapB)).sort();
    const refused = await run('backup', '--drive', 'EX', '--source', src);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/^error: .*not the disk first seen/m);
    expect(refused.stderr).toMatch(/^hint: .*--accept-fingerprint/m);
    expect((await readdir(airgapB)).sort(), 'the refused backup wrote to the clone').toEqual(before);

    const refusedJson = await run('backup', '--drive', 'EX', '--source', src, '--json');
    expect(refusedJson.code).toBe(4);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({ ok: false, error: { code: 'fingerprint-mismatch', exitCode: 4 } });
    expect((await readdir(airgapB)).sort()).toEqual(before);

    const accepted = await backupOk('EX', src, '--accept-fingerprint');
    expect(accepted.dir).toBe(join(airgapB, accepted.id));
    const later = await backupOk('EX', src);
    expect(later.stderr).not.toMatch(/not the disk first seen/);
    expect(later.dir).toBe(join(airgapB, later.id));
  });

  it('a drive removed in the middle of a backup: a clean refusal, never a broken snapshot, and the next backup recovers', async () => {
    const d = await makeDisk('exfat', 'YANK', 'y');
    await label(d, 'EX');
    const airgapDir = join(d.mnt, 'airgap');
    const src = join(dir, 'bulk');
    await mkdir(src);
    for (let i = 0; i < 4; i++) await writeFile(join(src, `r${i}.bin`), randomBytes(10 << 20));
    for (let i = 0; i < 50; i++) await writeFile(join(src, `s${i}.txt`), `small file ${i}\n`);

    const child = spawn(process.execPath, [BIN, 'backup', '--drive', 'EX', '--source', src], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    let exited = false;
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        exited = true;
        resolve({ code, signal });
      });
    });

    // Pull the drive as soon as the unfinished snapshot exists.
    const until = Date.now() + 120_000; // a cap for a loaded machine
    let partial: string | undefined;
    while (!partial) {
      if (exited) throw new Error(`the backup ended (${(await done).code}) before a .partial- folder appeared: too fast to interrupt here\n${stdout}${stderr}`);
      if (Date.now() > until) throw new Error('no .partial- folder appeared within 120 s');
      partial = (await readdir(airgapDir).catch(() => [] as string[])).find(isPartial);
      if (!partial) await sleep(2);
    }
    unplug(d, true);
    const pulledAt = Date.now();
    expect(exited, `the backup had already finished when the drive was pulled:\n${stdout}${stderr}`).toBe(false);

    const timeout = sleep(120_000).then(() => 'timeout' as const); // a hang cap, not a speed claim
    const r = await Promise.race([done, timeout]);
    if (r === 'timeout') {
      child.kill('SIGKILL');
      throw new Error(`the backup did not end within 120 s of the drive being removed (it hangs):\n${stdout}${stderr}`);
    }
    const report = `exit ${r.code} (signal ${r.signal}) ${Date.now() - pulledAt} ms after removal\nstdout: ${stdout}\nstderr: ${stderr}`;
    expect(r.signal, report).toBeNull();
    expect(r.code, report).not.toBe(0);
    expect(stderr, report).not.toMatch(/^\s+at /m);
    expect(stderr, report).not.toContain('internal error');
    expect(stderr, report).toMatch(/^error: .*(removed|disconnected|disappeared|stopped responding)/m);
    expect(stderr, report).toMatch(/^hint: /m);
    expect(r.code, report).toBe(4);

    // Plug the same disk back in.
    await waitImageFree(d.img);
    const loop = attach(d.img);
    mountDisk('exfat', loop, d.mnt);
    const names = await readdir(airgapDir);
    expect(names).toContain('drive.json');
    for (const n of names.filter((x) => SNAPSHOT_NAME.test(x))) {
      // Anything named like a snapshot must be a sound one (docs/cli.md: nothing that looks
      // like a snapshot is ever left behind).
      const hasSums = await stat(join(airgapDir, n, 'SHA256SUMS')).then(() => true, () => false);
      const v = await run('verify', 'EX', '--snapshot', n);
      expect(v.code, `${n} (SHA256SUMS ${hasSums ? 'present' : 'missing'}) does not verify:\n${v.stdout}${v.stderr}`).toBe(0);
    }
    const leftovers = names.filter(isPartial);

    const again = await backupOk('EX', src);
    for (const p of leftovers) expect(again.stderr).toMatch(new RegExp(`^note: removing ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    expect((await readdir(airgapDir)).filter(isPartial)).toEqual([]);
    const v = await run('verify', 'EX', '--snapshot', again.id);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a read-only mounted drive: verify and list work, backup refuses with exit 4', async () => {
    const src = await sampleSource();
    const d = await makeDisk('ext4', 'AG-RO', 'ro');
    await label(d, 'E4');
    const { id } = await backupOk('E4', src);
    unmount(d.mnt);
    mountDisk('ext4', d.loop, d.mnt, true);
    expect(sh('findmnt', ['-n', '-o', 'OPTIONS', d.mnt])).toMatch(/(^|,)ro(,|$)/);

    const v = await run('verify', 'E4');
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`${id}  OK`);
    const l = await run('list', 'E4');
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toContain(id);

    const before = (await readdir(join(d.mnt, 'airgap'))).sort();
    const b = await run('backup', '--drive', 'E4', '--source', src);
    expect(b.code, b.stderr).toBe(4);
    expect(b.stderr).toMatch(/^error: .*read-only/m);
    expect(b.stderr).toMatch(/^hint: /m);
    expect((await readdir(join(d.mnt, 'airgap'))).sort()).toEqual(before);
  });
});
