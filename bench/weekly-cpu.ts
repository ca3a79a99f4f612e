// The CPU of airgap's weekly increment alone (issue 16), without restic, borg or a loop image:
// the weekly bench takes ~90 s and times each increment once, which is too coarse to tell a
// 10 % change on a shared machine. This builds set S (or M, L) once, makes a full, then times
// N increments, each after the same seeded weekly change as the weekly bench, with GNU time.
// CPU seconds (user + sys) are the figure to compare: wall time moves with other people's load.
//
//   npm run build && tsc -p bench && node .bench-build/bench/weekly-cpu.js [--set S] [--weeks 5] [--keep]
//   AIRGAP_CPU_PROF=1 …   also writes a .cpuprofile of each increment into the temporary folder
//   --bin <other checkout>/bin/airgap.js   times another build (the "before" of a change) on the same weeks
//   --format 3   writes format 3 (block-gzipped tarballs) instead of 2; each line then also gives
//                the bytes the snapshot wrote (its folder) and its tarball's size against its tar's
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from 'node:process';
import { AIRGAP_BIN, log } from './common.js';
import { applyWeek } from './weekly-changes.js';
import { WEEKLY_SETS, type WeeklyKey } from './weekly-data.js';

const SEED = 0x5eed_2026; // fixed: before and after a change time the same weeks
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const key = arg('--set', 'S') as WeeklyKey;
const weeks = Number(arg('--weeks', '5'));
const keep = process.argv.includes('--keep');
const bin = arg('--bin', AIRGAP_BIN);
const format = arg('--format', '2');
const set = WEEKLY_SETS.find((s) => s.key === key);
if (!set) throw new Error(`no set ${key}`);

const work = mkdtempSync(join(tmpdir(), 'airgap-weekly-cpu-'));
const data = join(work, 'data');
const source = join(data, set.name);
const drive = join(work, 'drives', 'A');
const airgapEnv: NodeJS.ProcessEnv = {
  ...env, AIRGAP_STATE_DIR: join(work, 'state'), AIRGAP_DRIVES_ROOT: join(work, 'drives'), XDG_CONFIG_HOME: join(work, 'xdg'), NO_COLOR: '1',
};
for (const k of ['AIRGAP_CONFIG', 'AIRGAP_NOW', 'AIRGAP_MOUNT_ROOTS', 'AIRGAP_STALL_TIMEOUT_MS']) delete airgapEnv[k];

/** One airgap run under GNU time: its wall, user and sys seconds and peak RSS in KB. */
function timed(args: string[], profileDir?: string): { wall: number; user: number; sys: number; rssKb: number } {
  const out = join(work, 'time.txt');
  const node = profileDir ? [process.execPath, '--cpu-prof', '--cpu-prof-dir', profileDir] : [process.execPath];
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', ...node, bin, ...args], { env: airgapEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`airgap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys, rssKb] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  return { wall, user, sys, rssKb };
}

/** The newest snapshot's folder: its bytes on the drive, and its tarball's size (and its tar's, in format 3). */
function written(): string {
  const root = join(drive, 'airgap');
  const id = readdirSync(root).filter((n) => /^\d{4}-/.test(n)).sort().at(-1)!;
  const dir = join(root, id);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const meta = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
  const tar = meta.tarball.gzip ? `, tarball ${meta.tarball.size} B of a ${meta.tarball.gzip.tarSize} B tar` : `, tarball ${meta.tarball.size} B`;
  return `${meta.kind} ${id} wrote ${bytes} B${tar}`;
}

try {
  mkdirSync(source, { recursive: true });
  mkdirSync(drive, { recursive: true });
  log(`weekly-cpu: set ${key} in ${work}, airgap ${bin}`);
  set.generate(source, SEED, 1);
  spawnSync(process.execPath, [AIRGAP_BIN, 'label', drive, '--name', 'A', '--yes'], { env: airgapEnv, stdio: 'ignore' });
  const backup = ['backup', '--drive', 'A', '--source', source, '--no-prune', '--format', format];
  spawnSync('sync');
  const full = timed(backup);
  log(`full (format ${format}): ${full.wall} s wall, ${(full.user + full.sys).toFixed(2)} s CPU; ${written()}`);
  const cpu: number[] = [];
  for (let week = 1; week <= weeks; week++) {
    applyWeek(key, source, SEED, 1, week);
    // The weekly bench syncs before each backup; so does this, so that writeback is not timed.
    spawnSync('sync');
    const t = timed(backup, env.AIRGAP_CPU_PROF ? join(work, 'profiles') : undefined);
    cpu.push(t.user + t.sys);
    log(`week ${week}: ${t.wall.toFixed(2)} s wall, ${t.user.toFixed(2)} user + ${t.sys.toFixed(2)} sys = ${(t.user + t.sys).toFixed(2)} s CPU, ${(t.rssKb / 1024).toFixed(0)} MB peak RSS; ${written()}`);
  }
  const sorted = [...cpu].sort((a, b) => a - b);
  log(`median CPU of ${weeks} increments: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} s (min ${sorted[0]!.toFixed(2)}, max ${sorted[sorted.length - 1]!.toFixed(2)})`);
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
