// The weekly scenario of issue 16: five snapshots (a full, then four weeks of ~1 % change) of
// three seeded sets onto a loop-mounted ext4 image, airgap side by side with restic, borg (when
// installed) and GNU tar. Entered through run.ts:
//   npm run bench -- --weekly [--sets S,M,L] [--keep]
//   BENCH_SCALE=0.1 BENCH_AIRGAP_FORMAT=1 npm run bench -- --weekly
// Results: Markdown tables on stdout, progress on stderr, JSON in
// ./bench-results/weekly-<timestamp>.json and ./bench-results/latest-weekly.json.
// See docs/performance.md, "Weekly scenario (issue 16)".
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { env } from 'node:process';
import { firstLine, log, onPath, PACKAGE_JSON, REPO_ROOT, failedRun, writeResults } from './common.js';
import { detectRssMethod, killCurrent, type RssMethod } from './measure.js';
import { mb } from './report.js';
import { WEEKLY_KEYS, WEEKLY_SETS, type WeeklyKey } from './weekly-data.js';
import { FORMULA, setReport, type SetResult } from './weekly-report.js';
import { runSet, SNAPSHOTS, type RunContext } from './weekly-run.js';
import { releaseAllTargets } from './weekly-target.js';
import { airgapHasFormatOption } from './weekly-tools.js';

const SEED = 0x5eed_a19b;

const USAGE = `usage: npm run bench -- --weekly [--sets S,M,L] [--keep]
  --sets S,L     only these sets: S = 40k small files, M = 600 MB home folder, L = 8 × 64 MiB
  --keep         keep the temporary folder (data, restored copies, the unmounted target image)
environment:
  BENCH_SCALE          size of every set, 1 = as above (default 1; e.g. 0.1 for a quick run)
  BENCH_AIRGAP_FORMAT  1, 2 or 3: airgap backup --format N (default: 2 when backup --help lists
                       --format, otherwise no option, i.e. format 1)
  TMPDIR               where the temporary folder goes (default /tmp)
  BENCH_RSS_METHOD=proc-sampler  use the /proc sampler even where GNU time exists
restic and borg run when installed: apt-get install -y restic borgbackup`;

class UsageError extends Error {}

interface Options {
  scale: number;
  keep: boolean;
  sets: WeeklyKey[];
  airgapFormat: 1 | 2 | 3 | null;
}

function parseOptions(args: string[]): Options {
  const scale = env.BENCH_SCALE === undefined || env.BENCH_SCALE === '' ? 1 : Number(env.BENCH_SCALE);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 16) throw new UsageError(`BENCH_SCALE must be a number > 0 and ≤ 16 (got ${env.BENCH_SCALE})`);
  let keep = false;
  let sets: WeeklyKey[] = [...WEEKLY_KEYS];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--keep') keep = true;
    else if (arg === '--sets' || arg.startsWith('--sets=')) {
      const value = arg === '--sets' ? args[++i] : arg.slice('--sets='.length);
      const keys = (value ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      if (!keys.length || keys.some((k) => !(WEEKLY_KEYS as readonly string[]).includes(k))) throw new UsageError(`--sets takes a comma-separated list of S, M, L (got ${value ?? 'nothing'})`);
      sets = WEEKLY_KEYS.filter((k) => keys.includes(k));
    } else if (arg === '-h' || arg === '--help') throw new UsageError('');
    else throw new UsageError(`unknown argument ${arg}`);
  }
  const hasFormat = airgapHasFormatOption();
  const forced = env.BENCH_AIRGAP_FORMAT;
  let airgapFormat: 1 | 2 | 3 | null = hasFormat ? 2 : null;
  if (forced !== undefined && forced !== '') {
    if (forced !== '1' && forced !== '2' && forced !== '3') throw new UsageError(`BENCH_AIRGAP_FORMAT must be 1, 2 or 3 (got ${forced})`);
    if (forced !== '1' && !hasFormat) throw new UsageError(`BENCH_AIRGAP_FORMAT=${forced}, but this airgap has no backup --format option (it writes format 1 only)`);
    airgapFormat = hasFormat ? (Number(forced) as 1 | 2 | 3) : null;
  }
  return { scale, keep, sets, airgapFormat };
}

function rssMethodFromEnv(): RssMethod {
  const forced = env.BENCH_RSS_METHOD;
  if (forced && forced !== 'gnu-time' && forced !== 'proc-sampler') throw new UsageError(`BENCH_RSS_METHOD must be gnu-time or proc-sampler (got ${forced})`);
  const method: RssMethod = forced === 'proc-sampler' ? 'proc-sampler' : detectRssMethod();
  if (forced === 'gnu-time' && method !== 'gnu-time') throw new UsageError('BENCH_RSS_METHOD=gnu-time but /usr/bin/time is not GNU time');
  return method;
}

/** Bytes on TMPDIR: the set's data, its target image's content (~12×) and four restored copies. */
function spaceNeeded(options: Options): number {
  const perScale: Record<WeeklyKey, number> = { S: 150e6, M: 620e6, L: 540e6 };
  return Math.max(...options.sets.map((k) => perScale[k] * options.scale * 18)) + 500e6;
}

function machineInfo(rssMethod: RssMethod) {
  const version = (argv: string[]) => (onPath(argv[0]!) ? firstLine(argv) : null);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGB: Math.round(totalmem() / 1e8) / 10,
    kernel: release(),
    node: process.version,
    airgap: (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string }).version ?? null,
    gitCommit: firstLine(['git', '-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    gitDirty: firstLine(['git', '-C', REPO_ROOT, 'status', '--porcelain', '--', 'src']) !== null,
    restic: version(['restic', 'version']),
    borg: version(['borg', '--version']),
    tar: version(['tar', '--version']),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    rssMethod,
  };
}

/** Everything the run measured, for bench-results/weekly-<timestamp>.json. */
function jsonReport(options: Options, run: { started: Date; finished: Date; tmp: string; machine: ReturnType<typeof machineInfo> }, sets: SetResult[]) {
  return {
    format: 'airgap-bench-weekly/1',
    startedAt: run.started.toISOString(),
    finishedAt: run.finished.toISOString(),
    settings: { scale: options.scale, seed: SEED, snapshots: SNAPSHOTS, sets: options.sets, keep: options.keep, airgapFormat: options.airgapFormat ?? 1, airgapFormatOption: options.airgapFormat !== null, tmp: run.tmp },
    method: [
      'per set: generate, then a fresh sparse ext4 image on a loop device as the target (a folder when that fails: see each set\'s target)',
      'five snapshots: the first full, then four weeks each after a seeded ~1 % change; each tool backs up once per snapshot, in an order that turns each time',
      'before each backup (untimed): sync; bytes added = du -sb of the tool\'s folder on the target after minus before (fsAddedBytes: statfs used blocks, after a sync)',
      'then, once: each tool\'s full check of its repository or newest snapshot, and a restore of the newest snapshot into an empty folder on the host, compared with the source by diff -r (untimed)',
      'the page cache is warm: the source was just written, the target was just written through the loop device',
      FORMULA,
    ],
    units: { seconds: 'wall-clock seconds', peakRssMb: '10^6 bytes', bytes: 'bytes' },
    machine: { ...run.machine, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    sets,
  };
}

export async function weeklyMain(args: string[]): Promise<number> {
  let options: Options;
  let rssMethod: RssMethod;
  try {
    options = parseOptions(args);
    rssMethod = rssMethodFromEnv();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (!e.message) {
      console.log(USAGE);
      return 0;
    }
    process.stderr.write(`error: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const base = env.TMPDIR || tmpdir();
  const fs = statfsSync(base);
  if (fs.bavail * fs.bsize < spaceNeeded(options)) {
    process.stderr.write(`error: ${base} has ${mb(fs.bavail * fs.bsize)} MB free; this run needs about ${mb(spaceNeeded(options))} MB\nhint: lower BENCH_SCALE, or point TMPDIR at a larger disk\n`);
    return 4;
  }
  const started = new Date();
  const tmp = mkdtempSync(join(base, 'airgap-bench-weekly-'));
  const dataRoot = join(tmp, 'data');
  mkdirSync(dataRoot);
  const cleanup = () => {
    releaseAllTargets();
    if (!options.keep) rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    killCurrent();
    process.stderr.write('\ninterrupted\n');
    cleanup();
    process.exit(130);
  });
  const machine = machineInfo(rssMethod);
  log(`airgap weekly benchmark: sets ${options.sets.join(', ')}, BENCH_SCALE=${options.scale}, ${SNAPSHOTS} snapshots (a full, then 4 weeks of ~1 % change); temporary folder ${tmp}`);
  log(`airgap ${options.airgapFormat === null ? 'has no backup --format: it writes format 1, so every weekly snapshot is a full copy' : `backup --format ${options.airgapFormat}${options.airgapFormat === 1 ? ' (forced): every weekly snapshot is a full copy' : ''}`}`);
  log(`restic: ${machine.restic ?? 'not installed'} (RESTIC_PASSWORD=bench: restic cannot write unencrypted); borg: ${machine.borg ?? 'not installed'} (--encryption none)`);
  if (machine.loadAverageAtStart[0]! > 0.5) log(`note: load average ${machine.loadAverageAtStart.join(' ')}: other work on this machine will skew the timings`);

  const ctx: RunContext = { scale: options.scale, seed: SEED, keep: options.keep, rssMethod, tmp, dataRoot, airgapFormat: options.airgapFormat };
  const sets: SetResult[] = [];
  try {
    for (const set of WEEKLY_SETS.filter((s) => options.sets.includes(s.key))) {
      const r = await runSet(ctx, set);
      sets.push(r);
      console.log(`\n${setReport(r)}\n`);
    }
  } catch (e) {
    killCurrent();
    return failedRun(e, options.keep, tmp, cleanup);
  }
  const finished = new Date();
  const report = jsonReport(options, { started, finished, tmp, machine }, sets);
  const file = writeResults(report, started, 'weekly-', 'latest-weekly.json');
  log(`results: ${file} (and bench-results/latest-weekly.json); ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s in all`);
  cleanup();
  return 0;
}
