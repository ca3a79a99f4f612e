// Concurrency faults, through the built CLI: two (or more) airgap processes on the same drive or
// the same catalog. The promise (src/drives/lock.ts, docs/FORMAT.md `airgap/.lock`): one writer
// per drive — every other process refuses (exit 4) naming the holder's pid; writes never
// interleave; a stale lock (holder dead, or from another host and not refreshed for 2 minutes,
// or empty/garbage and old) is taken over by exactly one process; and two backups to two drives
// at the same time both end up in the host's catalog (no lost update).
//
// Determinism: the holder is frozen right after it took the lock (AIRGAP_FAILPOINT=backup:locked,
// AIRGAP_FAILPOINT_ACTION=stop → SIGSTOP), so "who holds the lock" is read off /proc/<pid>/stat
// (state T) instead of guessed from timing. Racers of the takeover tests run pinned to one CPU
// (taskset), so that they reach the lock together and get preempted mid-takeover. Rounds are
// seeded (AIRGAP_TEST_SEED: pinning of test 1, start jitter); the figures go to
// fault-results/concurrency.json.
//
// Every round records what it saw and the assertions come at the end of each test, so that a
// failing round does not hide the figures of the others.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, runCli, type CliResult, type Sandbox } from '../helpers/cli.js';
import { procState } from '../helpers/proc.js';
import { recordFigures } from '../helpers/figures.js';
import { makeTree } from '../helpers/tree.js';
import { mulberry32 as prng } from '../helpers/prng.js';
import { DRIVE_README, IDENTITY_FILE, VERIFY_PAGE } from '../../src/layout/format.js';

const K = 4; // processes started at once per round
const LOCK_ROUNDS = 10; // test 1 and test 2
const FOREIGN_RACE_ROUNDS = 3; // test 3, racing takeover of an old foreign lock
const GARBAGE_RACE_ROUNDS = 3; // test 6, racing takeover of an old garbage lock
const CATALOG_ROUNDS = 6; // test 5: half free-running, half aligned at write:done
const SEED = Number(process.env.AIRGAP_TEST_SEED ?? 20261122);
const OTHER_HOST = 'airgap-test-otherhost';
const OLD_MS = 3 * 60_000; // older than every staleness threshold of lock.ts (5 s, 2 min)
// Per-test time limit of the long tests (rounds of spawned CLIs; slower on a loaded machine).
const RACE_TIMEOUT = 900_000; // a cap for a loaded machine, not an expectation

const isSnapshotName = (n: string) => /^\d{4}-\d{2}-\d{2}T\d{6}Z/.test(n);
const show = (r: { code: number | null; stdout: string; stderr: string }) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const showProc = (p: { pid: number; exit?: { code: number | null; signal: string | null }; stdout: string; stderr: string }) =>
  `pid ${p.pid}, ${p.exit ? `exit ${p.exit.code} (${p.exit.signal ?? 'no signal'})` : 'still running or stopped'}\n--- stdout\n${p.stdout}\n--- stderr\n${p.stderr}`;
const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


// ---------------------------------------------------------------------------------------------
// Processes

interface Proc {
  child: ChildProcess;
  pid: number;
  args: string[];
  stdout: string;
  stderr: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Every process this file started and that has not ended: continued and killed after each test. */
const live = new Set<Proc>();

/**
 * One CPU to pin racing processes to (taskset), or undefined when taskset is missing. Time-sliced
 * on one core, the racers reach the lock within a few milliseconds of each other and get
 * preempted between their steps, which is what opens a takeover race; spread over the cores
 * they arrive tens of milliseconds apart and the race is rarely hit.
 */
const PIN_CPU: string | undefined = (() => {
  try {
    const allowed = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
    execFileSync('taskset', ['-c', allowed, 'true'], { stdio: 'ignore' });
    return allowed;
  } catch {
    return undefined;
  }
})();

function start(sb: Sandbox, args: string[], env: Record<string, string> = {}, opts: { pin?: boolean } = {}): Proc {
  // taskset execs node in place: the pid is the airgap process's.
  const [cmd, pre] = opts.pin && PIN_CPU !== undefined ? ['taskset', ['-c', PIN_CPU, process.execPath]] : [process.execPath, []];
  const child = spawn(cmd, [...pre, BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...sb.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, pid: child.pid!, args, stdout: '', stderr: '', done: undefined as never };
  child.stdout!.on('data', (d) => (p.stdout += d));
  child.stderr!.on('data', (d) => (p.stderr += d));
  p.done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      p.exit = { code, signal };
      live.delete(p);
      resolve({ code, signal, stdout: p.stdout, stderr: p.stderr });
    });
  });
  live.add(p);
  return p;
}

const STOP_AT = (name: string) => ({ AIRGAP_FAILPOINT: name, AIRGAP_FAILPOINT_ACTION: 'stop' });

const isStopped = (p: Proc) => !p.exit && (procState(p.pid) === 'T' || procState(p.pid) === 't');

/**
 * Waits until every process has either ended (and its output is read) or is stopped (SIGSTOP by
 * its failpoint). A process still running after `timeoutMs` is reported as `stuck`.
 */
async function settle(procs: Proc[], timeoutMs = 120_000): Promise<{ stopped: Proc[]; exited: Proc[]; stuck: Proc[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stopped = procs.filter(isStopped);
    const exited = procs.filter((p) => p.exit);
    const stuck = procs.filter((p) => !p.exit && !stopped.includes(p));
    if (stuck.length === 0 || Date.now() > deadline) return { stopped, exited, stuck };
    await sleep(5);
  }
}

function cont(p: Proc): void {
  try {
    process.kill(p.pid, 'SIGCONT');
  } catch {
    /* already gone */
  }
}

/** Never leaves a stopped airgap behind (only the processes this file started). */
async function killLeftovers(): Promise<void> {
  for (const p of [...live]) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    cont(p);
  }
  await Promise.all([...live].map((p) => p.done.catch(() => undefined)));
}

/** The pid of a process that has ended (and been reaped): a dead holder on this host. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  const pid = child.pid!;
  await new Promise<void>((r) => child.on('exit', () => r()));
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    alive = (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  if (alive) throw new Error(`pid ${pid} of an ended process is still in use`);
  return pid;
}

// ---------------------------------------------------------------------------------------------
// The drive

const lockPath = (drive: string) => join(drive, 'airgap', '.lock');
/** The shape src/drives/lock.ts writes. */
const lockJson = (pid: number, host: string, startedAt = new Date()) =>
  JSON.stringify({ pid, host, startedAt: startedAt.toISOString(), command: 'backup' }) + '\n';
async function setAge(path: string, ms: number): Promise<void> {
  const t = new Date(Date.now() - ms);
  await utimes(path, t, t);
}
const airgapEntries = (drive: string) => readdir(join(drive, 'airgap'));
const snapshotsOn = async (drive: string) => (await airgapEntries(drive)).filter(isSnapshotName).sort();
/** Anything but snapshots, drive.json and README.txt: locks, stale locks, partials, pruning leftovers. */
/** What is left beside the snapshots and airgap's own files (the identity, README.txt, verify.html): locks, unfinished folders. */
const OWN_FILES: string[] = [IDENTITY_FILE, DRIVE_README, VERIFY_PAGE];
const debris = async (drive: string) => (await airgapEntries(drive)).filter((n) => !isSnapshotName(n) && !OWN_FILES.includes(n)).sort();
async function lockHolderPid(drive: string): Promise<number | string | undefined> {
  try {
    const text = await readFile(lockPath(drive), 'utf8');
    try {
      return (JSON.parse(text) as { pid: number }).pid;
    } catch {
      return `unparsable: ${JSON.stringify(text)}`;
    }
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Figures, recorded once for the whole file

const figures: Record<string, unknown> = { seed: SEED, k: K, pinCpu: PIN_CPU ?? 'taskset missing: not pinned' };
const t0 = Date.now();
afterAll(() => {
  figures.runtimeSeconds = Math.round((Date.now() - t0) / 100) / 10;
  recordFigures('concurrency', figures);
});

let sb: Sandbox;
let src: string;
beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'docs');
  await makeTree(src, { 'a.txt': 'hello\n', sub: { dir: { 'b.txt': 'world\n', 'c.bin': Buffer.alloc(70_000, 7) } } });
});
afterEach(async () => {
  await killLeftovers(); // first, so that nothing writes into the sandbox while it is removed
  await sb.cleanup();
});

// ---------------------------------------------------------------------------------------------
// K backups racing for one drive's lock (tests 1, 2, and the racing parts of 3 and 6)

interface RaceStats {
  rounds: number;
  /** Rounds whose racers ran pinned to one CPU. */
  pinnedRounds: number;
  holdersPerRound: Record<string, number>;
  refusals: number;
  refusalsNamingHolderPid: number;
  /** Refusal messages that did not name the holder, by kind. */
  refusalsOther: Record<string, number>;
  takeovers: number;
  anomalies: string[];
}
const newStats = (): RaceStats => ({ rounds: 0, pinnedRounds: 0, holdersPerRound: {}, refusals: 0, refusalsNamingHolderPid: 0, refusalsOther: {}, takeovers: 0, anomalies: [] });

function refusalKind(stderr: string): string {
  const e = errorLine(stderr);
  if (/a lock is being written/.test(e)) return 'lock-being-written (no pid)';
  if (/could not lock drive/.test(e)) return 'could-not-lock (gave up)';
  if (/pid \d+/.test(e)) return 'names another pid';
  return e ? e.slice(7, 60) : 'no error line';
}

/**
 * One round: `plant` prepares the drive (or not), K backups start at once (seeded jitter), each
 * stops right after taking the lock. Exactly one may be stopped; the others must have exited 4
 * naming its pid; continued, it writes a snapshot that verifies; nothing is left behind.
 */
async function raceRound(round: number, rand: () => number, stats: RaceStats, drive: string, pin: 'always' | 'mixed', plant?: () => Promise<string>): Promise<void> {
  const pinned = PIN_CPU !== undefined && (pin === 'always' || rand() < 0.5);
  const tag = `round ${round} (seed ${SEED}${pinned ? `, pinned to CPU ${PIN_CPU}` : ''})`;
  const before = await snapshotsOn(drive);
  const planted = plant ? await plant() : undefined;
  // Start jitter: none, or a few milliseconds each (seeded).
  const jitter = rand() < 0.5 ? Array.from({ length: K }, () => 0) : Array.from({ length: K }, () => Math.floor(rand() * (pinned ? 4 : 25)));
  const procs: Proc[] = [];
  await Promise.all(jitter.map(async (ms) => {
    if (ms) await sleep(ms);
    procs.push(start(sb, ['backup', '--drive', 'A', '--source', src, '--no-prune', '--json'], STOP_AT('backup:locked'), { pin: pinned }));
  }));
  const { stopped, exited, stuck } = await settle(procs);
  stats.rounds++;
  if (pinned) stats.pinnedRounds++;
  stats.holdersPerRound[stopped.length] = (stats.holdersPerRound[stopped.length] ?? 0) + 1;
  const where = `${tag}, jitter ${JSON.stringify(jitter)}`;
  if (stuck.length) stats.anomalies.push(`${where}: ${stuck.length} process(es) neither ended nor stopped: pids ${stuck.map((p) => p.pid).join(', ')}`);
  if (stopped.length !== 1) {
    stats.anomalies.push(`${where}: ${stopped.length} holders (stopped after taking the lock): pids ${stopped.map((p) => p.pid).join(', ')}; exits ${exited.map((p) => `${p.pid}:${p.exit?.code}`).join(', ')}`
      + exited.map((p) => `\n    [${p.pid}] ${errorLine(p.stderr)}`).join(''));
  }
  const holder = stopped.length === 1 ? stopped[0]! : undefined;
  const onDisk = await lockHolderPid(drive);
  if (holder && onDisk !== holder.pid) stats.anomalies.push(`${where}: airgap/.lock names ${onDisk} while ${holder.pid} holds the lock`);
  if (holder && planted) {
    const leftovers = (await airgapEntries(drive)).filter((n) => n.startsWith('.lock') && n !== '.lock');
    if (leftovers.length) stats.anomalies.push(`${where}: the stale lock was moved aside but left: ${leftovers.join(', ')}`);
    if (onDisk === holder.pid) stats.takeovers++;
  }
  for (const p of exited) {
    stats.refusals++;
    if (p.exit?.code !== 4) stats.anomalies.push(`${where}: pid ${p.pid} exited ${p.exit?.code} (${p.exit?.signal ?? 'no signal'}), not 4:\n${show({ code: p.exit?.code ?? null, stdout: p.stdout, stderr: p.stderr })}`);
    if (/\n\s+at /.test(p.stderr) || /internal error/.test(p.stderr)) stats.anomalies.push(`${where}: pid ${p.pid} printed a stack trace:\n${p.stderr}`);
    const names = stopped.some((h) => new RegExp(`\\bpid ${h.pid}\\b`).test(errorLine(p.stderr)));
    if (names && stopped.length === 1) stats.refusalsNamingHolderPid++;
    else {
      const kind = refusalKind(p.stderr);
      stats.refusalsOther[kind] = (stats.refusalsOther[kind] ?? 0) + 1;
      stats.anomalies.push(`${where}: pid ${p.pid} refused without naming the holder ${holder ? holder.pid : `(${stopped.length} holders)`}: ${errorLine(p.stderr)}`);
    }
  }
  // Let the holder(s) finish: exit 0 and a snapshot that verifies.
  for (const h of stopped) cont(h);
  for (const p of stuck) cont(p);
  const results = await Promise.all(stopped.map((h) => h.done));
  await Promise.all(stuck.map((p) => p.done));
  const written: string[] = [];
  for (const [i, r] of results.entries()) {
    if (r.code !== 0) {
      stats.anomalies.push(`${where}: holder ${stopped[i]!.pid} exited ${r.code} after SIGCONT:\n${show(r)}`);
      continue;
    }
    written.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  const after = await snapshotsOn(drive);
  const added = after.filter((n) => !before.includes(n));
  if (added.length !== written.length || !written.every((id) => added.includes(id))) {
    stats.anomalies.push(`${where}: the holders reported ${JSON.stringify(written)}, the drive gained ${JSON.stringify(added)}`);
  }
  if (before.some((n) => !after.includes(n))) stats.anomalies.push(`${where}: snapshots disappeared: ${before.filter((n) => !after.includes(n)).join(', ')}`);
  const left = await debris(drive);
  if (left.length) stats.anomalies.push(`${where}: left on the drive: ${left.join(', ')}`);
  // Whatever happened, start the next round from a clean drive.
  for (const n of left) if (n.startsWith('.lock')) await rm(join(drive, 'airgap', n), { force: true });
}

function summary(stats: RaceStats) {
  const { anomalies, ...rest } = stats;
  return { ...rest, anomalies: anomalies.length };
}

/** After the rounds: every snapshot the holders wrote verifies; the figures are recorded. */
async function finishRace(key: string, label: string, stats: RaceStats): Promise<void> {
  const v = await sb.run('verify', 'A');
  if (v.code !== 0) stats.anomalies.push(`verify A after the rounds:\n${show(v)}`);
  figures[key] = summary(stats);
  console.log(`[concurrency] ${label}: ${JSON.stringify(summary(stats))}`);
}

describe('one writer per drive', () => {
  it(`mutual exclusion: ${K} backups at once, ${LOCK_ROUNDS} rounds → exactly one holder, the others exit 4 naming its pid`, async () => {
    const drive = await labelledDrive(sb, 'A');
    const rand = prng(SEED);
    const stats = newStats();
    for (let round = 1; round <= LOCK_ROUNDS; round++) await raceRound(round, rand, stats, drive, 'mixed');
    await finishRace('mutualExclusion', 'mutual exclusion', stats);
    expect(stats.anomalies, stats.anomalies.join('\n')).toEqual([]);
    expect(stats.holdersPerRound).toEqual({ 1: LOCK_ROUNDS });
    expect(await snapshotsOn(drive)).toHaveLength(LOCK_ROUNDS);
  }, RACE_TIMEOUT);

  it(`stale lock of a dead process on this host: ${K} takers at once, ${LOCK_ROUNDS} rounds → exactly one takes it over`, async () => {
    const drive = await labelledDrive(sb, 'A');
    const rand = prng(SEED + 1);
    const stats = newStats();
    const deadPids: number[] = [];
    for (let round = 1; round <= LOCK_ROUNDS; round++) {
      await raceRound(round, rand, stats, drive, 'always', async () => {
        const pid = await deadPid();
        deadPids.push(pid);
        await writeFile(lockPath(drive), lockJson(pid, hostname(), new Date(Date.now() - 1000)));
        return String(pid);
      });
    }
    await finishRace('staleDeadPid', 'stale (dead pid) takeover', stats);
    expect(stats.anomalies, stats.anomalies.join('\n')).toEqual([]);
    expect(stats.holdersPerRound).toEqual({ 1: LOCK_ROUNDS });
    expect(stats.takeovers).toBe(LOCK_ROUNDS);
  }, RACE_TIMEOUT);
});

describe('a lock from another host', () => {
  it('fresh → refused naming host and pid; 30 s old → still refused; older than 2 minutes → taken over', async () => {
    const drive = await labelledDrive(sb, 'A');
    const foreignPid = 424242;
    const text = lockJson(foreignPid, OTHER_HOST);
    await writeFile(lockPath(drive), text);

    const fresh = await sb.run('backup', '--drive', 'A', '--source', src);
    expect(fresh.code, show(fresh)).toBe(4);
    expect(errorLine(fresh.stderr), show(fresh)).toContain(OTHER_HOST);
    expect(errorLine(fresh.stderr), show(fresh)).toMatch(new RegExp(`\\bpid ${foreignPid}\\b`));
    expect(fresh.stderr).toMatch(/^hint: \S/m);
    expect(await readFile(lockPath(drive), 'utf8')).toBe(text);
    expect(await snapshotsOn(drive)).toEqual([]);

    // Not refreshed for 30 s (three refreshes missed): below the 2-minute limit, with 90 s to spare
    // for the CLI to start and look on a loaded machine (100 s left only 20 s, and failed there).
    await setAge(lockPath(drive), 30_000);
    const recent = await sb.run('backup', '--drive', 'A', '--source', src);
    expect(recent.code, show(recent)).toBe(4);
    expect(errorLine(recent.stderr)).toContain(OTHER_HOST);
    expect(await readFile(lockPath(drive), 'utf8')).toBe(text);
    expect(await debris(drive)).toEqual(['.lock']);

    await setAge(lockPath(drive), OLD_MS);
    const old = await sb.run('backup', '--drive', 'A', '--source', src, '--json');
    expect(old.code, show(old)).toBe(0);
    expect(await debris(drive)).toEqual([]);
    const id = (JSON.parse(old.stdout) as { snapshot: string }).snapshot;
    expect((await sb.run('verify', 'A', '--snapshot', id)).code).toBe(0);
    figures.foreignHost = { freshRefusedNamingHostAndPid: true, refusedAt30s: true, takenOverAfter2min: true };
  }, RACE_TIMEOUT);

  it(`an old foreign lock with ${K} takers at once, ${FOREIGN_RACE_ROUNDS} rounds → exactly one takes it over, the others name it`, async () => {
    const drive = await labelledDrive(sb, 'A');
    const rand = prng(SEED + 3);
    const stats = newStats();
    for (let round = 1; round <= FOREIGN_RACE_ROUNDS; round++) {
      await raceRound(round, rand, stats, drive, 'always', async () => {
        await writeFile(lockPath(drive), lockJson(424242, OTHER_HOST, new Date(Date.now() - OLD_MS)));
        await setAge(lockPath(drive), OLD_MS);
        return 'foreign';
      });
    }
    await finishRace('staleForeignRace', 'stale (foreign, old) takeover race', stats);
    expect(stats.anomalies, stats.anomalies.join('\n')).toEqual([]);
    expect(stats.holdersPerRound).toEqual({ 1: FOREIGN_RACE_ROUNDS });
  }, RACE_TIMEOUT);
});

describe('an empty or garbage lock (cut short while written)', () => {
  const variants: [string, string | Buffer][] = [
    ['empty', ''],
    ['half-written JSON', '{"pid": 12'],
    ['zeros', Buffer.alloc(64)],
    ['not JSON', 'not a lock at all\n'],
    ['JSON without a pid', JSON.stringify({ host: hostname(), startedAt: new Date().toISOString() }) + '\n'],
  ];

  it('young → waited out: taken over once no one completes it, refused when its maker names itself meanwhile; old → taken over at once', async () => {
    const drive = await labelledDrive(sb, 'A');
    const seen: Record<string, string> = {};
    for (const [name, content] of variants) {
      // Young and never completed: its maker was killed while writing it. The next run waits it
      // out (io/stale-lock.ts) rather than refuse: a run right after a killed one must succeed.
      await writeFile(lockPath(drive), content);
      const before = await snapshotsOn(drive);
      const young = await sb.run('backup', '--drive', 'A', '--source', src, '--json');
      expect(young.code, `${name}: ${show(young)}`).toBe(0);
      expect(await debris(drive), name).toEqual([]);
      expect((await snapshotsOn(drive)).length, name).toBe(before.length + 1);

      // Young, and its maker (alive: this process) names itself while the run waits, or before:
      // refused either way, naming it, and the lock left alone.
      await writeFile(lockPath(drive), content);
      const waiting = sb.run('backup', '--drive', 'A', '--source', src);
      const holder = lockJson(process.pid, hostname(), new Date());
      await writeFile(lockPath(drive), holder);
      const refused = await waiting;
      expect(refused.code, `${name}: ${show(refused)}`).toBe(4);
      expect(refused.stderr, name).toMatch(new RegExp(`^error: drive A is in use by airgap \\(pid ${process.pid} `, 'm'));
      expect(refused.stderr, name).toMatch(/^hint: \S.*$/m);
      expect(refused.stderr, name).not.toMatch(/\n\s+at |internal error/);
      expect(await readFile(lockPath(drive), 'utf8'), `${name}: the lock was changed`).toBe(holder);

      await writeFile(lockPath(drive), content);
      await setAge(lockPath(drive), OLD_MS);
      const old = await sb.run('backup', '--drive', 'A', '--source', src, '--json');
      expect(old.code, `${name}: ${show(old)}`).toBe(0);
      expect(await debris(drive), name).toEqual([]);
      seen[name] = 'young waited out and taken over, young named refused, old taken over';
    }
    expect((await sb.run('verify', 'A')).code).toBe(0);
    figures.garbageLock = seen;
  }, RACE_TIMEOUT);

  it(`an old garbage lock with ${K} takers at once, ${GARBAGE_RACE_ROUNDS} rounds → exactly one takes it over, the others name it`, async () => {
    const drive = await labelledDrive(sb, 'A');
    const rand = prng(SEED + 6);
    const stats = newStats();
    for (let round = 1; round <= GARBAGE_RACE_ROUNDS; round++) {
      await raceRound(round, rand, stats, drive, 'always', async () => {
        const [, content] = variants[(round - 1) % variants.length]!;
        await writeFile(lockPath(drive), content);
        await setAge(lockPath(drive), OLD_MS);
        return 'garbage';
      });
    }
    await finishRace('staleGarbageRace', 'stale (garbage, old) takeover race', stats);
    expect(stats.anomalies, stats.anomalies.join('\n')).toEqual([]);
    expect(stats.holdersPerRound).toEqual({ 1: GARBAGE_RACE_ROUNDS });
  }, RACE_TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Backup against prune on the same drive

describe('backup and prune on the same drive', () => {
  beforeEach(async () => {
    sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
    // Format 1: every snapshot stands alone, so retention "last 1" has something to prune (a
    // format 2 chain keeps its base).
    await writeFile(sb.env.AIRGAP_CONFIG, JSON.stringify({
      version: 1, format: 1, sources: [src], drives: { rotation: [{ name: 'A' }] }, cadence: 'daily',
      policy: { scheme: 'round-robin', offline: 0, start: '2026-01-01', retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 } },
    }));
  });

  it('a prune refuses (exit 4, naming the pid, deleting nothing) while a backup holds the lock, and a backup refuses while a prune does', async () => {
    const drive = await labelledDrive(sb, 'A');
    for (let i = 0; i < 3; i++) {
      const r = await sb.run('backup', '--drive', 'A', '--no-prune');
      expect(r.code, show(r)).toBe(0);
    }
    const three = await snapshotsOn(drive);
    expect(three).toHaveLength(3);
    const dry = JSON.parse((await sb.run('prune', 'A', '--dry-run', '--json')).stdout) as { prune: { snapshot: string }[] };
    expect(dry.prune.map((p) => p.snapshot)).toEqual(three.slice(0, 2)); // there is something to prune

    // (a) backup holds the lock → prune refuses and deletes nothing.
    const backup = start(sb, ['backup', '--drive', 'A', '--no-prune', '--json'], STOP_AT('backup:locked'));
    const a = await settle([backup]);
    expect(a.stopped, showProc(backup)).toEqual([backup]);
    expect(await lockHolderPid(drive)).toBe(backup.pid);
    const prune1 = await sb.run('prune', 'A');
    expect(prune1.code, show(prune1)).toBe(4);
    expect(errorLine(prune1.stderr), show(prune1)).toMatch(new RegExp(`\\bpid ${backup.pid}\\b`));
    expect(await snapshotsOn(drive)).toEqual(three);
    expect(await debris(drive)).toEqual(['.lock']);
    expect(await lockHolderPid(drive)).toBe(backup.pid);
    cont(backup);
    const b1 = await backup.done;
    expect(b1.code, show(b1)).toBe(0);
    const four = await snapshotsOn(drive);
    expect(four).toHaveLength(4);
    expect(await debris(drive)).toEqual([]);

    // (b) prune holds the lock (stopped after renaming its first snapshot to .pruning-) → backup
    // refuses, writes nothing, and does not remove the prune's .pruning- folder as a leftover.
    const prune = start(sb, ['prune', 'A', '--json'], STOP_AT('prune:renamed'));
    const b = await settle([prune]);
    expect(b.stopped, showProc(prune)).toEqual([prune]);
    expect(await lockHolderPid(drive)).toBe(prune.pid);
    const pruning = (await debris(drive)).filter((n) => n.startsWith('.pruning-'));
    expect(pruning).toEqual([`.pruning-${four[2]}`]); // newest first
    const backup2 = await sb.run('backup', '--drive', 'A', '--no-prune');
    expect(backup2.code, show(backup2)).toBe(4);
    expect(errorLine(backup2.stderr), show(backup2)).toMatch(new RegExp(`\\bpid ${prune.pid}\\b`));
    expect(backup2.stderr).not.toMatch(/removing \.pruning-/);
    const prune2 = await sb.run('prune', 'A');
    expect(prune2.code, show(prune2)).toBe(4);
    expect(errorLine(prune2.stderr), show(prune2)).toMatch(new RegExp(`\\bpid ${prune.pid}\\b`));
    expect(await snapshotsOn(drive)).toEqual([four[0], four[1], four[3]]);
    expect(await debris(drive)).toEqual(['.lock', `.pruning-${four[2]}`]);
    cont(prune);
    const p1 = await prune.done;
    expect(p1.code, show(p1)).toBe(0);
    expect((JSON.parse(p1.stdout) as { pruned: string[] }).pruned).toEqual(four.slice(0, 3).reverse());
    expect(await snapshotsOn(drive)).toEqual(four.slice(3));
    expect(await debris(drive)).toEqual([]);

    // (c) a backup in its own pruning phase (stopped at backup:before-prune) still holds the lock.
    expect((await sb.run('backup', '--drive', 'A', '--no-prune')).code).toBe(0);
    const two = await snapshotsOn(drive);
    const pruningBackup = start(sb, ['backup', '--drive', 'A', '--json'], STOP_AT('backup:before-prune'));
    const c = await settle([pruningBackup]);
    expect(c.stopped, showProc(pruningBackup)).toEqual([pruningBackup]);
    const three2 = await snapshotsOn(drive);
    expect(three2).toHaveLength(3);
    const prune3 = await sb.run('prune', 'A');
    expect(prune3.code, show(prune3)).toBe(4);
    expect(errorLine(prune3.stderr), show(prune3)).toMatch(new RegExp(`\\bpid ${pruningBackup.pid}\\b`));
    expect(await snapshotsOn(drive)).toEqual(three2);
    cont(pruningBackup);
    const b3 = await pruningBackup.done;
    expect(b3.code, show(b3)).toBe(0);
    expect((JSON.parse(b3.stdout) as { pruned: string[] }).pruned).toEqual([two[0]]);
    expect(await debris(drive)).toEqual([]);
    expect((await sb.run('verify', 'A')).code).toBe(0);
    figures.backupVsPrune = { pruneRefusedWhileBackupHolds: true, backupRefusedWhilePruneHolds: true, pruneRefusedWhileBackupPrunes: true, refusalsNamingPid: 4 };
  }, RACE_TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// One catalog, two drives

interface CatalogFile {
  drives: { name: string; lastWrittenAt?: string; lastVerifiedAt?: string; snapshots: { id: string; verifiedAt?: string }[] }[];
}
interface StatusJson {
  drives: { name: string; snapshots: number; lastWritten?: string; lastVerified?: string }[];
}

describe('one catalog, two drives', () => {
  it(`backups to A and B at the same time, ${CATALOG_ROUNDS} rounds → the catalog records both writes every time`, async () => {
    const A = await labelledDrive(sb, 'A');
    const B = await labelledDrive(sb, 'B');
    const srcB = join(sb.dir, 'home', 'pictures');
    await makeTree(srcB, { 'p.txt': 'picture\n', more: { dir: { 'q.bin': Buffer.alloc(50_000, 3) } } });
    const sourceOf = { A: src, B: srcB } as const;
    sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
    await writeFile(sb.env.AIRGAP_CONFIG, JSON.stringify({
      version: 1, sources: [src], drives: { rotation: [{ name: 'A' }, { name: 'B' }] }, cadence: 'daily',
      policy: { scheme: 'round-robin', offline: 0, start: '2026-01-01' },
    }));
    const catalogFile = join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json');
    const drives = { A, B } as const;
    const anomalies: string[] = [];
    const roundsBoth = { free: 0, aligned: 0 };
    const rounds = { free: 0, aligned: 0 };
    const lost: Record<string, number> = {};
    const miss = (what: string) => (lost[what] = (lost[what] ?? 0) + 1);

    for (let round = 1; round <= CATALOG_ROUNDS; round++) {
      // Free-running rounds start both at once; aligned rounds stop both right after the snapshot
      // is in place (write:done) and continue them in the same tick, so that their catalog
      // updates (load → record → save) overlap.
      const mode = round % 2 ? 'free' : 'aligned';
      rounds[mode]++;
      const where = `round ${round} (${mode})`;
      const startedAt = Date.now();
      const env = mode === 'aligned' ? STOP_AT('write:done') : {};
      const procs = (['A', 'B'] as const).map((name) => start(sb, ['backup', '--drive', name, '--source', sourceOf[name], '--no-prune', '--json'], env));
      if (mode === 'aligned') {
        const s = await settle(procs);
        if (s.stopped.length !== 2) anomalies.push(`${where}: ${s.stopped.length} of 2 stopped at write:done: ${procs.map(showProc).join('\n')}`);
        for (const p of s.stopped) cont(p);
      }
      const results = await Promise.all(procs.map((p) => p.done));
      const ids: Partial<Record<'A' | 'B', string>> = {};
      results.forEach((r, i) => {
        const name = (['A', 'B'] as const)[i]!;
        if (r.code !== 0) anomalies.push(`${where}: backup to ${name} exited ${r.code}:\n${show(r)}`);
        else ids[name] = (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
      });

      // The catalog as the two backups left it (status, below, refreshes it from the drives).
      let both = true;
      const fail = (what: string, detail: string) => {
        both = false;
        miss(what);
        anomalies.push(`${where}: ${detail}`);
      };
      let catalog: CatalogFile | undefined;
      try {
        catalog = JSON.parse(await readFile(catalogFile, 'utf8')) as CatalogFile;
      } catch (e) {
        fail('catalog unreadable', `catalog.json unreadable: ${(e as Error).message}`);
      }
      for (const name of ['A', 'B'] as const) {
        const id = ids[name];
        if (!id) {
          both = false;
          continue;
        }
        const e = catalog?.drives.filter((d) => d.name === name) ?? [];
        if (e.length !== 1) {
          fail('drive entry', `catalog has ${e.length} entries for ${name}`);
          continue;
        }
        const entry = e[0]!;
        const snap = entry.snapshots.find((s) => s.id === id);
        if (!snap) fail('snapshot', `catalog lost the new snapshot ${id} of ${name} (has ${entry.snapshots.map((s) => s.id).join(', ')})`);
        else if (!snap.verifiedAt) fail('snapshot verification', `catalog lost the read-back verification of ${name}/${id}`);
        if (!entry.lastWrittenAt || Date.parse(entry.lastWrittenAt) < startedAt) fail('lastWrittenAt', `catalog lost the write of ${name}: lastWrittenAt ${entry.lastWrittenAt ?? 'missing'}`);
        if (!entry.lastVerifiedAt || Date.parse(entry.lastVerifiedAt) < startedAt) fail('lastVerifiedAt', `catalog lost the verification of ${name}: lastVerifiedAt ${entry.lastVerifiedAt ?? 'missing'}`);
        const onDrive = await snapshotsOn(drives[name]);
        const inCatalog = entry.snapshots.map((s) => s.id).sort();
        if (JSON.stringify(onDrive) !== JSON.stringify(inCatalog)) fail('snapshot list', `catalog lists ${inCatalog.length} snapshots of ${name}, the drive holds ${onDrive.length}`);
      }
      const stray = (await readdir(sb.env.AIRGAP_STATE_DIR!)).filter((n) => n.startsWith('.catalog.json.tmp') || n.includes('.damaged-'));
      if (stray.length) fail('stray files', `state dir holds ${stray.join(', ')}`);

      // status --json: the ledger (last written, last verified) of both drives is this round's.
      const st: CliResult = await runCli(['status', '--json'], sb.env);
      if (st.code !== 0) fail('status', `status exited ${st.code}:\n${show(st)}`);
      else {
        const view = JSON.parse(st.stdout) as StatusJson;
        for (const name of ['A', 'B'] as const) {
          const d = view.drives.find((x) => x.name === name);
          const held = (await snapshotsOn(drives[name])).length;
          if (!d) fail('status drive', `status does not list ${name}`);
          else {
            if (d.snapshots !== held) fail('status snapshots', `status says ${name} holds ${d.snapshots} snapshots, it holds ${held}`);
            if (!d.lastWritten || Date.parse(d.lastWritten) < startedAt) fail('status lastWritten', `status says ${name} was last written ${d.lastWritten ?? 'never'}, before this round`);
            if (!d.lastVerified || Date.parse(d.lastVerified) < startedAt) fail('status lastVerified', `status says ${name} was last verified ${d.lastVerified ?? 'never'}, before this round`);
          }
        }
      }
      if (both) roundsBoth[mode]++;
    }
    for (const d of [A, B]) expect(await debris(d)).toEqual([]);
    figures.catalog = { rounds, roundsWithBothWritesRecorded: roundsBoth, lostUpdates: lost, anomalies: anomalies.length };
    console.log(`[concurrency] catalog: ${JSON.stringify(figures.catalog)}`);
    expect(anomalies, anomalies.join('\n')).toEqual([]);
    expect(roundsBoth).toEqual(rounds);
  }, RACE_TIMEOUT);
});
