// Drive trouble in the middle of a backup, on real filesystems (docs/cli.md: "Refuses with exit 4
// … a full, read-only or removed drive during the write … Nothing that looks like a snapshot is
// ever left behind"):
//
// - a drive that fills up: tmpfs with a size limit, and small ext4 and exFAT (FUSE) loop images,
//   filled to ENOSPC by a filler file while the CLI is frozen during the tarball
//   (write:chunk@2), before the manifests are flushed (write:tar-done) or before SHA256SUMS
//   (write:meta-written);
// - a drive removed while writing: an ext4 loop image unmounted lazily and its loop device
//   detached, and an exFAT FUSE mount whose daemon is killed (ENOTCONN), during the tarball and
//   during the manifests; then the image is plugged back in and drives/status/list/watch/verify
//   are asked about the unfinished `.partial-*` folder;
// - a drive mounted read-only (ext4 `-o ro`, exFAT FUSE `-o ro`): verify, list and status work;
//   backup, label (relabel) and prune refuse;
// - format 2 (the default; the scenarios above write format 1): an ext4 and an exFAT drive holding
//   a chain (a full and an increment) fills up during the tarball of the next increment
//   (write:chunk@1), before its gzipped manifests are flushed (write:tar-done), after its
//   REMOVE.nul and RESTORE.txt (write:chain-files-written) and during a
//   new full (`--full`, write:chunk@2), then is removed during an increment (write:chunk@1). After
//   each: the chain verifies deep, its newest snapshot restores with `airgap restore` and with its
//   RESTORE.txt run literally (sh + GNU tar), and the next run is an increment of the same chain.
//
// Each scenario asserts a clear `error:`/`hint:` and exit code (never a stack trace), no snapshot
// that looks complete but is not, that every older snapshot still verifies (deep, and with
// `sha256sum -c`), and that the next normal run succeeds and cleans up.
//
// The precision comes from stop-failpoints: AIRGAP_FAILPOINT=<name>[@N] with
// AIRGAP_FAILPOINT_ACTION=stop makes the CLI SIGSTOP itself at that step; the test waits until
// every thread of it is stopped, does something to the drive, then sends SIGCONT and measures
// how long the CLI takes to exit.
//
// Needs root, mount/umount/losetup, mkfs.ext4, mkfs.exfat + mount.exfat-fuse + /dev/fuse;
// skipped (with the reason printed) otherwise. Scenarios run one after another (mounts). The
// full and removed scenarios share one drive per filesystem (the snapshots of earlier rounds are
// the older snapshots of later ones); every mount, loop device and frozen CLI is released in
// afterEach/afterAll even when a scenario fails.
//
// Figures (fault-results/drive-trouble.json): one row per scenario — filesystem, where it was
// hit, exit code, message, ms to exit after SIGCONT, complete-looking broken snapshots, older
// snapshots verified, next run ok, and which commands report the leftover on the next plug-in.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync,
} from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, expectNoCrash, runChecked, runCli, type CliResult } from '../helpers/cli.js';
import { allThreadsStopped } from '../helpers/proc.js';
import { recordFigures } from '../helpers/figures.js';
import { restoreScript, runScript } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';

const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d+)?$/;
const isSnapshotName = (n: string) => SNAPSHOT_NAME.test(n);
const isPartial = (n: string) => n.startsWith('.partial-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// What can run here

function baseReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['mount', 'umount', 'findmnt', 'sha256sum', 'truncate']) if (!has(tool)) return `${tool} missing`;
  const probe = mkdtempSync(join(tmpdir(), 'airgap-trouble-probe-'));
  try {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
    if (m.status !== 0) return `mount does not work here: ${(m.stderr || m.error?.message || '').trim()}`;
    spawnSync('umount', ['-l', probe]);
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return undefined;
}

function loopReason(): string | undefined {
  if (!has('losetup')) return 'losetup missing';
  const free = spawnSync('losetup', ['-f'], { encoding: 'utf8' });
  if (free.status !== 0) return `losetup -f fails (${(free.stderr || free.error?.message || '').trim() || `exit ${free.status}`})`;
  return undefined;
}

const BASE_SKIP = baseReason();
const LOOP_SKIP = BASE_SKIP ?? loopReason();
const SKIP: Record<Fs, string | undefined> = {
  tmpfs: BASE_SKIP,
  ext4: LOOP_SKIP ?? (has('mkfs.ext4') ? undefined : 'mkfs.ext4 missing'),
  exfat: LOOP_SKIP ?? (!has('mkfs.exfat') ? 'mkfs.exfat missing' : !has('mount.exfat-fuse') ? 'mount.exfat-fuse missing' : !existsSync('/dev/fuse') ? '/dev/fuse missing' : undefined),
};
if (BASE_SKIP) console.log(`skipping the drive-trouble fault tests: ${BASE_SKIP}`);
else for (const [fs, why] of Object.entries(SKIP)) if (why) console.log(`skipping the drive-trouble fault tests on ${fs}: ${why}`);

// ---------------------------------------------------------------------------------------------
// System tools, mounts, loop devices

type Fs = 'tmpfs' | 'ext4' | 'exfat';

interface Disk {
  fs: Fs;
  mnt: string;
  img?: string;
  loop?: string;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

let work: string; // this file's folder: shared sources
let dir: string; // one scenario's folder: images, mount root, state, config
let mountRoot: string;
let env: Record<string, string>;
let mounts: string[] = [];
let loops: string[] = [];
let images: string[] = [];
let children: ChildProcess[] = [];
let smallSrc: string; // a small tree: the older snapshots and the next normal runs
let bigSrc: string; // 10 MiB + 400 small files: > 2 tar chunks, manifests of ~150 KiB
let bigManifestBytes = 0; // MANIFEST.tsv + FILES.sha256 of bigSrc, from a reference backup
const BIG_FILE = 10 << 20;
const SMALL_FILES = 400;

function attach(img: string): string {
  const loop = sh('losetup', ['-f', '--show', img]).trim();
  loops.push(loop);
  // Work around an airgap bug (reported): it reads filesystem UUIDs with `blkid -o export <dev>`,
  // which answers from blkid's cache (/run/blkid/blkid.tab) for 2 s after the last probe of
  // that device node, so a new image on a just-freed loop device gets the previous image's UUID
  // (a false "not the disk first seen" refusal). A device node newer than the cache entry is
  // always probed again.
  spawnSync('touch', ['-m', '-d', '+15 seconds', loop]);
  return loop;
}

function mountDisk(d: Disk, readOnly = false): void {
  const ro = readOnly ? ['-o', 'ro'] : [];
  if (d.fs === 'tmpfs') sh('mount', ['-t', 'tmpfs', '-o', `size=32m${readOnly ? ',ro' : ''}`, 'tmpfs', d.mnt]);
  else if (d.fs === 'exfat') sh('mount.exfat-fuse', [...ro, d.loop!, d.mnt]);
  else sh('mount', [...ro, d.loop!, d.mnt]);
  mounts.push(d.mnt);
}

function unmount(mnt: string, lazy = false): void {
  sh('umount', lazy ? ['-l', mnt] : [mnt]);
  mounts = mounts.filter((m) => m !== mnt);
}

function detach(loop: string): void {
  sh('losetup', ['-d', loop]);
  loops = loops.filter((l) => l !== loop);
}

/** A fresh filesystem mounted under the mount root: tmpfs of 32 MiB, or a 64 MiB image on a loop device. */
async function makeDisk(fs: Fs, folder: string): Promise<Disk> {
  const mnt = join(mountRoot, folder);
  await mkdir(mnt);
  const d: Disk = { fs, mnt };
  if (fs !== 'tmpfs') {
    d.img = join(dir, `${folder}.img`);
    images.push(d.img);
    sh('truncate', ['-s', '64M', d.img]);
    if (fs === 'ext4') sh('mkfs.ext4', ['-q', '-L', 'AGTROUBLE', d.img]);
    else sh('mkfs.exfat', ['-L', 'AGTROUBLE', d.img]);
    d.loop = attach(d.img);
  }
  mountDisk(d);
  return d;
}

/** Pulls the drive: lazy unmount (open files do not keep it) and detach the loop device. */
function unplug(d: Disk): void {
  unmount(d.mnt, true);
  if (d.loop) detach(d.loop);
}

/**
 * The drive goes while the backup is frozen at its failpoint, as a USB plug pulled mid-write:
 * an exFAT drive's FUSE daemon dies first (a pulled FUSE drive has no daemon left), then the drive
 * is unplugged and the backup resumes into the missing drive. Its exit and message go into `row`.
 */
async function pullWhileFrozen(d: Disk, fs: string, r: Running, row: Record<string, unknown>): Promise<Awaited<ReturnType<typeof resume>>> {
  if (fs === 'exfat') {
    const daemon = fuseDaemonOf(d.mnt);
    process.kill(daemon, 'SIGKILL');
    const until = Date.now() + 10_000;
    while (existsSync(`/proc/${daemon}`) && Date.now() < until) await sleep(10);
    const dead = spawnSync('stat', [d.mnt], { encoding: 'utf8' });
    expect(dead.stderr, 'the FUSE mount is dead').toMatch(/not connected/);
  }
  unplug(d);
  const res = await resume(r);
  Object.assign(row, { exitCode: res.code, message: errorLine(res.stderr), exitMsAfterSigcont: res.ms });
  return res;
}

/** Plugs the same image back in at the same mountpoint (after the old loop device is gone). */
async function plugBackIn(d: Disk): Promise<void> {
  const until = Date.now() + 15_000;
  while (sh('losetup', ['-j', d.img!]).trim() !== '') {
    if (Date.now() > until) throw new Error(`${d.img} is still attached: ${sh('losetup', ['-j', d.img!])}`);
    await sleep(50);
  }
  d.loop = attach(d.img!);
  mountDisk(d);
}

/** The pid of the FUSE daemon serving a mountpoint (we started it: mount.exfat-fuse <loop> <mnt>). */
function fuseDaemonOf(mnt: string): number {
  const found: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.some((a) => a.endsWith('mount.exfat-fuse')) && args.includes(mnt)) found.push(Number(p));
  }
  if (found.length !== 1) throw new Error(`expected one mount.exfat-fuse process for ${mnt}, found ${found.join(', ') || 'none'}`);
  return found[0]!;
}

/** Free bytes (for root: blocks free, not just available) once the filesystem has committed. */
function freeBytes(mnt: string): number {
  spawnSync('sync', ['-f', mnt]);
  const s = statfsSync(mnt);
  return s.bfree * s.bsize;
}

/**
 * Fills the filesystem at `mnt` with one filler file until ENOSPC, in shrinking writes down to
 * 512 bytes; returns the bytes written and what statfs says afterwards.
 */
function fillUp(mnt: string): { path: string; bytes: number; bavail: number; bfree: number } {
  const path = join(mnt, 'filler');
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const buf = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          bytes += writeSync(fd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
    try {
      fsyncSync(fd);
    } catch {
      // an fsync error on a full drive is not what is tested here
    }
  } finally {
    closeSync(fd);
  }
  const s = statfsSync(mnt);
  return { path, bytes, bavail: s.bavail * s.bsize, bfree: s.bfree * s.bsize };
}

// ---------------------------------------------------------------------------------------------
// The CLI

const run = (...args: string[]): Promise<CliResult> => runChecked({ env }, args);

// Format 1 for every backup here: the scenarios stop format 1's write sequence at its steps
// (a tarball, then the plain MANIFEST.tsv and FILES.sha256, large enough to hit a full disk after
// write:tar-done), read MANIFEST.tsv, and need single snapshots that retention "last 1" prunes.
// Format 2 has its own scenarios (a chain on the drive), in "Format 2" below.
const FORMAT_1 = ['--format', '1'];

async function label(d: Disk, name: string): Promise<void> {
  const r = await run('label', d.mnt, '--name', name, '--yes');
  expect(r.code, `label ${d.mnt} --name ${name}: ${r.stderr}`).toBe(0);
}

async function backupOk(name: string, source: string, ...extra: string[]): Promise<{ id: string; dir: string; stderr: string }> {
  const r = await run('backup', ...FORMAT_1, '--drive', name, '--source', source, '--json', ...extra);
  expect(r.code, `backup --drive ${name} --source ${source}: ${r.stderr}`).toBe(0);
  const out = JSON.parse(r.stdout) as { snapshot: string; dir: string };
  return { id: out.snapshot, dir: out.dir, stderr: r.stderr };
}

interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exitedAt?: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI in the background (to be frozen at a failpoint). */
function start(args: string[], extraEnv: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const r: Running = { child, stdout: '', stderr: '', done: undefined as never };
  child.stdout!.on('data', (c) => (r.stdout += c));
  child.stderr!.on('data', (c) => (r.stderr += c));
  child.on('exit', () => (r.exitedAt = Date.now()));
  r.done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return r;
}

async function waitStopped(r: Running, failpoint: string): Promise<void> {
  const until = Date.now() + 120_000; // a cap: the stop comes when the backup reaches it, however slowly
  for (;;) {
    if (r.exitedAt !== undefined) {
      const { code } = await r.done;
      throw new Error(`the backup ended (exit ${code}) before stopping at ${failpoint}:\n${r.stdout}${r.stderr}`);
    }
    try {
      if (allThreadsStopped(r.child.pid!)) return;
    } catch {
      // the process is exiting: seen at the next round
    }
    if (Date.now() > until) throw new Error(`the backup did not stop at ${failpoint} within 120 s:\n${r.stderr}`);
    await sleep(10);
  }
}

/** SIGCONT, then the exit (capped at 120 s: a hang, not slowness), with the milliseconds between the two (a figure only). */
async function resume(r: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  process.kill(r.child.pid!, 'SIGCONT');
  const res = await Promise.race([r.done, sleep(120_000).then(() => 'timeout' as const)]);
  if (res === 'timeout') {
    r.child.kill('SIGKILL');
    throw new Error(`the backup did not exit within 120 s of SIGCONT (it hangs):\n${r.stdout}${r.stderr}`);
  }
  return { ...res, stdout: r.stdout, stderr: r.stderr, ms: (r.exitedAt ?? Date.now()) - t0 };
}

const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';

/** The refusal of a frozen-then-resumed backup run with --json: exit code, error line, hint, JSON code. */
function expectRefusal(what: string, r: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }, code: string, message: RegExp): void {
  const report = `${what}: exit ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.signal, report).toBeNull();
  expectNoCrash(what, r);
  expect(r.stderr, report).toMatch(new RegExp(`^error: ${message.source}`, 'm'));
  expect(r.stderr, report).toMatch(/^hint: \S/m);
  expect(r.code, report).toBe(4);
  const json = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ok?: boolean; error?: { code?: string; exitCode?: number } };
  expect(json, report).toMatchObject({ ok: false, error: { code, exitCode: 4 } });
}

// ---------------------------------------------------------------------------------------------
// The drive's contents

const airgapDirOf = (d: Disk) => join(d.mnt, 'airgap');
const entries = async (d: Disk) => (await readdir(airgapDirOf(d))).sort();

interface VerifyJson {
  ok: boolean;
  leftovers: string[];
  snapshots: { id: string; status: string; deep: boolean; findings: { severity: string; message: string }[] }[];
}

/**
 * Every snapshot on the drive verifies deep with airgap and with `sha256sum -c`, and the ones
 * named `expected` are exactly the snapshot-named folders there. Returns airgap's report.
 */
async function expectOlderVerify(d: Disk, name: string, expected: string[]): Promise<VerifyJson> {
  const names = await entries(d);
  expect(names.filter(isSnapshotName), `snapshot folders on ${name}`).toEqual(expected);
  const v = await run('verify', name, '--deep', '--json');
  expect(v.code, v.stdout + v.stderr).toBe(0);
  const report = JSON.parse(v.stdout) as VerifyJson;
  expect(report.ok).toBe(true);
  expect(report.snapshots.map((s) => [s.id, s.status, s.deep])).toEqual(expected.map((id) => [id, 'ok', true]));
  for (const id of expected) {
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(airgapDirOf(d), id), encoding: 'utf8' });
    expect(sums.status, `sha256sum -c in ${id}: ${sums.stdout}${sums.stderr}`).toBe(0);
  }
  return report;
}

/** Snapshot-named folders that are not the expected ones: each would be a broken snapshot that looks complete. */
async function completeLookingBroken(d: Disk, known: string[]): Promise<string[]> {
  return (await entries(d)).filter((n) => isSnapshotName(n) && !known.includes(n));
}

/** Paths, sizes and mtimes of everything on the drive, to prove a refused command wrote nothing. */
async function treeState(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string) => {
    const s = await stat(p);
    out.push(`${relative(root, p) || '.'} ${s.isDirectory() ? 'd' : s.size} ${s.mtimeMs}`);
    if (s.isDirectory()) for (const n of (await readdir(p)).sort()) await walk(join(p, n));
  };
  await walk(root);
  return out;
}

// ---------------------------------------------------------------------------------------------
// One case: its folder, mount root, state and config; and its clean-up, even after a failure

async function newCase(): Promise<void> {
  dir = await mkdtemp(join(work, 'case-'));
  mountRoot = join(dir, 'mnt');
  await mkdir(mountRoot);
  mounts = [];
  loops = [];
  images = [];
  children = [];
  env = {
    AIRGAP_STATE_DIR: join(dir, 'state'),
    AIRGAP_MOUNT_ROOTS: mountRoot,
    XDG_CONFIG_HOME: join(dir, 'config'),
  };
}

/** Kills a CLI left running or frozen by a failed scenario (SIGKILL works on a stopped process). */
function killChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children = [];
}

async function endCase(): Promise<void> {
  killChildren();
  for (const m of [...mounts].reverse()) spawnSync('umount', ['-l', m]);
  for (const l of [...loops].reverse()) spawnSync('losetup', ['-d', l]);
  // A loop device detached while busy lingers until its filesystem is released: catch those too.
  for (const img of images) {
    const until = Date.now() + 5_000;
    for (;;) {
      const attached = spawnSync('losetup', ['-j', img], { encoding: 'utf8' }).stdout.trim();
      if (!attached) break;
      for (const line of attached.split('\n')) spawnSync('losetup', ['-d', line.split(':')[0]!]);
      if (Date.now() > until) break;
      await sleep(50);
    }
  }
  mounts = [];
  loops = [];
  images = [];
  if (dir) await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Figures

const rows: Record<string, Record<string, unknown>> = {};
const fileStarted = Date.now();
let uniq = 0;
/** Drive names unique to this run: drivelist sees the loop devices of tests running at the same time. */
const driveName = (prefix: string) => `${prefix}${process.pid.toString(36)}${(uniq++).toString(36)}`;

describe.skipIf(BASE_SKIP)('drive trouble during a backup, on real filesystems', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'airgap-trouble-'));
    smallSrc = join(work, 'src', 'Documents');
    await mkdir(join(smallSrc, 'letters'), { recursive: true });
    await writeFile(join(smallSrc, 'notes.txt'), 'the older snapshot\n');
    await writeFile(join(smallSrc, 'letters', 'a.txt'), randomBytes(3000));
    bigSrc = join(work, 'src', 'Photos');
    await mkdir(join(bigSrc, 'album-with-a-rather-long-folder-name-for-longer-manifest-lines'), { recursive: true });
    await writeFile(join(bigSrc, 'big.raw'), randomBytes(BIG_FILE));
    for (let i = 0; i < SMALL_FILES; i++) {
      const n = String(i).padStart(4, '0');
      await writeFile(join(bigSrc, 'album-with-a-rather-long-folder-name-for-longer-manifest-lines', `picture-number-${n}-of-the-summer-holiday.jpg`), `small file ${n}\n`);
    }
    // A reference backup of the big source on a simulated drive: how large its manifests are
    // (the write:tar-done scenarios need them well beyond one filesystem block).
    const ref = { AIRGAP_STATE_DIR: join(work, 'ref', 'state'), XDG_CONFIG_HOME: join(work, 'ref', 'config'), AIRGAP_DRIVES_ROOT: join(work, 'ref', 'drives') };
    await mkdir(join(ref.AIRGAP_DRIVES_ROOT, 'REF'), { recursive: true });
    const l = await runCli(['label', join(ref.AIRGAP_DRIVES_ROOT, 'REF'), '--name', 'REF', '--yes'], ref);
    expect(l.code, l.stderr).toBe(0);
    const b = await runCli(['backup', ...FORMAT_1, '--drive', 'REF', '--source', bigSrc, '--json'], ref);
    expect(b.code, b.stderr).toBe(0);
    const refDir = (JSON.parse(b.stdout) as { dir: string }).dir;
    bigManifestBytes = (await stat(join(refDir, 'MANIFEST.tsv'))).size + (await stat(join(refDir, 'FILES.sha256'))).size;
    await rm(join(work, 'ref'), { recursive: true, force: true });
  }, 600_000); // a cap for a loaded machine, not an expectation

  afterAll(async () => {
    const skipped = Object.entries(SKIP).filter(([, why]) => why).map(([fs, why]) => `${fs}: ${why}`);
    recordFigures('drive-trouble', { runtimeSeconds: Math.round((Date.now() - fileStarted) / 100) / 10, skipped, bigSourceManifestBytes: bigManifestBytes, ...rows });
    if (work) await rm(work, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------------------------
  // Disk full

  const FULL_POINTS = [
    { failpoint: 'write:chunk@2', where: 'during the tarball (2nd 4 MiB flush)' },
    { failpoint: 'write:tar-done', where: 'tarball closed, manifests not yet flushed' },
    { failpoint: 'write:meta-written', where: 'snapshot.json written, SHA256SUMS not yet' },
  ] as const;

  // One drive per filesystem goes through the three fill-ups in turn: the snapshots of the
  // earlier rounds are the older snapshots of the later ones.
  for (const fs of ['tmpfs', 'ext4', 'exfat'] as const) {
    describe.skipIf(SKIP[fs])(`a full ${fs} drive`, () => {
      let d: Disk;
      let name: string;
      const olders: string[] = [];
      beforeAll(async () => {
        await newCase();
        name = driveName('F');
        d = await makeDisk(fs, 'full');
        await label(d, name);
        olders.push((await backupOk(name, smallSrc)).id);
      }, 600_000); // a cap for a loaded machine, not an expectation
      afterEach(killChildren);
      afterAll(endCase);

      for (const { failpoint, where } of FULL_POINTS) {
        it(`disk full on ${fs} at ${failpoint} (${where}): exit 4 "drive … is full", nothing complete-looking, older verifies, next run ok`, async () => {
          const key = `full ${fs} ${failpoint}`;
          const row: Record<string, unknown> = { filesystem: fs, hit: `disk full at ${failpoint}` };
          rows[key] = row;
          expect(olders.length, 'the drive is set up').toBeGreaterThan(0);
          await rm(join(d.mnt, 'filler'), { force: true }); // left by an earlier round that failed
          if (failpoint === 'write:tar-done') expect(bigManifestBytes, 'manifests of the big source, flushed after write:tar-done').toBeGreaterThan(32 << 10);
          const freeBefore = freeBytes(d.mnt);

          const r = start(['backup', ...FORMAT_1, '--drive', name, '--source', bigSrc, '--json'], { AIRGAP_FAILPOINT: failpoint, AIRGAP_FAILPOINT_ACTION: 'stop' });
          await waitStopped(r, failpoint);
          // Frozen where we wanted: check the step from what is on the drive.
          const partials = (await entries(d)).filter(isPartial);
          expect(partials, 'one .partial- folder while the backup is frozen').toHaveLength(1);
          const partialDir = join(airgapDirOf(d), partials[0]!);
          const tarName = `${partials[0]!.slice('.partial-'.length)}.tar`;
          const tarSize = (await stat(join(partialDir, tarName))).size;
          if (failpoint === 'write:chunk@2') expect(tarSize, 'tarball size at the 2nd chunk').toBeLessThan(BIG_FILE);
          else expect(tarSize, 'tarball complete').toBeGreaterThan(BIG_FILE);
          if (failpoint === 'write:tar-done') expect((await stat(join(partialDir, 'MANIFEST.tsv'))).size, 'MANIFEST.tsv not yet flushed').toBe(0);
          if (failpoint === 'write:meta-written') {
            expect(existsSync(join(partialDir, 'snapshot.json'))).toBe(true);
            expect(existsSync(join(partialDir, 'SHA256SUMS'))).toBe(false);
          }

          const fill = fillUp(d.mnt);
          Object.assign(row, { fillerBytes: fill.bytes, freeAfterFill: fill.bavail, bfreeAfterFill: fill.bfree });
          const res = await resume(r);
          Object.assign(row, { exitCode: res.code, message: errorLine(res.stderr), exitMsAfterSigcont: res.ms });
          expectRefusal(`backup on a full ${fs} (${failpoint})`, res, 'drive-full', new RegExp(`drive ${name} is full`));
          // No elapsed-time assertion: a hang is caught by resume()'s cap; res.ms is a figure.

          const broken = await completeLookingBroken(d, olders);
          row.completeLookingBroken = broken.length;
          expect(broken, 'snapshot-named folders left by the failed run').toEqual([]);
          const after = await entries(d);
          const leftovers = after.filter(isPartial);
          row.partialLeftByFailedRun = leftovers.length;
          row.leftoverReportedBy = leftovers.length ? 'next backup (note: removing …)' : 'none left: the failed run removed its .partial- itself';
          expect(after, 'the lock is released').not.toContain('.lock');
          row.olderVerified = (await expectOlderVerify(d, name, olders)).snapshots.length;

          // Free the space: all of it comes back (the failed run leaked nothing), the next normal
          // run succeeds and nothing unfinished stays.
          await unlink(fill.path);
          row.spaceLeakedBytes = freeBefore - freeBytes(d.mnt);
          expect(row.spaceLeakedBytes, 'space not given back after the failed run and the filler are gone').toBeLessThanOrEqual(64 << 10);
          const next = await backupOk(name, smallSrc);
          for (const p of leftovers) expect(next.stderr).toMatch(new RegExp(`^note: removing ${escapeRe(p)}`, 'm'));
          const final = await entries(d);
          expect(final.filter(isPartial)).toEqual([]);
          expect(final).not.toContain('.lock');
          // (the backup read its snapshot back against SHA256SUMS before exiting 0)
          expect(final.filter(isSnapshotName)).toEqual([...olders, next.id].sort());
          olders.push(next.id);
          row.nextRunOk = true;
        }, 600_000); // a cap for a loaded machine, not an expectation
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Drive removed mid-write

  const REMOVED = [
    { fs: 'ext4', how: 'umount -l + losetup -d', failpoint: 'write:chunk@2' },
    { fs: 'ext4', how: 'umount -l + losetup -d', failpoint: 'write:tar-done' },
    { fs: 'exfat', how: 'FUSE daemon killed (SIGKILL)', failpoint: 'write:chunk@2' },
    { fs: 'exfat', how: 'FUSE daemon killed (SIGKILL)', failpoint: 'write:tar-done' },
  ] as const;

  // One drive per filesystem, pulled twice (during the tarball, then during the manifests).
  for (const fs of ['ext4', 'exfat'] as const) {
    describe.skipIf(SKIP[fs])(`a ${fs} drive removed mid-write`, () => {
      let d: Disk;
      let name: string;
      const olders: string[] = [];
      beforeAll(async () => {
        await newCase();
        name = driveName('R');
        d = await makeDisk(fs, 'pulled');
        await label(d, name);
        olders.push((await backupOk(name, smallSrc)).id);
      }, 600_000); // a cap for a loaded machine, not an expectation
      afterEach(killChildren);
      afterAll(endCase);

      for (const { how, failpoint } of REMOVED.filter((x) => x.fs === fs)) {
        it(`drive removed on ${fs} at ${failpoint} (${how}): exit 4 "removed", the .partial- folder is reported on the next plug-in and removed by the next run`, async () => {
          const key = `removed ${fs} ${failpoint}`;
          const row: Record<string, unknown> = { filesystem: fs, hit: `${how} at ${failpoint}` };
          rows[key] = row;
          expect(olders.length, 'the drive is set up').toBeGreaterThan(0);
          if (!mounts.includes(d.mnt)) await plugBackIn(d); // an earlier round failed while it was out

          const r = start(['backup', ...FORMAT_1, '--drive', name, '--source', bigSrc, '--json'], { AIRGAP_FAILPOINT: failpoint, AIRGAP_FAILPOINT_ACTION: 'stop' });
          await waitStopped(r, failpoint);
          const partials = (await entries(d)).filter(isPartial);
          expect(partials, 'one .partial- folder while the backup is frozen').toHaveLength(1);
          const partial = partials[0]!;

          const res = await pullWhileFrozen(d, fs, r, row);
          expectRefusal(`backup on a drive pulled at ${failpoint} (${fs})`, res, 'drive-removed', new RegExp(`drive ${name} was (removed|disconnected)`));
          expect(res.stderr).toMatch(/^hint: .*plug it back in/m);
          // No elapsed-time assertion: a hang is caught by resume()'s cap; res.ms is a figure.

          // The next plug-in.
          await plugBackIn(d);
          const names = await entries(d);
          row.lockLeftOnDrive = names.includes('.lock');
          expect(names.filter(isPartial), 'the unfinished snapshot is still on the drive (nobody could remove it)').toEqual([partial]);
          const partialFiles = await readdir(join(airgapDirOf(d), partial));
          row.partialOnReplug = Object.fromEntries(await Promise.all(partialFiles.sort().map(async (f) => [f, (await stat(join(airgapDirOf(d), partial, f))).size] as const)));
          const broken = await completeLookingBroken(d, olders);
          row.completeLookingBroken = broken.length;
          expect(broken, 'snapshot-named folders left by the interrupted run').toEqual([]);

          // What each command says about it (read-only commands: run side by side; watch takes 3 s).
          const [list, verified, status, drives, watch] = await Promise.all([
            run('list', name),
            expectOlderVerify(d, name, olders),
            run('status'),
            run('drives'),
            run('watch', '--once', '--timeout', '3'),
          ]);
          const mentionRe = new RegExp(`${escapeRe(partial)}|unfinished|interrupted`);
          const mentions = (x: CliResult) => mentionRe.test(x.stdout + x.stderr);
          const reportedBy = [
            ...(mentions(list) ? ['list'] : []),
            ...(verified.leftovers.includes(partial) ? ['verify'] : []),
            ...(mentions(status) ? ['status'] : []),
            ...(mentions(drives) ? ['drives'] : []),
            ...(mentions(watch) ? ['watch'] : []),
          ];
          row.leftoverReportedBy = reportedBy;
          row.olderVerified = verified.snapshots.length;
          expect(list.code, list.stderr).toBe(0);
          expect(list.stdout, 'list reports the unfinished folder').toMatch(new RegExp(`${escapeRe(partial)}.*unfinished`));
          expect(verified.leftovers).toEqual([partial]);
          expect(status.code, status.stderr).toBe(0);
          expect(drives.code, drives.stderr).toBe(0);
          expect(drives.stdout, 'drives lists the re-plugged drive').toContain(name);
          expect(watch.code, watch.stderr).toBe(0);
          expect(watch.stdout, 'watch sees the re-plugged drive').toContain(name);
          // The requirement: the temporary folder is reported on the next plug-in, at least by list
          // and status (soft, so that the clean-up below is still checked when status misses it).
          // drives and watch are recorded in the figures (leftoverReportedBy), not required.
          expect.soft(status.stdout + status.stderr, 'status reports the unfinished .partial- folder').toMatch(mentionRe);

          const next = await backupOk(name, smallSrc);
          expect(next.stderr).toMatch(new RegExp(`^note: removing ${escapeRe(partial)}, left by an interrupted backup`, 'm'));
          const final = await entries(d);
          expect(final.filter(isPartial)).toEqual([]);
          expect(final).not.toContain('.lock');
          // (the backup read its snapshot back against SHA256SUMS before exiting 0)
          expect(final.filter(isSnapshotName)).toEqual([...olders, next.id].sort());
          olders.push(next.id);
          row.nextRunOk = true;
        }, 600_000); // a cap for a loaded machine, not an expectation
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Format 2 (the default): a chain on the drive, and drive trouble during its next increment or
  // during a new full

  // The chain's source: one 15 MiB file (kept under 16 MiB, where block lists start) and a few
  // small ones. Its full weighs ~15 MiB, so that an increment storing one 6 MiB file stays under
  // the policy's 50 % and the next run still builds on the chain.
  const CHAIN_BASE = 15 << 20;
  const CHAIN_NEW = 6 << 20;
  const F2_FULL_POINTS = [
    { kind: 'increment', failpoint: 'write:chunk@1', where: 'during the tarball of the increment (1st 4 MiB flush)' },
    { kind: 'increment', failpoint: 'write:tar-done', where: 'tarball closed, the gzipped manifests not yet flushed' },
    { kind: 'increment', failpoint: 'write:chain-files-written', where: 'REMOVE.nul and RESTORE.txt written, snapshot.json not yet' },
    { kind: 'full', failpoint: 'write:chunk@2', where: 'during the tarball of a new full (--full, 2nd 4 MiB flush)' },
  ] as const;

  interface Written2 { id: string; dir: string; stderr: string; kind: string; base?: string; chain: string[]; chainReason: string }

  // One drive per filesystem holds a chain (a full and an increment) and goes through the three
  // fill-ups, then a removal, in turn: the snapshots of earlier rounds are the older ones of later
  // rounds, and every successful run must go on building the same chain.
  for (const fs of ['ext4', 'exfat'] as const) {
    describe.skipIf(SKIP[fs])(`format 2: a ${fs} drive holding a chain`, () => {
      let d: Disk;
      let name: string;
      let src: string;
      const olders: string[] = [];
      const trees = new Map<string, Snapshot>(); // what each snapshot holds (the source when it was written)
      let chainFull = ''; // the full every snapshot here builds on

      const backup2 = async (...extra: string[]): Promise<Written2> => {
        const r = await run('backup', '--format', '2', '--drive', name, '--source', src, '--json', ...extra);
        expect(r.code, `backup --format 2 --drive ${name}: ${r.stderr}`).toBe(0);
        const out = JSON.parse(r.stdout) as { snapshot: string; dir: string; chainReason: string; meta: { kind: string; base?: string; chain: string[] } };
        trees.set(out.snapshot, await readTree(src, { hashContent: true }));
        return { id: out.snapshot, dir: out.dir, stderr: r.stderr, chainReason: out.chainReason, ...out.meta };
      };

      /** The newest older snapshot restores with airgap and with its RESTORE.txt run literally (sh + GNU tar). */
      const expectNewestRestores = async (what: string): Promise<void> => {
        const id = olders.at(-1)!;
        const want = trees.get(id)!;
        const to = join(dir, 'restored');
        const r = await run('restore', name, '--snapshot', id, '--to', to);
        expect(r.code, `${what}: airgap restore --snapshot ${id}: ${r.stderr}`).toBe(0);
        expect(await readTree(join(to, basename(src)), { hashContent: true }), `${what}: airgap restore of ${id}`).toEqual(want);
        await rm(to, { recursive: true, force: true });
        const home = join(dir, 'home');
        await mkdir(home, { recursive: true });
        const out = runScript(['sh'], await restoreScript(join(airgapDirOf(d), id, RESTORE_FILE), d.mnt), { PATH: process.env.PATH!, HOME: home });
        expect(out, `${what}: RESTORE.txt of ${id}`).not.toMatch(/FAILED/);
        expect(await readTree(join(home, `restored-${id}`, basename(src)), { hashContent: true }), `${what}: RESTORE.txt of ${id} with GNU tar`).toEqual(want);
        await rm(home, { recursive: true, force: true });
      };

      /** The next run after the trouble: exit 0, an increment of the chain's newest snapshot (no partial, no lock left). */
      const expectNextBuildsOnChain = async (leftovers: string[]): Promise<Written2> => {
        const newest = olders.at(-1)!;
        const next = await backup2();
        for (const p of leftovers) expect(next.stderr).toMatch(new RegExp(`^note: removing ${escapeRe(p)}`, 'm'));
        expect({ kind: next.kind, base: next.base, full: next.chain[0] }, `the next run builds on the chain (${next.chainReason})`).toEqual({ kind: 'incremental', base: newest, full: chainFull });
        expect(next.chainReason).toMatch(new RegExp(`^builds on ${escapeRe(newest)}`));
        const final = await entries(d);
        expect(final.filter(isPartial)).toEqual([]);
        expect(final).not.toContain('.lock');
        // (the backup read its snapshot back against SHA256SUMS before exiting 0)
        expect(final.filter(isSnapshotName)).toEqual([...olders, next.id].sort());
        olders.push(next.id);
        return next;
      };

      beforeAll(async () => {
        await newCase();
        name = driveName('C');
        src = join(dir, 'src', 'Ledger');
        await mkdir(join(src, 'letters'), { recursive: true });
        await writeFile(join(src, 'notes.txt'), 'the chain\n');
        await writeFile(join(src, 'letters', 'a.txt'), randomBytes(3000));
        await writeFile(join(src, 'base.raw'), randomBytes(CHAIN_BASE));
        d = await makeDisk(fs, 'chain');
        await label(d, name);
        const full = await backup2();
        expect(full.kind).toBe('full');
        chainFull = full.id;
        olders.push(full.id);
        await writeFile(join(src, 'notes.txt'), 'the chain, edited for the increment\n');
        const inc = await backup2();
        expect({ kind: inc.kind, base: inc.base }).toEqual({ kind: 'incremental', base: full.id });
        olders.push(inc.id);
      }, 600_000); // a cap for a loaded machine, not an expectation
      afterEach(killChildren);
      afterAll(endCase);

      for (const { kind, failpoint, where } of F2_FULL_POINTS) {
        it(`format 2, disk full on ${fs} during a${kind === 'full' ? ' new full' : 'n increment'} at ${failpoint} (${where}): exit 4 "drive … is full", nothing complete-looking, the chain verifies and restores, the next run builds on it`, async () => {
          const key = `full ${fs} format 2 ${kind} ${failpoint}`;
          const row: Record<string, unknown> = { filesystem: fs, hit: `disk full during a format 2 ${kind} at ${failpoint}` };
          rows[key] = row;
          expect(olders.length, 'the drive holds a chain').toBeGreaterThanOrEqual(2);
          await rm(join(d.mnt, 'filler'), { force: true }); // left by an earlier round that failed
          // What this run has to store: a new 6 MiB file (the increment's tarball spans a 4 MiB
          // flush), a small edit, or everything (--full).
          if (failpoint === 'write:chunk@1') await writeFile(join(src, 'new.raw'), randomBytes(CHAIN_NEW));
          else await writeFile(join(src, 'notes.txt'), `edited before ${failpoint} (${kind})\n`);
          const freeBefore = freeBytes(d.mnt);

          const r = start(['backup', '--format', '2', '--drive', name, '--source', src, '--json', ...(kind === 'full' ? ['--full'] : [])], { AIRGAP_FAILPOINT: failpoint, AIRGAP_FAILPOINT_ACTION: 'stop' });
          await waitStopped(r, failpoint);
          // Frozen where we wanted: check the step from what is on the drive.
          const partials = (await entries(d)).filter(isPartial);
          expect(partials, 'one .partial- folder while the backup is frozen').toHaveLength(1);
          const partialDir = join(airgapDirOf(d), partials[0]!);
          const tarSize = (await stat(join(partialDir, `${partials[0]!.slice('.partial-'.length)}.tar`))).size;
          row.tarBytesWhenFrozen = tarSize;
          if (failpoint === 'write:chunk@1') expect(tarSize, 'tarball size at the 1st chunk of the increment').toBeLessThan(CHAIN_NEW);
          if (failpoint === 'write:chunk@2') expect(tarSize, 'tarball size at the 2nd chunk of the full').toBeLessThan(CHAIN_BASE);
          if (failpoint === 'write:tar-done') expect((await stat(join(partialDir, 'MANIFEST.tsv.gz'))).size, 'MANIFEST.tsv.gz not yet flushed').toBe(0);
          if (failpoint === 'write:chain-files-written') {
            expect(existsSync(join(partialDir, RESTORE_FILE)), 'RESTORE.txt written').toBe(true);
            expect(existsSync(join(partialDir, 'snapshot.json')), 'snapshot.json not yet').toBe(false);
          }

          const fill = fillUp(d.mnt);
          Object.assign(row, { fillerBytes: fill.bytes, freeAfterFill: fill.bavail, bfreeAfterFill: fill.bfree });
          const res = await resume(r);
          Object.assign(row, { exitCode: res.code, message: errorLine(res.stderr), exitMsAfterSigcont: res.ms });
          expectRefusal(`format 2 ${kind} on a full ${fs} (${failpoint})`, res, 'drive-full', new RegExp(`drive ${name} is full`));
          expect(res.stderr.split('\n').filter((l) => l.startsWith('error: ')), 'one error line').toHaveLength(1);
          expect(res.stderr.split('\n').filter((l) => l.startsWith('hint: ')), 'one hint line').toHaveLength(1);

          const broken = await completeLookingBroken(d, olders);
          row.completeLookingBroken = broken.length;
          expect(broken, 'snapshot-named folders left by the failed run').toEqual([]);
          const after = await entries(d);
          const leftovers = after.filter(isPartial);
          row.partialLeftByFailedRun = leftovers.length;
          expect(leftovers.length, 'at most the one .partial- folder').toBeLessThanOrEqual(1);
          expect(after, 'the lock is released').not.toContain('.lock');
          row.olderVerified = (await expectOlderVerify(d, name, olders)).snapshots.length;
          // Restoring needs no space on the drive: check it while the drive is still full.
          await expectNewestRestores(`after the failed ${kind} at ${failpoint}`);
          row.newestOlderRestored = olders.at(-1);

          // Free the space: all of it comes back, the next normal run builds on the chain.
          await unlink(fill.path);
          row.spaceLeakedBytes = freeBefore - freeBytes(d.mnt);
          expect(row.spaceLeakedBytes, 'space not given back after the failed run and the filler are gone').toBeLessThanOrEqual(64 << 10);
          const next = await expectNextBuildsOnChain(leftovers);
          row.nextRun = `${next.kind} on ${next.base}: ${next.chainReason}`;
          row.nextRunOk = true;
        }, 600_000); // a cap for a loaded machine, not an expectation
      }

      const how = fs === 'exfat' ? 'FUSE daemon killed (SIGKILL)' : 'umount -l + losetup -d';
      it(`format 2, drive removed on ${fs} during an increment at write:chunk@1 (${how}): exit 4 "removed", the chain verifies and restores after the re-plug, the next run removes the .partial- and builds on the chain`, async () => {
        const failpoint = 'write:chunk@1';
        const key = `removed ${fs} format 2 increment ${failpoint}`;
        const row: Record<string, unknown> = { filesystem: fs, hit: `${how} during a format 2 increment at ${failpoint}` };
        rows[key] = row;
        expect(olders.length, 'the drive holds a chain').toBeGreaterThanOrEqual(2);
        if (!mounts.includes(d.mnt)) await plugBackIn(d); // an earlier round failed while it was out
        await rm(join(d.mnt, 'filler'), { force: true });
        await writeFile(join(src, 'new2.raw'), randomBytes(CHAIN_NEW));

        const r = start(['backup', '--format', '2', '--drive', name, '--source', src, '--json'], { AIRGAP_FAILPOINT: failpoint, AIRGAP_FAILPOINT_ACTION: 'stop' });
        await waitStopped(r, failpoint);
        const partials = (await entries(d)).filter(isPartial);
        expect(partials, 'one .partial- folder while the backup is frozen').toHaveLength(1);
        const partial = partials[0]!;

        const res = await pullWhileFrozen(d, fs, r, row);
        expectRefusal(`format 2 increment on a drive pulled at ${failpoint} (${fs})`, res, 'drive-removed', new RegExp(`drive ${name} was (removed|disconnected)`));
        expect(res.stderr).toMatch(/^hint: .*plug it back in/m);

        await plugBackIn(d);
        const names = await entries(d);
        row.lockLeftOnDrive = names.includes('.lock');
        expect(names.filter(isPartial), 'the unfinished snapshot is still on the drive (nobody could remove it)').toEqual([partial]);
        const broken = await completeLookingBroken(d, olders);
        row.completeLookingBroken = broken.length;
        expect(broken, 'snapshot-named folders left by the interrupted run').toEqual([]);
        const [list, verified] = await Promise.all([run('list', name), expectOlderVerify(d, name, olders)]);
        row.olderVerified = verified.snapshots.length;
        expect(list.code, list.stderr).toBe(0);
        expect(list.stdout, 'list reports the unfinished folder').toMatch(new RegExp(`${escapeRe(partial)}.*unfinished`));
        expect(verified.leftovers).toEqual([partial]);
        await expectNewestRestores(`after the drive was pulled at ${failpoint}`);
        row.newestOlderRestored = olders.at(-1);

        const next = await expectNextBuildsOnChain([partial]);
        expect(next.stderr).toMatch(new RegExp(`^note: removing ${escapeRe(partial)}, left by an interrupted backup`, 'm'));
        row.nextRun = `${next.kind} on ${next.base}: ${next.chainReason}`;
        row.nextRunOk = true;
      }, 600_000); // a cap for a loaded machine, not an expectation
    });
  }

  // -------------------------------------------------------------------------------------------
  // Read-only drive

  describe('a read-only drive', () => {
    beforeEach(newCase);
    afterEach(endCase);
    for (const fs of ['ext4', 'exfat'] as const) {
      it.skipIf(SKIP[fs])(`read-only ${fs}: verify (plain, deep), list, status and prune --dry-run work; backup, label --force and prune refuse with exit 4 and write nothing`, async () => {
        const key = `read-only ${fs}`;
        const row: Record<string, unknown> = { filesystem: fs, hit: 'mounted -o ro' };
        rows[key] = row;
        const name = driveName('O');
        const offsite = driveName('S');
        // A rotation whose retention prunes everything but the newest: prune has work to refuse.
        const zero = { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
        await mkdir(join(dir, 'config', 'airgap'), { recursive: true });
        await writeFile(join(dir, 'config', 'airgap', 'config.json'), JSON.stringify({
          version: 1,
          format: 1, // single snapshots, as FORMAT_1 above
          sources: [smallSrc],
          drives: { rotation: [{ name, role: 'home', retention: zero }, { name: offsite, role: 'offsite' }] },
          cadence: 'daily',
        }, null, 2));
        const d = await makeDisk(fs, 'ro');
        await label(d, name);
        const s1 = await backupOk(name, smallSrc, '--no-prune');
        const s2 = await backupOk(name, smallSrc, '--no-prune');
        const olders = [s1.id, s2.id].sort();
        const dry = await run('prune', name, '--dry-run');
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout, 'prune has something to do on this drive').toContain(olders[0]!);
        // What an unplugged run leaves behind (see the removal scenarios): an unfinished folder and
        // the lock of a process that is gone. A read-only drive must still refuse as read-only.
        const leftover = `.partial-${s2.id.slice(0, 10)}T000000Z`;
        await mkdir(join(airgapDirOf(d), leftover));
        await writeFile(join(airgapDirOf(d), leftover, 'MANIFEST.tsv'), '');
        const deadPid = spawnSync('true').pid!;
        await writeFile(join(airgapDirOf(d), '.lock'), JSON.stringify({ pid: deadPid, host: hostname(), startedAt: new Date().toISOString(), command: 'backup' }) + '\n');

        unmount(d.mnt);
        mountDisk(d, true);
        expect(sh('findmnt', ['-n', '-o', 'OPTIONS', d.mnt])).toMatch(/(^|,)ro(,|$)/);
        const before = await treeState(d.mnt);
        const identity = await readFile(join(airgapDirOf(d), 'drive.json'), 'utf8');

        // Reading works (side by side: none of them writes).
        const [plain, deep, list, status, dryRo, drives] = await Promise.all([
          run('verify', name),
          expectOlderVerify(d, name, olders),
          run('list', name),
          run('status'),
          run('prune', name, '--dry-run'),
          run('drives', '--json'),
        ]);
        expect(plain.code, plain.stdout + plain.stderr).toBe(0);
        for (const id of olders) expect(plain.stdout).toContain(`${id}  OK`);
        row.olderVerified = deep.snapshots.length;
        expect(list.code, list.stderr).toBe(0);
        for (const id of olders) expect(list.stdout).toMatch(new RegExp(`${id}\\s+complete`));
        expect(list.stdout).toMatch(new RegExp(`${escapeRe(leftover)}.*unfinished`));
        expect(deep.leftovers).toEqual([leftover]);
        expect(drives.code, drives.stderr).toBe(0);
        const listed = (JSON.parse(drives.stdout) as { labelled: { name: string; readOnly?: boolean }[] }).labelled.find((l) => l.name === name);
        expect(listed, drives.stdout).toBeDefined();
        row.drivesJsonReadOnly = listed!.readOnly;
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(new RegExp(`^${name} .*CONNECTED`, 'm'));
        expect(dryRo.code, dryRo.stderr).toBe(0);
        expect(dryRo.stdout).toContain(olders[0]!);

        // Writing is refused, clearly.
        const [backup, relabel, prune] = await Promise.all([
          run('backup', ...FORMAT_1, '--drive', name, '--source', smallSrc, '--json'),
          run('label', d.mnt, '--name', driveName('B'), '--yes', '--force'),
          run('prune', name),
        ]);
        Object.assign(row, {
          exitCode: backup.code,
          message: errorLine(backup.stderr),
          label: `exit ${relabel.code}: ${errorLine(relabel.stderr)}`,
          prune: `exit ${prune.code}: ${errorLine(prune.stderr)}`,
        });
        expectRefusal(`backup on a read-only ${fs}`, { ...backup, signal: null }, 'drive-read-only', new RegExp(`drive ${name} is mounted read-only`));
        expect(relabel.code, relabel.stderr).toBe(4);
        expect(relabel.stderr).toMatch(/^error: .*(read-only|not writable)/m);
        expect(relabel.stderr).toMatch(/^hint: .*(read-write|read-only)/m);
        expect(prune.code, prune.stdout + prune.stderr).toBe(4);
        expect(prune.stderr).toMatch(new RegExp(`^error: drive ${name} is mounted read-only`, 'm'));
        expect(prune.stderr).toMatch(/^hint: \S/m);

        expect(await treeState(d.mnt), 'nothing changed on the read-only drive').toEqual(before);
        expect(await readFile(join(airgapDirOf(d), 'drive.json'), 'utf8')).toBe(identity);
        row.completeLookingBroken = (await completeLookingBroken(d, olders)).length;

        // Mounted read-write again, the next run works (and the catalog still knows the name).
        unmount(d.mnt);
        mountDisk(d);
        const next = await backupOk(name, smallSrc, '--no-prune');
        expect(next.stderr).toMatch(new RegExp(`^note: removing ${escapeRe(leftover)}`, 'm'));
        const final = await entries(d);
        expect(final.filter(isSnapshotName)).toEqual([...olders, next.id].sort());
        expect(final.filter(isPartial)).toEqual([]);
        expect(final, 'the stale lock was taken over and released').not.toContain('.lock');
        row.nextRunOk = true;
      }, 600_000); // a cap for a loaded machine, not an expectation
    }
  });
});
