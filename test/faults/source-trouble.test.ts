// Source trouble, end to end through the built CLI: files deleted, truncated, grown or made
// unreadable while they are being archived (the backup pauses itself with SIGSTOP at the
// `write:entry` failpoint, the test changes the source, then sends SIGCONT), symlink loops, a FIFO,
// a socket and a device, paths too long for the target, and names that FAT/exFAT cannot hold.
//
// The promise (docs/cli.md `backup`, docs/FORMAT.md): every path that cannot be stored as it was
// is named — in the human output, in `--json` and in snapshot.json `problems` — the backup still
// completes with exit 0, `--strict` refuses with exit 4 and writes nothing, nothing ever ends in a
// stack trace, and the snapshot verifies (`airgap verify --deep`, stock `sha256sum -c`) and
// restores everything else exactly (`airgap restore` and GNU tar).
//
// The archiver reads small files ahead in batches (ReadAhead in src/snapshot/read-ahead.ts: 3 batches
// of up to 256 files), so the files changed "during" a backup sit in `zz/`, after FILLERS small
// files that the archiver reaches only after the test has changed the source; a large file (over
// 1 MiB) is streamed in the main path, and `write:entry@3` pauses right after its first chunk.
// Every backup here writes format 1 (`--format 1`): the checks read its plain MANIFEST.tsv and
// FILES.sha256 and extract its one tarball, and the truncation cases pause inside format 1's
// streaming of a large file. Format 2 shares the scan and the small-file path.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { procState } from '../helpers/proc.js';
import { recordFigures } from '../helpers/figures.js';

const MiB = 1 << 20;
const BIG = 20 * MiB; // streamed in chunks of about 4 MiB: `write:entry@3` lands after the first one
const MID = 12 * MiB; // the same, where the size does not matter
const FILLERS = 1000; // more small files than the archiver reads ahead (3 × 256)
const IS_ROOT = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const clip = (s: string, n = 6000) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more chars)` : s);

// ---------------------------------------------------------------------------------------------
// Bookkeeping: everything started here is ended in afterAll, even when a test fails midway.

const children: ChildProcess[] = [];
const sandboxes: Sandbox[] = [];
let mounts: string[] = [];
let loops: string[] = [];
const servers: Server[] = [];
const suiteStart = Date.now();

interface Row {
  did: string;
  exit: string;
  reportedByPath: string;
  verified: string;
  restored: string;
  skipped?: string;
  ms?: number;
}
const rows: Record<string, Row> = {};
function row(scenario: string, did: string): Row {
  return (rows[scenario] = { did, exit: 'not reached (test failed)', reportedByPath: 'not reached', verified: 'not reached', restored: 'not reached' });
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of servers) s.close();
  for (const m of [...mounts].reverse()) spawnSync('umount', ['-l', m]);
  for (const l of [...loops].reverse()) spawnSync('losetup', ['-d', l]);
  mounts = [];
  loops = [];
  for (const sb of sandboxes) {
    spawnSync('chmod', ['-R', 'u+rwx', sb.dir]);
    spawnSync('rm', ['-rf', sb.dir]); // GNU rm: also the paths longer than PATH_MAX (scenario 7)
    await sb.cleanup().catch(() => {});
    if (existsSync(sb.dir)) console.log(`could not remove ${sb.dir}`);
  }
  recordFigures('source-trouble', { totalMs: Date.now() - suiteStart, scenarios: rows });
}, 600_000); // a cap for a loaded machine, not an expectation

async function sandbox(): Promise<{ sb: Sandbox; root: string }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  return { sb, root: await realpath(sb.dir) };
}

// ---------------------------------------------------------------------------------------------
// Running the CLI: directly, as an unprivileged user, and paused at a failpoint.

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  done: Promise<Run>;
  ended: () => boolean;
}

/** Runs the CLI as nobody (as root, permission bits do not stop reads); its uid:gid for chown. */
const nobodyIds = () => ['-u', '-g'].map((f) => spawnSync('id', [f, 'nobody'], { encoding: 'utf8' }).stdout.trim()).join(':');
const [UNPRIVILEGED, NOBODY]: [string[] | undefined, string] = !IS_ROOT
  ? [[], '']
  : has('setpriv') ? [['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'], '65534:65534']
  : has('runuser') && /^\d+:\d+$/.test(nobodyIds()) ? [['runuser', '-u', 'nobody', '--'], nobodyIds()]
  : [undefined, ''];

function start(args: string[], env: Record<string, string>, as: string[] = []): Running {
  const argv = [...as, process.execPath, BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let ended = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d)); // no split UTF-8 sequences
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, ended: () => ended };
}

/** Waits for the end of a run; a run that hangs (a FIFO read, a loop followed) fails the test. */
async function finish(r: Running, what: string, ms = 300_000): Promise<Run> { // a hang cap
  const out = await Promise.race([r.done, sleep(ms).then(() => undefined)]);
  if (!out) {
    r.child.kill('SIGCONT');
    r.child.kill('SIGKILL');
    const late = await r.done;
    throw new Error(`airgap ${what} did not end within ${ms / 1000} s (hangs?)\nstdout: ${clip(late.stdout)}\nstderr: ${clip(late.stderr)}`);
  }
  return out;
}

async function cli(args: string[], env: Record<string, string>, as: string[] = []): Promise<Run> {
  const r = await finish(start(args, env, as), args.join(' '));
  noCrash(r, `airgap ${args.join(' ')}`);
  return r;
}

/**
 * Runs the CLI with AIRGAP_FAILPOINT=<point> and the stop action: it SIGSTOPs itself there; then
 * `change` alters the source and the run is continued with SIGCONT.
 */
async function pausedRun(args: string[], env: Record<string, string>, point: string, change: () => Promise<void>, as: string[] = []): Promise<Run> {
  const r = start(args, { ...env, AIRGAP_FAILPOINT: point, AIRGAP_FAILPOINT_ACTION: 'stop' }, as);
  const pid = r.child.pid!;
  const until = Date.now() + 120_000; // a cap: the stop comes when the run gets there, however slowly
  while (procState(pid) !== 'T') {
    if (r.ended()) {
      const out = await r.done;
      throw new Error(`airgap ${args.join(' ')} ended (exit ${out.code}) before reaching failpoint ${point}\nstdout: ${clip(out.stdout)}\nstderr: ${clip(out.stderr)}`);
    }
    if (Date.now() > until) {
      r.child.kill('SIGKILL');
      throw new Error(`airgap ${args.join(' ')} did not stop at ${point} within 30 s`);
    }
    await sleep(5);
  }
  try {
    await change();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const out = await finish(r, args.join(' '));
  noCrash(out, `airgap ${args.join(' ')} (paused at ${point})`);
  return out;
}

function noCrash(r: Run, what: string): void {
  const report = `${what}\nexit ${r.code} (signal ${r.signal})\nstdout: ${clip(r.stdout)}\nstderr: ${clip(r.stderr)}`;
  expect(r.signal, report).toBeNull();
  expect(r.stderr, report).not.toMatch(/^\s+at /m);
  expect(r.stdout, report).not.toMatch(/^\s+at .*\.js:\d+/m);
  expect(r.stderr, report).not.toContain('internal error');
  expect(r.code, report).not.toBe(1);
}

// ---------------------------------------------------------------------------------------------
// What a backup reported, and what the snapshot holds.

interface Problem {
  path: string;
  kind: string;
  message: string;
}
interface Expected {
  kind: 'vanished' | 'unreadable' | 'changed' | 'special' | 'bad-name' | 'excluded-target';
  path: string;
  /** Part of the message, when it matters. */
  says?: RegExp;
}
interface BackupJson {
  ok: boolean;
  snapshot: string;
  dir: string;
  meta: { id: string; counts: { problems: number; files: number; symlinks: number }; problems: Problem[]; problemsTruncated: boolean };
  problems: Problem[];
}

const key = (p: { kind: string; path: string }) => `${p.kind} ${p.path}`;
const keys = (ps: { kind: string; path: string }[]) => ps.map(key).sort();

function matchProblems(got: Problem[], expected: Expected[], where: string): void {
  expect(keys(got), `${where}: problems`).toEqual(keys(expected));
  for (const e of expected) {
    const p = got.find((g) => key(g) === key(e))!;
    expect(p.message, `${where}: message for ${e.path}`).not.toBe('');
    if (e.says) expect(p.message, `${where}: message for ${e.path}`).toMatch(e.says);
  }
}

/** The human summary names every problem path, one line each, and nothing else. */
function expectHuman(r: Run, expected: Expected[]): string {
  const report = `stdout: ${clip(r.stdout)}\nstderr: ${clip(r.stderr)}`;
  expect(r.code, report).toBe(0);
  const id = /^Snapshot (\S+) written to drive/m.exec(r.stdout)?.[1];
  expect(id, report).toBeDefined();
  if (expected.length === 0) {
    expect(r.stdout, report).not.toMatch(/not backed up as they were/);
    return id!;
  }
  expect(r.stdout, report).toContain(`\n${expected.length} path${expected.length === 1 ? '' : 's'} not backed up as they were:\n`);
  const listed = r.stdout.slice(r.stdout.indexOf('not backed up as they were:\n') + 'not backed up as they were:\n'.length).split('\n').filter((l) => l.startsWith('  '));
  expect(listed, report).toHaveLength(expected.length);
  for (const e of expected) {
    expect(listed.some((l) => l.startsWith(`  ${e.kind.padEnd(10)} ${e.path}: `)), `human output names ${e.kind} ${e.path}\n${report}`).toBe(true);
  }
  return id!;
}

/** `--json` and the snapshot.json on the drive both list every problem, by path. */
async function expectJson(r: Run, expected: Expected[]): Promise<BackupJson> {
  const report = `stdout: ${clip(r.stdout)}\nstderr: ${clip(r.stderr)}`;
  expect(r.code, report).toBe(0);
  const j = JSON.parse(r.stdout) as BackupJson;
  expect(j.ok).toBe(true);
  matchProblems(j.problems, expected, '--json problems');
  matchProblems(j.meta.problems, expected, '--json meta.problems');
  expect(j.meta.counts.problems).toBe(expected.length);
  expect(j.meta.problemsTruncated).toBe(false);
  const onDrive = JSON.parse(await readFile(join(j.dir, 'snapshot.json'), 'utf8')) as BackupJson['meta'];
  matchProblems(onDrive.problems, expected, 'snapshot.json problems');
  expect(onDrive.counts.problems).toBe(expected.length);
  return j;
}

/**
 * One kind of source trouble: how to lay out a fresh copy of the source, how to run airgap on it
 * (paused at a failpoint to make the trouble happen mid-run, or not), and what must be reported.
 */
interface Trouble {
  root: string;
  prepare: (src: string) => Promise<void>;
  run: (args: string[], src: string) => Promise<Run>;
  expected: (src: string) => Expected[];
  drive?: string;
}

/** The trouble met with the human output and with --json, each on a fresh copy (<root>/h, <root>/j). */
async function humanAndJson(t: Trouble) {
  const drive = t.drive ?? 'A';
  const srcH = join(t.root, 'h', 'data');
  await t.prepare(srcH);
  const human = await t.run(['backup', '--format', '1', '--drive', drive, '--source', srcH], srcH);
  const idH = expectHuman(human, t.expected(srcH));
  const srcJ = join(t.root, 'j', 'data');
  await t.prepare(srcJ);
  const json = await t.run(['backup', '--format', '1', '--drive', drive, '--source', srcJ, '--json'], srcJ);
  const j = await expectJson(json, t.expected(srcJ));
  return { human, idH, json, j, srcJ };
}

/** The trouble under --strict, on a third copy (<root>/s): exit 4 and nothing written. */
async function strictRefused(t: Trouble, airgapDir: string) {
  const srcS = join(t.root, 's', 'data');
  await t.prepare(srcS);
  const before = (await readdir(airgapDir)).sort();
  const strict = await t.run(['backup', '--format', '1', '--drive', t.drive ?? 'A', '--source', srcS, '--strict'], srcS);
  await expectStrictRefusal(strict, airgapDir, before, t.expected(srcS));
  return { strict, srcS, before };
}

/** `--strict` refuses with exit 4, names a problem path, and leaves the drive as it was. */
async function expectStrictRefusal(r: Run, airgapDir: string, before: string[], expected: Expected[]): Promise<void> {
  const report = `stdout: ${clip(r.stdout)}\nstderr: ${clip(r.stderr)}`;
  expect(r.code, report).toBe(4);
  expect(r.stderr, report).toMatch(/^error: --strict: \d+ paths? cannot be stored/m);
  expect(r.stderr, report).toMatch(/^hint: .*nothing was written/m);
  expect(expected.some((e) => r.stderr.includes(e.path)), `the refusal names one of the paths\n${report}`).toBe(true);
  expect((await readdir(airgapDir)).sort(), 'a refused --strict backup wrote to the drive').toEqual(before);
}

function manifestPaths(snapDir: string): Map<string, { type: string; size: number; sha256: string; link: string }> {
  const unescape = (s: string) => s.replace(/\\(\\|t|n|r|x[0-9a-f]{2})/g, (_, c: string) =>
    c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : String.fromCharCode(parseInt(c.slice(1), 16)));
  const out = new Map<string, { type: string; size: number; sha256: string; link: string }>();
  for (const line of readFileSync(join(snapDir, 'MANIFEST.tsv'), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split('\t');
    out.set(unescape(f[7]!), { type: f[0]!, size: Number(f[4]), sha256: f[6]!, link: unescape(f[8]!) });
  }
  return out;
}

/** `airgap verify <drive> --deep` and stock `sha256sum -c SHA256SUMS` in every snapshot folder. */
async function verifyDrive(env: Record<string, string>, drive: string, airgapDir: string, expectedIds: string[]): Promise<void> {
  const v = await cli(['verify', drive, '--deep'], env);
  expect(v.code, `verify ${drive} --deep\n${v.stdout}${v.stderr}`).toBe(0);
  for (const id of expectedIds) expect(v.stdout).toMatch(new RegExp(`^  ${id}  OK \\(deep`, 'm'));
  const ids = (await readdir(airgapDir)).filter((n) => /^\d{4}-\d{2}-\d{2}T\d{6}Z/.test(n)).sort();
  expect(ids).toEqual([...expectedIds].sort());
  for (const id of ids) {
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(airgapDir, id), encoding: 'utf8' });
    expect(sums.status, `sha256sum -c SHA256SUMS in ${id}: ${sums.stdout}${sums.stderr}`).toBe(0);
    expect(sums.stdout.trim().split('\n')).toHaveLength(4);
  }
}

/**
 * Extracts the snapshot with GNU tar (then `sha256sum -c FILES.sha256` there, as the drive's README
 * says) and restores it with `airgap restore`; returns both copies of the source folder.
 */
async function extractBoth(env: Record<string, string>, drive: string, snapDir: string, id: string, work: string, rootName: string): Promise<{ tar: string; restored: string }> {
  const tarDir = join(work, `tar-${id}`);
  await mkdir(tarDir, { recursive: true });
  const tar = spawnSync('tar', ['-xpf', join(snapDir, `${id}.tar`), '-C', tarDir], { encoding: 'utf8' });
  expect(tar.stderr, 'GNU tar warns').toBe('');
  expect(tar.status).toBe(0);
  const files = spawnSync('sha256sum', ['-c', '--quiet', join(snapDir, 'FILES.sha256')], { cwd: tarDir, encoding: 'utf8' });
  expect(files.status, `sha256sum -c FILES.sha256 after GNU tar: ${clip(files.stdout + files.stderr)}`).toBe(0);

  const restoreDir = join(work, `restore-${id}`);
  const r = await cli(['restore', drive, '--snapshot', id, '--to', restoreDir], env);
  expect(r.code, `airgap restore\n${clip(r.stdout)}${clip(r.stderr)}`).toBe(0);
  expect((await readdir(restoreDir)).filter((n) => n.startsWith('.airgap-restore-'))).toEqual([]);
  return { tar: join(tarDir, rootName), restored: join(restoreDir, rootName) };
}

interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode?: number;
  mtime?: number;
  size?: number;
  sha256?: string;
  target?: string;
}
type Digest = Record<string, Entry>;

/** A tree as type, mode, mtime (files), size and SHA-256 (files), link target; names read as bytes. */
async function digest(root: string): Promise<Digest> {
  const out: Digest = {};
  const walk = async (dir: Buffer, rel: string) => {
    const names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const name of names) {
      const p = Buffer.concat([dir, Buffer.from('/'), name]);
      const r = rel ? `${rel}/${name.toString()}` : name.toString();
      const st = await lstat(p);
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', target: (await readlink(p, { encoding: 'buffer' })).toString() };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', mode: st.mode & 0o7777 };
        await walk(p, r);
      } else if (st.isFile()) {
        const data = await readFile(p);
        out[r] = { type: 'file', mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000), size: data.length, sha256: sha256(data) };
      } else out[r] = { type: 'other' };
    }
  };
  await walk(Buffer.from(root), '');
  return out;
}

/** Both extractions equal `expected`. */
async function expectRestored(copies: { tar: string; restored: string }, expected: Digest): Promise<void> {
  expect(await digest(copies.tar), 'GNU tar extraction').toEqual(expected);
  expect(await digest(copies.restored), 'airgap restore').toEqual(expected);
}

async function fileEntry(p: string): Promise<Entry> {
  const st = await lstat(p);
  const data = await readFile(p);
  return { type: 'file', mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000), size: data.length, sha256: sha256(data) };
}

async function fillers(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < FILLERS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => writeFile(join(dir, `f${String(i + k).padStart(4, '0')}.txt`), `filler ${i + k}\n`)));
  }
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr}`);
}

/** A shrunk large file is stored at its header size: what was read, then zeros (docs/FORMAT.md). */
function expectZeroPadded(stored: Buffer, original: Buffer, readBytes: number): void {
  expect(stored.length).toBe(original.length);
  expect(readBytes).toBeGreaterThan(0);
  expect(readBytes).toBeLessThan(original.length);
  expect(stored.subarray(0, readBytes).equals(original.subarray(0, readBytes)), 'the bytes read before the file shrank').toBe(true);
  expect(stored.subarray(readBytes).equals(Buffer.alloc(original.length - readBytes)), 'the rest is zeros').toBe(true);
}

// ---------------------------------------------------------------------------------------------

describe('source trouble: each problem reported by path, the rest backed up, verified and restored', () => {
  it('1. files deleted during the backup: reported as vanished, everything else stored', async () => {
    const t0 = Date.now();
    const fig = row('1-deleted', 'paused at entry 3 (mid-read of a 12 MiB file); deleted that file, 2 small files and a 2 MiB file queued later, and a folder of 2 files');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const originals = new Map<string, { big: Entry; sub: Entry }>();

    const prepare = async (src: string) => {
      await mkdir(join(src, 'zz', 'sub'), { recursive: true });
      await writeFile(join(src, 'a-big.bin'), randomBytes(MID));
      originals.set(src, { big: await fileEntry(join(src, 'a-big.bin')), sub: { type: 'dir', mode: (await lstat(join(src, 'zz', 'sub'))).mode & 0o7777 } });
      await fillers(join(src, 'm'));
      await writeFile(join(src, 'zz', 'big-gone.bin'), randomBytes(2 * MiB));
      await writeFile(join(src, 'zz', 'gone-1.txt'), 'one\n');
      await writeFile(join(src, 'zz', 'gone-2.txt'), 'two\n');
      await writeFile(join(src, 'zz', 'keep.txt'), 'kept\n');
      await writeFile(join(src, 'zz', 'sub', 'x.txt'), 'x\n');
      await writeFile(join(src, 'zz', 'sub', 'y.txt'), 'y\n');
    };
    const change = (src: string) => async () => {
      for (const f of ['a-big.bin', 'zz/big-gone.bin', 'zz/gone-1.txt', 'zz/gone-2.txt']) await rm(join(src, f));
      await rm(join(src, 'zz', 'sub'), { recursive: true });
    };
    const expected = (src: string): Expected[] => [
      // Already open when deleted: read whole, and reported because its inode changed (ctime).
      { kind: 'changed', path: join(src, 'a-big.bin'), says: /changed while being read/ },
      ...['zz/big-gone.bin', 'zz/gone-1.txt', 'zz/gone-2.txt', 'zz/sub/x.txt', 'zz/sub/y.txt'].map((f) => ({ kind: 'vanished' as const, path: join(src, f) })),
    ];

    const trouble: Trouble = { root, prepare, expected, run: (args, src) => pausedRun(args, sb.env, 'write:entry@3', change(src)) };
    const { human, idH, json, j, srcJ } = await humanAndJson(trouble);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = 'yes: 5 vanished + the open file as changed, in the human output, --json and snapshot.json';

    // --strict, with the same trouble arising mid-write: exit 4, the unfinished snapshot removed.
    const { strict } = await strictRefused(trouble, airgapDir);
    fig.exit += `, ${strict.code} (--strict, nothing written)`;

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';

    // The snapshot holds the deleted-while-open file whole, the deleted folder (empty, as scanned)
    // and everything that is still there.
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const want = await digest(srcJ);
    const { big, sub } = originals.get(srcJ)!;
    expect(manifestPaths(j.dir).get('data/a-big.bin')).toMatchObject({ type: 'f', size: MID, sha256: big.sha256 });
    want['a-big.bin'] = big;
    want['zz/sub'] = sub;
    await expectRestored(copies, want);
    fig.restored = 'yes: airgap restore and GNU tar match the source (deleted files absent; the open one whole)';
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('2. files truncated during the backup: a large one mid-read is reported and zero-padded; small ones ahead are stored as read', async () => {
    const t0 = Date.now();
    const fig = row('2-truncated', 'paused mid-read of a 20 MiB file and truncated it to 1 MiB; truncated a 200 kB file and a 3 MiB file (to 500 kB) queued later');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const originals = new Map<string, Buffer>();

    const prepare = async (src: string) => {
      const big = randomBytes(BIG);
      originals.set(src, big);
      await mkdir(join(src, 'zz'), { recursive: true });
      await writeFile(join(src, 'big.bin'), big);
      await fillers(join(src, 'm'));
      await writeFile(join(src, 'zz', 'small.txt'), randomBytes(200_000));
      await writeFile(join(src, 'zz', 'later.bin'), randomBytes(3 * MiB));
    };
    const change = (src: string) => async () => {
      await truncate(join(src, 'big.bin'), 1 * MiB);
      await truncate(join(src, 'zz', 'small.txt'), 10_000);
      await truncate(join(src, 'zz', 'later.bin'), 500_000); // large at the scan, small when read
    };
    const expected = (src: string): Expected[] => [{ kind: 'changed', path: join(src, 'big.bin'), says: /shrank while being read \(\d+ of \d+ bytes\); padded with zeros/ }];

    const trouble: Trouble = { root, prepare, expected, run: (args, src) => pausedRun(args, sb.env, 'write:entry@3', change(src)) };
    const { human, idH, json, j, srcJ } = await humanAndJson(trouble);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = 'yes: the large file (changed: shrank, padded with zeros); the small ones were read after the change, whole and consistent (not reported)';

    const { strict } = await strictRefused(trouble, airgapDir);
    fig.exit += `, ${strict.code} (--strict, nothing written)`;

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';

    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const readBytes = Number(/\((\d+) of/.exec(j.problems[0]!.message)![1]);
    expect(readBytes).toBeGreaterThanOrEqual(1 * MiB); // paused after the first chunk, before the truncation
    for (const copy of [copies.tar, copies.restored]) expectZeroPadded(await readFile(join(copy, 'big.bin')), originals.get(srcJ)!, readBytes);
    const want = await digest(srcJ);
    const got = await digest(copies.restored);
    expect(got['big.bin']!.size).toBe(BIG);
    want['big.bin'] = got['big.bin']!; // checked byte for byte above
    expect(want['zz/small.txt']!.size).toBe(10_000);
    expect(want['zz/later.bin']!.size).toBe(500_000);
    await expectRestored(copies, want);
    fig.restored = `yes: the shrunk file as its first ${readBytes} bytes + zeros to 20 MiB; the rest match the source`;
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('3. files grown during the backup: a large one mid-read is reported and cut at its header size; small ones ahead are stored as read', async () => {
    const t0 = Date.now();
    const fig = row('3-grown', 'paused mid-read of a 12 MiB file and appended 1 MiB; appended to a 100 kB, a 3 MiB and a 500 kB file (past 1 MiB) queued later');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const originals = new Map<string, Entry>();

    const prepare = async (src: string) => {
      await mkdir(join(src, 'zz'), { recursive: true });
      await writeFile(join(src, 'big.bin'), randomBytes(MID));
      originals.set(src, await fileEntry(join(src, 'big.bin')));
      await fillers(join(src, 'm'));
      await writeFile(join(src, 'zz', 'small.txt'), randomBytes(100_000));
      await writeFile(join(src, 'zz', 'later.bin'), randomBytes(3 * MiB));
      await writeFile(join(src, 'zz', 'small-then-big.bin'), randomBytes(500_000));
    };
    const change = (src: string) => async () => {
      await appendFile(join(src, 'big.bin'), randomBytes(MiB));
      await appendFile(join(src, 'zz', 'small-then-big.bin'), randomBytes(MiB)); // small at the scan, large when read
      await appendFile(join(src, 'zz', 'small.txt'), randomBytes(50_000));
      await appendFile(join(src, 'zz', 'later.bin'), randomBytes(MiB));
    };
    const expected = (src: string): Expected[] => [{ kind: 'changed', path: join(src, 'big.bin'), says: new RegExp(`grew while being read; stored its first ${MID} bytes`) }];

    const trouble: Trouble = { root, prepare, expected, run: (args, src) => pausedRun(args, sb.env, 'write:entry@3', change(src)) };
    const { human, idH, json, j, srcJ } = await humanAndJson(trouble);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = 'yes: the large file (changed: grew, cut at 12 MiB); the small ones were read after the change, whole (not reported)';

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';

    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const want = await digest(srcJ);
    want['big.bin'] = originals.get(srcJ)!; // exactly the 12 MiB there were when it was opened, with that mtime
    expect(want['zz/small.txt']!.size).toBe(150_000);
    expect(want['zz/later.bin']!.size).toBe(4 * MiB);
    expect(want['zz/small-then-big.bin']!.size).toBe(500_000 + MiB);
    await expectRestored(copies, want);
    fig.restored = 'yes: the grown file as its first 12 MiB (as opened); the small ones in full as read';
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  // The unprivileged user must be able to run the CLI itself (a checkout inside a 0700 folder,
  // as mktemp makes them, is out of its reach).
  const cliReachable = !UNPRIVILEGED?.length
    || spawnSync(UNPRIVILEGED[0]!, [...UNPRIVILEGED.slice(1), process.execPath, BIN, '--version'], { encoding: 'utf8' }).status === 0;
  const noUser = !UNPRIVILEGED ? 'running as root and neither setpriv nor runuser is available: permission bits do not stop root'
    : !cliReachable ? `running as root, and ${NOBODY} cannot run ${BIN} (a parent folder is not accessible to it)` : undefined;
  if (noUser) console.log(`skipping scenario 4 (unreadable): ${noUser}`);

  it.skipIf(noUser)('4. files and folders unreadable (mode 000), before and during the backup: reported as unreadable', async () => {
    const t0 = Date.now();
    const fig = row('4-unreadable', `as ${IS_ROOT ? `${NOBODY} (${UNPRIVILEGED![0]})` : 'the current user'}: a mode-000 file and folder at scan time; paused and chmod 000 a small and a 2 MiB file queued later`);
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const as = UNPRIVILEGED!;

    const prepare = async (src: string) => {
      await mkdir(join(src, 'locked'), { recursive: true });
      await mkdir(join(src, 'zz'), { recursive: true });
      await writeFile(join(src, 'locked', 'inside.txt'), 'hidden\n');
      await writeFile(join(src, 'secret.txt'), 'secret\n');
      await writeFile(join(src, 'open.txt'), 'readable\n');
      await fillers(join(src, 'm'));
      await writeFile(join(src, 'zz', 'later.txt'), 'soon unreadable\n');
      await writeFile(join(src, 'zz', 'later-big.bin'), randomBytes(2 * MiB));
      await writeFile(join(src, 'zz', 'fine.txt'), 'fine\n');
      if (IS_ROOT) spawnSync('chown', ['-R', NOBODY, root]);
      await chmod(join(src, 'secret.txt'), 0);
      await chmod(join(src, 'locked'), 0);
    };
    const change = (src: string) => async () => {
      await chmod(join(src, 'zz', 'later.txt'), 0);
      await chmod(join(src, 'zz', 'later-big.bin'), 0);
    };
    const expected = (src: string): Expected[] => [
      { kind: 'unreadable', path: join(src, 'locked'), says: /EACCES/ },
      { kind: 'unreadable', path: join(src, 'secret.txt'), says: /EACCES/ },
      { kind: 'unreadable', path: join(src, 'zz', 'later.txt'), says: /EACCES/ },
      { kind: 'unreadable', path: join(src, 'zz', 'later-big.bin'), says: /EACCES/ },
    ];
    // The drive, the state and the config must belong to the user the CLI runs as.
    if (IS_ROOT) spawnSync('chown', ['-R', NOBODY, root]);

    const trouble: Trouble = { root, prepare, expected, run: (args, src) => pausedRun(args, sb.env, 'write:entry@2', change(src), as) };
    const { human, idH, json, j, srcJ } = await humanAndJson(trouble);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = 'yes: 4 unreadable (EACCES), the folder stored empty';

    const { strict } = await strictRefused({ ...trouble, run: (args) => cli(args, sb.env, as) }, airgapDir);
    fig.exit += `, ${strict.code} (--strict, nothing written)`;

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';

    // Restored (as the test's user): everything readable; the locked folder, empty, mode 000.
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const want = await digest(srcJ);
    for (const gone of ['secret.txt', 'locked/inside.txt', 'zz/later.txt', 'zz/later-big.bin']) delete want[gone];
    expect(want['locked']).toEqual({ type: 'dir', mode: 0 });
    await expectRestored(copies, want);
    fig.restored = 'yes: airgap restore and GNU tar match the readable part of the source';
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('5. symlink loops (a→b→a, self, a folder link to its parent): stored as links, never followed, restored as links', async () => {
    const t0 = Date.now();
    const fig = row('5-symlink-loops', 'a→b, b→a, self→self, up→.., d/loop→../d, d/abs→<source folder, absolute>');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const src = join(root, 'src', 'data');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'file.txt'), 'content\n');
    const links: Record<string, string> = { a: 'b', b: 'a', self: 'self', up: '..', 'd/loop': '../d', 'd/abs': src, 'd/chain': '../a' };
    for (const [p, target] of Object.entries(links)) await symlink(target, join(src, p));

    const human = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src], sb.env);
    const idH = expectHuman(human, []);
    const json = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src, '--json'], sb.env);
    const j = await expectJson(json, []);
    expect(j.meta.counts.symlinks).toBe(Object.keys(links).length);
    const strict = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src, '--strict', '--json'], sb.env);
    expect(strict.code, strict.stderr).toBe(0);
    const js = JSON.parse(strict.stdout) as BackupJson;
    fig.exit = `${human.code} (human), ${json.code} (--json), ${strict.code} (--strict: nothing to refuse)`;
    fig.reportedByPath = 'n/a: nothing to report (links are stored, not followed)';

    const manifest = manifestPaths(j.dir);
    for (const [p, target] of Object.entries(links)) expect(manifest.get(`data/${p}`), p).toMatchObject({ type: 'l', link: target });
    expect([...manifest.keys()].filter((p) => p.startsWith('data/up/') || p.startsWith('data/d/loop/') || p.startsWith('data/d/abs/'))).toEqual([]);

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot, js.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    await expectRestored(copies, await digest(src));
    fig.restored = 'yes: the links recreated byte for byte by airgap restore and GNU tar';
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('5b. a folder swapped for a symlink during the backup is not followed: what it points to is never stored', async () => {
    const t0 = Date.now();
    const fig = row('5b-folder-swapped-for-link', 'paused at entry 2; renamed zz/ away and put a symlink zz -> a folder outside the source holding root-only (0600) files of the same names');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const src = join(root, 'src', 'data');
    const outside = join(root, 'outside');
    await mkdir(join(src, 'zz'), { recursive: true });
    await mkdir(outside);
    await fillers(join(src, 'm'));
    await writeFile(join(src, 'zz', 'keep.txt'), 'user data\n');
    await writeFile(join(src, 'zz', 'big.bin'), randomBytes(2 * MiB));
    const secretSmall = Buffer.from('TOP SECRET, not part of the source\n');
    const secretBig = randomBytes(2 * MiB);
    await writeFile(join(outside, 'keep.txt'), secretSmall, { mode: 0o600 });
    await writeFile(join(outside, 'big.bin'), secretBig, { mode: 0o600 });

    const r = await pausedRun(['backup', '--format', '1', '--drive', 'A', '--source', src, '--json'], sb.env, 'write:entry@2', async () => {
      await rename(join(src, 'zz'), join(src, 'zz-moved'));
      await symlink(outside, join(src, 'zz'));
    });
    expect(r.code, clip(r.stderr)).toBe(0);
    const j = JSON.parse(r.stdout) as BackupJson;
    fig.exit = String(r.code);
    const manifest = manifestPaths(j.dir);
    const leaked = [...manifest].filter(([, m]) => m.sha256 === sha256(secretSmall) || m.sha256 === sha256(secretBig)).map(([p]) => p);
    const named = (f: string) => j.problems.some((p) => p.path === join(src, 'zz') || p.path === join(src, 'zz', f));
    fig.reportedByPath = named('keep.txt') && named('big.bin') ? 'yes' : `no: problems ${JSON.stringify(j.problems)}`;
    fig.restored = leaked.length ? `BUG: stored the link target's files as ${leaked.join(', ')}` : 'nothing from outside the source stored';
    await verifyDrive(sb.env, 'A', airgapDir, [j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';
    fig.ms = Date.now() - t0;
    // docs/FORMAT.md: symbolic links are never followed (read-source.ts: "a path swapped for a
    // link ... after the scan is neither followed"). Only the last component is opened with
    // O_NOFOLLOW, so a swapped parent folder is followed.
    expect(leaked, `files from ${outside} (reached through the symlink swapped in for zz/) were stored; problems: ${clip(JSON.stringify(j.problems))}`).toEqual([]);
    expect(named('keep.txt') && named('big.bin'), `zz/keep.txt and zz/big.bin were not stored as they were: they must be reported by path; problems: ${clip(JSON.stringify(j.problems))}`).toBe(true);
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('6. a FIFO, a socket and a device, and files swapped for FIFOs during the backup: skipped and reported, no hang', async () => {
    const t0 = Date.now();
    const fig = row('6-fifo-socket', 'a FIFO, a unix socket (listening), a char device if mknod works; paused and replaced a small and a 2 MiB file by FIFOs');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    let device = IS_ROOT;

    const prepare = async (src: string) => {
      await mkdir(join(src, 'zz'), { recursive: true });
      await writeFile(join(src, 'plain.txt'), 'plain\n');
      mkfifo(join(src, 'fifo'));
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(join(src, 'sock'), resolve));
      if (device) device = spawnSync('mknod', [join(src, 'dev'), 'c', '1', '3']).status === 0; // like /dev/null
      await fillers(join(src, 'm'));
      await writeFile(join(src, 'zz', 'was-file.txt'), 'soon a FIFO\n');
      await writeFile(join(src, 'zz', 'was-big.bin'), randomBytes(2 * MiB));
      await writeFile(join(src, 'zz', 'ok.txt'), 'ok\n');
    };
    const change = (src: string) => async () => {
      for (const f of ['zz/was-file.txt', 'zz/was-big.bin']) {
        await rm(join(src, f));
        mkfifo(join(src, f));
      }
    };
    const expected = (src: string, during: boolean): Expected[] => [
      { kind: 'special', path: join(src, 'fifo'), says: /FIFO/ },
      { kind: 'special', path: join(src, 'sock'), says: /socket/ },
      ...(device ? [{ kind: 'special' as const, path: join(src, 'dev'), says: /device/ }] : []),
      ...(during ? [
        { kind: 'changed' as const, path: join(src, 'zz', 'was-file.txt'), says: /no longer a regular file/ },
        { kind: 'changed' as const, path: join(src, 'zz', 'was-big.bin'), says: /no longer a regular file/ },
      ] : []),
    ];

    const trouble: Trouble = { root, prepare, expected: (src) => expected(src, true), run: (args, src) => pausedRun(args, sb.env, 'write:entry@2', change(src)) };
    const { human, idH, json, j, srcJ } = await humanAndJson(trouble);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = `yes: ${device ? 'FIFO, socket, device' : 'FIFO, socket (mknod refused: no device)'} as special; the files swapped for FIFOs as changed`;
    if (!device) fig.skipped = 'char device: mknod not permitted here';

    // --strict runs without a pause: only the special files there from the start are named.
    const { strict, srcS, before } = await strictRefused({ ...trouble, expected: (src) => expected(src, false), run: (args) => cli(args, sb.env) }, airgapDir);
    const strictJson = await cli(['backup', '--format', '1', '--drive', 'A', '--source', srcS, '--strict', '--json'], sb.env);
    expect(strictJson.code).toBe(4);
    expect(JSON.parse(strictJson.stdout)).toMatchObject({ ok: false, error: { code: 'strict', exitCode: 4 } });
    expect((await readdir(airgapDir)).sort()).toEqual(before);
    fig.exit += `, ${strict.code} (--strict, nothing written)`;

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const want = await digest(srcJ);
    for (const gone of ['fifo', 'sock', 'dev', 'zz/was-file.txt', 'zz/was-big.bin']) delete want[gone];
    await expectRestored(copies, want);
    fig.restored = 'yes: everything but the special files';
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('6b. a special file whose name holds a newline: the human report keeps one line per path', async () => {
    const t0 = Date.now();
    const fig = row('6b-newline-in-reported-name', 'a FIFO named "evil\\n  special    spoof"');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const src = join(root, 'src', 'data');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'plain.txt'), 'plain\n');
    const name = 'evil\n  special    spoof';
    mkfifo(join(src, name));

    const json = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src, '--json'], sb.env);
    const j = await expectJson(json, [{ kind: 'special', path: join(src, name), says: /FIFO/ }]);
    const human = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src], sb.env);
    expect(human.code).toBe(0);
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    const listed = human.stdout.slice(human.stdout.indexOf('not backed up as they were:\n')).split('\n').slice(1).filter((l) => l.startsWith('  '));
    fig.reportedByPath = listed.length === 1 ? 'yes, on one line' : `--json yes; human output: the one path printed raw over ${listed.length} lines (the second one looks like another problem)`;
    await verifyDrive(sb.env, 'A', join(drive, 'airgap'), [j.snapshot, /^Snapshot (\S+) written/m.exec(human.stdout)![1]!]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';
    fig.restored = 'n/a';
    fig.ms = Date.now() - t0;
    // MANIFEST.tsv and FILES.sha256 escape control characters; the report must not let a name
    // forge a second problem line.
    expect(listed, `one problem, one line:\n${human.stdout}`).toHaveLength(1);
    expect(listed[0]).toMatch(/evil.*spoof/);
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('7. long paths: 250-byte names 15 deep are stored (pax); deeper than PATH_MAX is named; a restore where they get too long names them', async () => {
    const t0 = Date.now();
    const fig = row('7-long-paths', '15 levels of 250-byte names (~3.8 kB path); a 20-level chain (> 4096 bytes, made with relative mkdir/cd); restore into a target 400 bytes deep');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const name = (i: number) => `${String(i).padStart(2, '0')}${'n'.repeat(248)}`; // 250 bytes
    // A long source prefix, so that what fits under it also fits under the (shorter) restore targets.
    const srcOf = (tag: string) => join(root, `${tag}-${'p'.repeat(100)}`, 'data');

    let deepMade = true;
    const okRel = ['ok', ...Array.from({ length: 14 }, (_, i) => name(i)), `f${'n'.repeat(249)}`].join('/');
    const deepRel = ['deep', ...Array.from({ length: 20 }, (_, i) => name(i)), 'file.txt'].join('/');
    const prepare = async (src: string) => {
      await mkdir(join(src, 'ok', ...okRel.split('/').slice(1, -1)), { recursive: true });
      await writeFile(join(src, okRel), 'deep and long\n');
      await writeFile(join(src, 'short.txt'), 'short\n');
      await mkdir(join(src, 'deep'));
      const made = spawnSync('bash', ['-c', 'cd "$1" || exit 1; shift; for d in "$@"; do mkdir "$d" && cd "$d" || exit 1; done; printf "too deep\\n" > file.txt',
        'bash', join(src, 'deep'), ...Array.from({ length: 20 }, (_, i) => name(i))], { encoding: 'utf8' });
      if (made.status !== 0) {
        deepMade = false;
        console.log(`scenario 7: could not make a path > 4096 bytes with relative mkdir/cd: ${made.stderr}`);
      }
    };
    expect(Buffer.byteLength(join(srcOf('h'), okRel))).toBeLessThan(4096);
    expect(Buffer.byteLength(join(srcOf('h'), deepRel))).toBeGreaterThan(4096);

    const srcH = srcOf('h');
    await prepare(srcH);
    const human = await cli(['backup', '--format', '1', '--drive', 'A', '--source', srcH], sb.env);
    const srcJ = srcOf('j');
    await prepare(srcJ);
    const json = await cli(['backup', '--format', '1', '--drive', 'A', '--source', srcJ, '--json'], sb.env);
    expect(json.code, json.stderr).toBe(0);
    const j0 = JSON.parse(json.stdout) as BackupJson;
    const manifest = manifestPaths(j0.dir);
    expect(manifest.get(`data/${okRel}`), 'the 3.8 kB path is stored').toMatchObject({ type: 'f', size: 14 });

    // Deeper than PATH_MAX from the source: either stored (pax) or named by the deepest folder
    // that could still be reached; never silently lost.
    const deepStored = manifest.has(`data/${deepRel}`);
    const expected = (src: string, problems: Problem[]): Expected[] => {
      if (!deepMade || deepStored) return [];
      const p = problems.find((x) => x.path.startsWith(join(src, 'deep') + '/'));
      expect(p, `the too-deep path is reported: ${clip(JSON.stringify(problems))}`).toBeDefined();
      expect(join(src, deepRel).startsWith(p!.path + '/'), 'the reported path is a folder on the way to the too-deep file').toBe(true);
      expect(Buffer.byteLength(p!.path)).toBeGreaterThanOrEqual(4096);
      return [{ kind: 'unreadable', path: p!.path, says: /ENAMETOOLONG/ }];
    };
    const j = await expectJson(json, expected(srcJ, j0.problems));
    const humanPath = /^ {2}unreadable (\/.*?): /m.exec(human.stdout)?.[1];
    const idH = expectHuman(human, expected(srcH, humanPath ? [{ path: humanPath, kind: 'unreadable', message: '' }] : []));
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = !deepMade ? 'n/a (no path > 4096 bytes could be made)'
      : deepStored ? 'n/a: the > 4096-byte path was stored'
      : 'yes: the > 4096-byte path named by its first folder past PATH_MAX (unreadable: ENAMETOOLONG), not stored';
    if (!deepMade) fig.skipped = 'path > 4096 bytes: relative mkdir/cd failed';

    if (deepMade && !deepStored) {
      const srcS = srcOf('s');
      await prepare(srcS);
      const before = (await readdir(airgapDir)).sort();
      const strict = await cli(['backup', '--format', '1', '--drive', 'A', '--source', srcS, '--strict'], sb.env);
      expect(strict.code, strict.stderr).toBe(4);
      expect(strict.stderr).toMatch(/^error: --strict: 1 path cannot be stored/m);
      expect(strict.stderr).toContain(join(srcS, 'deep') + '/');
      expect((await readdir(airgapDir)).sort()).toEqual(before);
      fig.exit += `, ${strict.code} (--strict, nothing written)`;
    }

    await verifyDrive(sb.env, 'A', airgapDir, [idH, j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';

    // Into a short target: everything stored comes back (pax paths), with airgap and GNU tar.
    const work = await mkdtemp(join(root, 'x'));
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, work, 'data');
    for (const copy of [copies.tar, copies.restored]) {
      expect(await digest(join(copy, 'ok'))).toEqual(await digest(join(srcJ, 'ok')));
      expect(await readFile(join(copy, 'short.txt'), 'utf8')).toBe('short\n');
    }

    // Into a target 400 bytes deeper: the long path no longer fits. airgap names it, restores
    // the rest, exits 3, and leaves no staging folder.
    const longTarget = join(root, 'L'.repeat(200), 'L'.repeat(200));
    const r = await cli(['restore', 'A', '--snapshot', j.snapshot, '--to', longTarget, '--json'], sb.env);
    expect(r.code, clip(r.stdout + r.stderr)).toBe(3);
    const rj = JSON.parse(r.stdout) as { ok: boolean; report: { refused: { path: string; reason: string }[] } };
    expect(rj.ok).toBe(false);
    const okFile = `data/${okRel}`;
    expect(rj.report.refused.some((x) => x.path === okFile || okFile.startsWith(x.path + '/')), `the long path is named: ${clip(JSON.stringify(rj.report.refused))}`).toBe(true);
    for (const x of rj.report.refused) expect(x.reason).toMatch(/ENAMETOOLONG|too long/);
    expect(await readFile(join(longTarget, 'data', 'short.txt'), 'utf8')).toBe('short\n');
    expect((await readdir(longTarget)).filter((n) => n.startsWith('.airgap-restore-'))).toEqual([]);
    const longHuman = join(root, 'L'.repeat(200), 'M'.repeat(200));
    const rh = await cli(['restore', 'A', '--snapshot', j.snapshot, '--to', longHuman], sb.env);
    expect(rh.code).toBe(3);
    for (const x of rj.report.refused) expect(rh.stdout + rh.stderr).toContain(x.path);
    fig.restored = `yes into a short target (airgap and GNU tar); into a 400-byte-deeper target: exit 3, ${rj.report.refused.length} path(s) named as too long, the rest restored`;
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation

  it('8. names invalid on FAT/exFAT (":", "?", CON, trailing dot/space, control characters, …) live in the tar and come back; non-UTF-8 names are named and skipped', async () => {
    const t0 = Date.now();
    const fig = row('8-fat-names', 'names invalid on FAT/exFAT, plus two non-UTF-8 names (a file and a folder), backed up onto a drive');
    const { sb, root } = await sandbox();

    // The drive: a real exFAT filesystem on a loop device when possible, else a folder.
    let exfat: string | undefined;
    const why = !IS_ROOT ? 'not root'
      : ['losetup', 'mkfs.exfat', 'mount.exfat-fuse', 'truncate'].find((t) => !has(t))?.concat(' missing')
      ?? (existsSync('/dev/fuse') ? undefined : '/dev/fuse missing');
    const mnt = sb.drive('X');
    await mkdir(mnt, { recursive: true });
    if (!why) {
      const img = join(root, 'exfat.img');
      const steps: [string, string[]][] = [['truncate', ['-s', '64M', img]], ['mkfs.exfat', ['-L', 'AGFAT', img]]];
      let failed: string | undefined;
      for (const [cmd, args] of steps) {
        const s = spawnSync(cmd, args, { encoding: 'utf8' });
        if (s.status !== 0) failed ??= `${cmd}: ${s.stderr || s.error?.message}`;
      }
      if (!failed) {
        const loop = spawnSync('losetup', ['-f', '--show', img], { encoding: 'utf8' });
        if (loop.status === 0) {
          loops.push(loop.stdout.trim());
          const m = spawnSync('mount.exfat-fuse', [loop.stdout.trim(), mnt], { encoding: 'utf8' });
          if (m.status === 0) {
            mounts.push(mnt);
            exfat = loop.stdout.trim();
          } else failed = `mount.exfat-fuse: ${m.stderr}`;
        } else failed = `losetup: ${loop.stderr}`;
      }
      if (failed) console.log(`scenario 8: no exFAT loop drive (${failed}); using a folder drive`);
    } else console.log(`scenario 8: no exFAT loop drive (${why}); using a folder drive`);
    if (!exfat) fig.skipped = `real exFAT drive: ${why ?? 'setup failed'}; a folder drive was used`;
    fig.did += exfat ? ' (a real exFAT loop image via FUSE)' : ' (a folder drive)';
    if (exfat) {
      // The names really are invalid there: the drive refuses them as file names.
      expect(await writeFile(join(mnt, 'a:b'), 'x').then(() => 'accepted', (e: NodeJS.ErrnoException) => e.code)).not.toBe('accepted');
    }
    await labelledDrive(sb, 'X');
    const airgapDir = join(mnt, 'airgap');

    const names = ['a:b', 'what?', 'CON', 'aux.txt', 'lpt9.log', 'trailing.', 'trailing ', ' leading', '"<>|*', 'back\\slash', 'ctl\x01char', 'del\x7f', 'new\nline', 'tab\there', 'ünïcødé €'];
    const prepare = async (src: string) => {
      await mkdir(join(src, 'NUL'), { recursive: true });
      for (const n of names) await writeFile(join(src, n), `content of ${JSON.stringify(n)}\n`);
      await writeFile(join(src, 'NUL', 'COM1.txt'), 'reserved in a reserved folder\n');
      await symlink('a:b', join(src, 'link?'));
      const b = (s: string) => Buffer.from(s);
      await writeFile(Buffer.concat([b(src + '/bad-'), Buffer.from([0xff]), b('.txt')]), 'latin-1 name\n');
      await mkdir(Buffer.concat([b(src + '/bad-'), Buffer.from([0xfe]), b('-dir')]));
      await writeFile(Buffer.concat([b(src + '/bad-'), Buffer.from([0xfe]), b('-dir/inside.txt')]), 'inside\n');
    };
    // docs/FORMAT.md: names that are not valid UTF-8 are skipped and reported at backup time.
    const expected = (src: string): Expected[] => [
      { kind: 'bad-name', path: join(src, 'bad-\uFFFD.txt'), says: /not valid UTF-8/ },
      { kind: 'bad-name', path: join(src, 'bad-\uFFFD-dir'), says: /not valid UTF-8/ },
    ];

    const { human, idH, json, j, srcJ } = await humanAndJson({ root, prepare, expected, drive: 'X', run: (args) => cli(args, sb.env) });
    expect(j.dir).toBe(join(airgapDir, j.snapshot));
    fig.exit = `${human.code} (human), ${json.code} (--json)`;
    fig.reportedByPath = 'yes: the 2 non-UTF-8 names as bad-name (printed with U+FFFD); the FAT-invalid names need no report';

    const manifest = manifestPaths(j.dir);
    for (const n of [...names, 'NUL/COM1.txt']) expect(manifest.get(`data/${n}`)?.type, JSON.stringify(n)).toBe('f');
    expect([...manifest.keys()].filter((p) => p.includes('bad-'))).toEqual([]);

    const before = (await readdir(airgapDir)).sort();
    const strict = await cli(['backup', '--format', '1', '--drive', 'X', '--source', srcJ, '--strict'], sb.env);
    await expectStrictRefusal(strict, airgapDir, before, expected(srcJ));
    fig.exit += `, ${strict.code} (--strict, nothing written)`;

    await verifyDrive(sb.env, 'X', airgapDir, [idH, j.snapshot]);
    fig.verified = `yes (verify --deep, sha256sum -c${exfat ? ', on exFAT' : ''})`;

    // Restored off the drive onto the local filesystem, where those names are fine.
    const copies = await extractBoth(sb.env, 'X', j.dir, j.snapshot, root, 'data');
    const want = await digest(srcJ);
    for (const k of Object.keys(want)) if (k.startsWith('bad-\uFFFD')) delete want[k];
    expect(Object.keys(want)).toHaveLength(names.length + 3);
    await expectRestored(copies, want);
    fig.restored = `yes: every FAT-invalid name back byte for byte on ${spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', root], { encoding: 'utf8' }).stdout.trim() || 'the local filesystem'} (airgap restore and GNU tar)`;

    if (exfat) {
      spawnSync('umount', [mnt]);
      mounts = mounts.filter((m) => m !== mnt);
      spawnSync('losetup', ['-d', exfat]);
      loops = loops.filter((l) => l !== exfat);
    }
    fig.ms = Date.now() - t0;
  }, 600_000); // a cap for a loaded machine, not an expectation
  it('8b. a symlink whose target is not valid UTF-8: stored verbatim or named, never silently altered', async () => {
    const t0 = Date.now();
    const fig = row('8b-non-utf8-link-target', 'a symlink whose target holds the byte 0xff');
    const { sb, root } = await sandbox();
    const drive = await labelledDrive(sb, 'A');
    const airgapDir = join(drive, 'airgap');
    const src = join(root, 'src', 'data');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'plain.txt'), 'plain\n');
    const target = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff]), Buffer.from('-target')]);
    await symlink(target, join(src, 'badlink'));

    const r = await cli(['backup', '--format', '1', '--drive', 'A', '--source', src, '--json'], sb.env);
    expect(r.code, clip(r.stderr)).toBe(0);
    const j = JSON.parse(r.stdout) as BackupJson;
    fig.exit = String(r.code);
    await verifyDrive(sb.env, 'A', airgapDir, [j.snapshot]);
    fig.verified = 'yes (verify --deep, sha256sum -c)';
    const copies = await extractBoth(sb.env, 'A', j.dir, j.snapshot, root, 'data');
    const reported = j.problems.some((p) => p.path === join(src, 'badlink') && p.kind === 'bad-name');
    const restored = await readlink(join(copies.tar, 'badlink'), { encoding: 'buffer' }).catch(() => undefined);
    fig.reportedByPath = reported ? 'yes (bad-name)' : `no: problems ${JSON.stringify(j.problems)}`;
    fig.restored = restored === undefined ? 'not stored' : restored.equals(target) ? 'stored verbatim' : `BUG: stored as ${JSON.stringify(restored.toString('utf8'))} (was bad-\\xff-target), not reported`;
    fig.ms = Date.now() - t0;
    // docs/FORMAT.md: symlink targets are stored verbatim; paths are UTF-8 and names that are
    // not are skipped and reported. Either outcome is fine; a silently changed target is not.
    if (reported) expect(manifestPaths(j.dir).has('data/badlink')).toBe(false);
    else expect(restored?.toString('hex'), `the link target was changed without a report (problems: ${JSON.stringify(j.problems)})`).toBe(target.toString('hex'));
  }, 600_000); // a cap for a loaded machine, not an expectation
});
