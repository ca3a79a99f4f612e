// The backup benchmark: airgap against the stock tools, on generated data sets. A separate
// program, not part of the product (not in dist/, not shipped): it runs the built CLI,
// bin/airgap.js, as a subprocess.
//   npm run bench      (builds airgap, compiles bench/ into .bench-build/, runs bench/run.js there)
//   BENCH_SCALE=0.25 BENCH_RUNS=5 npm run bench -- [--keep] [--sets a,b,c]
//   npm run bench -- --weekly [--sets S,M,L]   (the weekly scenario of issue 16: bench/weekly.ts)
// See docs/performance.md for what is measured and why. Results: Markdown tables on stdout,
// progress on stderr, JSON in ./bench-results/<timestamp>.json and ./bench-results/latest.json.
//
// This file is the benchmark's entry point (its composition root, like cli/main.ts for airgap):
// it alone reads the environment and argv and decides the exit status.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { argv as processArgv, env, exit } from 'node:process';
import { AIRGAP_BIN, firstLine, log, onPath, PACKAGE_JSON, REPO_ROOT, failedRun, round, runSync, writeResults } from './common.js';
import { DATASETS, type DatasetKey, type DatasetSpec } from './datasets.js';
import { detectRssMethod, killCurrent, measure, type CommandSpec, type RssMethod } from './measure.js';
import { datasetHeading, mb, median, resultsTable, targetsTable, type CommandResult, type DatasetResult, type RunRecord, type TargetResult } from './report.js';
import { weeklyMain } from './weekly.js';

const SEED = 0x5eed_a19a;

const USAGE = `usage: npm run bench -- [--keep] [--sets a,b,c]
       npm run bench -- --weekly [--sets S,M,L] [--keep]   (the weekly scenario: --weekly --help)
       (or, once built: node .bench-build/bench/run.js [--keep] [--sets a,b,c])
  --keep         keep the temporary folder (data sets, x.tar, the last snapshot of each set)
  --sets a,c     only these data sets: a = large files, b = small files, c = mixed tree
environment:
  BENCH_SCALE    size of data set (a), 1 = 1 GiB (default 1; e.g. 0.25 for a quick run)
  BENCH_RUNS     timed runs per command after one warm-up (default 3); the median is reported
  TMPDIR         where the temporary folder goes (default /tmp)
  BENCH_RSS_METHOD=proc-sampler  use the /proc sampler even where GNU time exists`;

interface Options {
  scale: number;
  runs: number;
  keep: boolean;
  sets: DatasetKey[];
}

class UsageError extends Error {}

function parseOptions(args: string[]): Options {
  const scale = env.BENCH_SCALE === undefined || env.BENCH_SCALE === '' ? 1 : Number(env.BENCH_SCALE);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 64) throw new UsageError(`BENCH_SCALE must be a number > 0 (got ${env.BENCH_SCALE})`);
  const runs = env.BENCH_RUNS === undefined || env.BENCH_RUNS === '' ? 3 : Number(env.BENCH_RUNS);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new UsageError(`BENCH_RUNS must be a whole number from 1 to 100 (got ${env.BENCH_RUNS})`);
  let keep = false;
  let sets: DatasetKey[] = ['a', 'b', 'c'];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--keep') keep = true;
    else if (arg === '--sets' || arg.startsWith('--sets=')) {
      const value = arg === '--sets' ? args[++i] : arg.slice('--sets='.length);
      const keys = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!keys.length || keys.some((k) => !['a', 'b', 'c'].includes(k))) throw new UsageError(`--sets takes a comma-separated list of a, b, c (got ${value ?? 'nothing'})`);
      sets = ['a', 'b', 'c'].filter((k) => keys.includes(k)) as DatasetKey[];
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      exit(0);
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  return { scale, runs, keep, sets };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else if (e.isFile()) n++;
  }
  return n;
}

function freshDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Where the restored copies of a set with many files go instead of being deleted between runs.
 * On ext4 without a journal (this machine's /tmp), creating files shortly after deleting many
 * others is slow: the inode allocator skips every recently deleted inode (recently_deleted() in
 * fs/ext4/ialloc.c), and a tar xf of 40,000 files went from 1.2 s to 10 s after an rm -rf of the
 * previous copy. So such a copy is renamed aside, and the trash is deleted at the end of the
 * benchmark. (A set of a few large files deletes its previous copy just before the next run
 * instead: its page cache is reused at once rather than taken fresh from the host.)
 */
class Trash {
  private n = 0;
  constructor(readonly dir: string) {}
  put(path: string): void {
    if (!existsSync(path)) return;
    mkdirSync(this.dir, { recursive: true });
    renameSync(path, join(this.dir, String(this.n++)));
  }
}

function machineInfo(rssMethod: RssMethod, tmp: string) {
  const cpu = cpus();
  let airgapVersion: string | null = null;
  try {
    airgapVersion = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    // not found
  }
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? null,
    memoryGB: Math.round(totalmem() / 1e8) / 10,
    os: `${osType()} ${release()} ${arch()}`,
    node: process.version,
    tar: firstLine(['tar', '--version']),
    sha256sum: firstLine(['sha256sum', '--version']),
    restic: onPath('restic') ? firstLine(['restic', 'version']) : null,
    airgap: airgapVersion,
    gitCommit: firstLine(['git', '-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    /** Uncommitted changes under src/ when the benchmark started (the figures are of the working tree). */
    gitDirty: firstLine(['git', '-C', REPO_ROOT, 'status', '--porcelain', '--', 'src']) !== null,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    tmpFilesystem: firstLine(['stat', '-f', '-c', '%T', tmp]),
    rssMethod,
  };
}

// ---------------------------------------------------------------------------------------------
// One data set

interface Bench {
  key: string;
  label: string;
  /** How ratios against this command name it. */
  short: string;
  group: CommandResult['group'];
  /** null: the tool is not installed. */
  spec: CommandSpec | null;
  before?: () => void;
  /** After each run (untimed); `warmup` is true after the warm-up run. */
  after?: (warmup: boolean) => void;
  ratios?: string[];
}

interface Context {
  options: Options;
  rssMethod: RssMethod;
  tmp: string;
  dataRoot: string;
}

async function runDataset(ctx: Context, spec: DatasetSpec): Promise<DatasetResult> {
  const { options, rssMethod } = ctx;
  const tag = `(${spec.key}) ${spec.name}`;
  const src = join(ctx.dataRoot, spec.name);
  const work = freshDir(join(ctx.tmp, `work-${spec.key}`));
  const xtar = join(work, 'x.tar');
  const sums = join(work, 'SHA256SUMS');
  const restoreDir = join(work, 'restore');
  const trash = new Trash(join(ctx.tmp, 'trash', spec.key));
  const drivesRoot = join(work, 'drives');
  const snapshots = join(drivesRoot, 'A', 'airgap');

  log(`${tag}: generating ${spec.description}${spec.key === 'a' ? ` (scale ${options.scale})` : ''} …`);
  const g0 = performance.now();
  const stats = spec.generate(src, SEED, options.scale);
  runSync(['sync']);
  const generateSeconds = (performance.now() - g0) / 1000;
  log(`${tag}: ${stats.files} files, ${stats.dirs} folders, ${stats.symlinks} symlinks, ${mb(stats.bytes)} MB in ${generateSeconds.toFixed(1)} s`);

  // A simulated drive, labelled once; host state and (absent) config inside the temporary folder.
  const airgapEnv: NodeJS.ProcessEnv = {
    ...env,
    AIRGAP_STATE_DIR: join(work, 'state'),
    AIRGAP_DRIVES_ROOT: drivesRoot,
    XDG_CONFIG_HOME: join(work, 'xdg-config'),
    NO_COLOR: '1',
  };
  for (const k of ['AIRGAP_CONFIG', 'AIRGAP_NOW', 'AIRGAP_MOUNT_ROOTS', 'AIRGAP_STALL_TIMEOUT_MS']) delete airgapEnv[k];
  mkdirSync(join(drivesRoot, 'A'), { recursive: true });
  const airgap = (...args: string[]): string[] => [process.execPath, AIRGAP_BIN, ...args];
  runSync(airgap('label', join(drivesRoot, 'A'), '--name', 'A', '--yes'), { env: airgapEnv });

  // Each timed backup starts from an empty drive. The snapshots are deleted behind airgap's back,
  // so the host's catalog goes too: a recorded snapshot that vanished without a prune by this host
  // is reported as lost (verify exits 3), and the next run re-learns the drive as a new host would.
  const removeSnapshots = () => {
    for (const name of readdirSync(snapshots)) {
      if (/^\d{4}-\d\d-\d\dT/.test(name) || name.startsWith('.partial-')) rmSync(join(snapshots, name), { recursive: true, force: true });
    }
    rmSync(join(airgapEnv.AIRGAP_STATE_DIR!, 'catalog.json'), { force: true });
  };
  const manyInodes = stats.files + stats.dirs + stats.symlinks >= 1000;
  const checkRestored = (label: string) => (warmup: boolean) => {
    // Once, after the warm-up: the restore really produced every file.
    if (warmup) {
      const n = countFiles(restoreDir);
      if (n !== stats.files) throw new Error(`${label} restored ${n} files, expected ${stats.files} (in ${restoreDir})`);
    }
    // Otherwise the next run's freshDir deletes it, just before that run.
    if (manyInodes) trash.put(restoreDir);
  };
  const restic = onPath('restic');
  const resticRepo = join(work, 'restic-repo');
  const resticCache = join(work, 'restic-cache');

  const benches: Bench[] = [
    {
      key: 'tar-cf',
      label: 'tar cf x.tar',
      short: 'tar cf',
      group: 'backup',
      spec: { argv: ['tar', 'cf', xtar, '-C', ctx.dataRoot, spec.name] },
      before: () => rmSync(xtar, { force: true }),
    },
    {
      key: 'pipeline',
      label: 'tar cf - | tee x.tar | sha256sum',
      short: 'pipeline',
      group: 'backup',
      spec: {
        argv: ['bash', '-c', 'set -o pipefail; tar cf - -C "$1" "$2" | tee "$3" | sha256sum', 'pipeline', ctx.dataRoot, spec.name, xtar],
        stdout: 'capture',
      },
      before: () => rmSync(xtar, { force: true }),
    },
    {
      key: 'airgap-backup',
      label: 'airgap backup --no-prune',
      short: 'backup',
      group: 'backup',
      spec: { argv: airgap('backup', '--drive', 'A', '--source', src, '--no-prune'), env: airgapEnv, stdout: 'capture' },
      before: removeSnapshots,
      ratios: ['tar-cf', 'pipeline'],
    },
    {
      key: 'restic',
      label: 'restic init + first backup',
      short: 'restic',
      group: 'backup',
      spec: restic
        ? {
            argv: ['bash', '-c', 'restic init --quiet --repo "$1" && restic backup --quiet --repo "$1" "$2"', 'restic', resticRepo, src],
            env: { ...env, RESTIC_PASSWORD: 'airgap-bench', RESTIC_CACHE_DIR: resticCache },
            stdout: 'capture',
          }
        : null,
      before: () => {
        rmSync(resticRepo, { recursive: true, force: true });
        rmSync(resticCache, { recursive: true, force: true });
      },
      ratios: ['tar-cf'],
    },
    { key: 'cat', label: 'cat x.tar > /dev/null', short: 'cat', group: 'verify', spec: { argv: ['cat', xtar], stdout: 'ignore' } },
    { key: 'sha256sum-c', label: 'sha256sum -c SHA256SUMS', short: 'sha256sum -c', group: 'verify', spec: { argv: ['sha256sum', '-c', 'SHA256SUMS'], cwd: work, stdout: 'capture' } },
    {
      key: 'airgap-verify',
      label: 'airgap verify',
      short: 'verify',
      group: 'verify',
      spec: { argv: airgap('verify', 'A'), env: airgapEnv, stdout: 'capture' },
      ratios: ['cat', 'sha256sum-c'],
    },
    {
      key: 'airgap-verify-deep',
      label: 'airgap verify --deep',
      short: 'verify --deep',
      group: 'verify',
      spec: { argv: airgap('verify', 'A', '--deep'), env: airgapEnv, stdout: 'capture' },
      ratios: ['airgap-verify'],
    },
    {
      key: 'tar-xf',
      label: 'tar xf x.tar',
      short: 'tar xf',
      group: 'restore',
      spec: { argv: ['tar', 'xf', xtar, '-C', restoreDir] },
      before: () => freshDir(restoreDir),
      after: checkRestored('tar xf'),
    },
    {
      key: 'airgap-restore',
      label: 'airgap restore --to <fresh dir>',
      short: 'restore',
      group: 'restore',
      spec: { argv: airgap('restore', 'A', '--to', restoreDir), env: airgapEnv, stdout: 'capture' },
      before: () => freshDir(restoreDir),
      after: checkRestored('airgap restore'),
      ratios: ['tar-xf'],
    },
  ];

  const run = async (b: Bench, warmup: boolean): Promise<RunRecord & { stdout: string }> => {
    b.before?.();
    // No run pays for the previous one's writeback: flush dirty pages first, untimed.
    runSync(['sync']);
    const m = await measure(b.spec!, rssMethod, work);
    b.after?.(warmup);
    return { seconds: round(m.seconds, 4), peakRssMb: m.peakRssKb == null ? null : round((m.peakRssKb * 1024) / 1e6, 1), cpuSeconds: m.cpuSeconds, stdout: m.stdout };
  };

  // Each group (backup, verify, restore) runs in rounds: round 0 is the warm-up of every command
  // in the group, then each round runs every command once. Interleaved like this, a slow spell
  // of the machine hits a command and its reference alike instead of one of them.
  const warmups = new Map<string, RunRecord>();
  const timed = new Map<string, RunRecord[]>(benches.map((b) => [b.key, []]));
  const lastStdout = new Map<string, string>();
  for (const group of ['backup', 'verify', 'restore'] as const) {
    if (group === 'verify') {
      // The checksum file for x.tar, and a cross-check that the pipeline's x.tar is the one
      // tar cf writes (same data, same tar).
      writeFileSync(sums, runSync(['sha256sum', 'x.tar'], { cwd: work }));
      const piped = lastStdout.get('pipeline')?.split(' ')[0];
      const expected = readFileSync(sums, 'utf8').split(' ')[0];
      if (piped && piped !== expected) log(`${tag}: note: the pipeline's SHA-256 ${piped} differs from x.tar's ${expected}`);
    }
    const members = benches.filter((b) => b.group === group);
    for (const b of members) if (!b.spec) log(`${tag}: ${b.label}: not installed`);
    for (let round = 0; round <= options.runs; round++) {
      for (const b of members.filter((m) => m.spec)) {
        const r = await run(b, round === 0);
        const record: RunRecord = { seconds: r.seconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
        if (round === 0) warmups.set(b.key, record);
        else timed.get(b.key)!.push(record);
        lastStdout.set(b.key, r.stdout);
        const what = round === 0 ? 'warm-up' : `run ${round}/${options.runs}`;
        log(`${tag}: ${b.label}: ${what} ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMb == null ? '?' : r.peakRssMb.toFixed(1)} MB`);
      }
    }
  }

  const results: CommandResult[] = benches.map((b) => {
    if (!b.spec) return { key: b.key, label: b.label, group: b.group, status: 'not installed', runs: [], ratios: [] };
    const runs = timed.get(b.key)!;
    const secs = runs.map((r) => r.seconds);
    const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x != null);
    return {
      key: b.key,
      label: b.label,
      group: b.group,
      status: 'ok',
      argv: b.spec.argv,
      warmup: warmups.get(b.key)!,
      runs,
      medianSeconds: round(median(secs), 4),
      minSeconds: Math.min(...secs),
      maxSeconds: Math.max(...secs),
      peakRssMb: rss.length ? Math.max(...rss) : null,
      ratios: [],
    };
  });

  const tarBytes = statSync(xtar).size;
  const byKey = new Map(results.map((r) => [r.key, r]));
  for (const b of benches) {
    const r = byKey.get(b.key)!;
    if (r.status !== 'ok') continue;
    r.mbPerSecond = round(tarBytes / 1e6 / r.medianSeconds!, 1);
    for (const ref of b.ratios ?? []) {
      const rr = byKey.get(ref);
      const short = benches.find((x) => x.key === ref)!.short;
      if (rr?.status === 'ok') r.ratios.push({ reference: ref, referenceLabel: short, value: round(r.medianSeconds! / rr.medianSeconds!, 3) });
    }
  }

  const dataset: DatasetResult = {
    key: spec.key,
    name: spec.name,
    description: spec.description,
    files: stats.files,
    dirs: stats.dirs,
    symlinks: stats.symlinks,
    contentBytes: stats.bytes,
    tarBytes,
    generateSeconds: round(generateSeconds, 2),
    results,
    targets: targets(spec.key, byKey),
  };

  // Few inodes (the large files): free the space now. Many: at the end (see Trash), so the next
  // set's timed runs do not create files right after this deletion.
  rmSync(restoreDir, { recursive: true, force: true });
  if (!options.keep) {
    if (manyInodes) trash.put(src);
    else rmSync(src, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  return dataset;
}

/** The targets from the issue, checked on one data set. */
function targets(key: DatasetKey, byKey: Map<string, CommandResult>): TargetResult[] {
  const med = (k: string) => {
    const r = byKey.get(k);
    return r?.status === 'ok' ? r.medianSeconds! : null;
  };
  const ratio = (a: string, b: string) => {
    const x = med(a);
    const y = med(b);
    return x != null && y != null ? round(x / y, 3) : null;
  };
  const atMost = (name: string, value: number | null, limit: number): TargetResult => ({ name, target: `≤ ${limit}`, value, met: value == null ? null : value <= limit });
  const out: TargetResult[] = [];
  const backupLimit = key === 'a' ? 1.0 : key === 'b' ? 1.25 : null;
  if (backupLimit != null) out.push(atMost('backup time / tar cf time', ratio('airgap-backup', 'tar-cf'), backupLimit));
  else out.push({ name: 'backup time / tar cf time', target: '–', value: ratio('airgap-backup', 'tar-cf'), met: null, note: 'no target for this set' });
  const rate = ratio('cat', 'airgap-verify');
  out.push({ name: 'verify rate / cat rate', target: '≥ 0.9', value: rate, met: rate == null ? null : rate >= 0.9 });
  out.push(atMost('verify --deep time / verify time', ratio('airgap-verify-deep', 'airgap-verify'), 1.2));
  out.push(atMost('restore time / tar xf time', ratio('airgap-restore', 'tar-xf'), 1.3));
  const rss = [...byKey.values()].filter((r) => r.key.startsWith('airgap-') && r.peakRssMb != null).map((r) => r.peakRssMb!);
  out.push(atMost('airgap peak RSS, MB (largest)', rss.length ? Math.max(...rss) : null, 100));
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  // The weekly scenario (issue 16) is a program of its own (bench/weekly.ts) behind the same script.
  if (processArgv.includes('--weekly')) return weeklyMain(processArgv.slice(2).filter((a) => a !== '--weekly'));
  let options: Options;
  try {
    options = parseOptions(processArgv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const started = new Date();
  // BENCH_RSS_METHOD=proc-sampler forces the fallback (to check it on a machine that has GNU time).
  const forced = env.BENCH_RSS_METHOD;
  if (forced && forced !== 'gnu-time' && forced !== 'proc-sampler') {
    process.stderr.write(`error: BENCH_RSS_METHOD must be gnu-time or proc-sampler (got ${forced})\n`);
    return 2;
  }
  const rssMethod: RssMethod = forced === 'proc-sampler' ? 'proc-sampler' : detectRssMethod();
  if (forced === 'gnu-time' && rssMethod !== 'gnu-time') {
    process.stderr.write('error: BENCH_RSS_METHOD=gnu-time but /usr/bin/time is not GNU time\n');
    return 2;
  }
  for (const tool of ['tar', 'sha256sum', 'bash', 'cat', 'tee', 'sync']) {
    if (!onPath(tool)) {
      process.stderr.write(`error: ${tool} is not on PATH; the benchmark compares airgap with GNU tar and coreutils\n`);
      return 2;
    }
  }
  if (!/GNU tar/.test(firstLine(['tar', '--version']) ?? '')) {
    process.stderr.write('error: tar is not GNU tar (tar --version); the references are GNU tar\n');
    return 2;
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    process.stderr.write(`error: ${join(REPO_ROOT, 'dist')} is missing; run npm run build first (npm run bench does)\n`);
    return 2;
  }

  // Space, per set: the data, x.tar, the snapshot (and restic's repository) and a restored copy;
  // sets (b) and (c) keep their data and every run's copy until the end (see Trash).
  const base = env.TMPDIR || tmpdir();
  const copy: Record<DatasetKey, number> = { a: options.scale * 2 ** 30 * 1.05, b: 300e6, c: 130e6 };
  const restored = 2 * (options.runs + 1);
  const archives = onPath('restic') ? 3 : 2;
  let need = 0;
  let retained = 0;
  for (const k of options.sets) {
    need = Math.max(need, retained + copy[k] * (1 + archives + (k === 'a' ? 1 : restored)));
    retained += options.keep ? copy[k] * (1 + archives) : k === 'a' ? 0 : copy[k] * (1 + restored);
  }
  need += 300e6;
  const fs = statfsSync(base);
  const free = fs.bavail * fs.bsize;
  if (free < need) {
    process.stderr.write(`error: ${base} has ${mb(free)} MB free; this run needs about ${mb(need)} MB\nhint: lower BENCH_SCALE, or point TMPDIR at a larger disk\n`);
    return 4;
  }

  const tmp = mkdtempSync(join(base, 'airgap-bench-'));
  const dataRoot = join(tmp, 'data');
  mkdirSync(dataRoot);
  let interrupted = false;
  const cleanup = () => {
    rmSync(options.keep ? join(tmp, 'trash') : tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    killCurrent();
    process.stderr.write('\ninterrupted\n');
    cleanup();
    exit(130);
  });

  const machine = machineInfo(rssMethod, tmp);
  log(`airgap benchmark: sets ${options.sets.join(', ')}, BENCH_SCALE=${options.scale}, BENCH_RUNS=${options.runs} (median after 1 warm-up)`);
  log(`temporary folder ${tmp}${options.keep ? ' (kept: --keep)' : ''}; peak RSS via ${rssMethod === 'gnu-time' ? 'GNU /usr/bin/time -f %M' : 'sampling VmRSS of the process group every 20 ms'}`);
  if (machine.loadAverageAtStart[0]! > 0.5) log(`note: load average ${machine.loadAverageAtStart.join(' ')}: other work on this machine will skew the timings`);
  log(`${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GB RAM, node ${machine.node}, ${machine.tar}, restic: ${machine.restic ?? 'not installed'}`);

  const datasets: DatasetResult[] = [];
  try {
    for (const spec of DATASETS.filter((d) => options.sets.includes(d.key))) {
      const d = await runDataset({ options, rssMethod, tmp, dataRoot }, spec);
      datasets.push(d);
      console.log(`\n### ${datasetHeading(d)}\n\n${resultsTable(d)}\n\n${targetsTable(d)}\n`);
    }
  } catch (e) {
    killCurrent();
    return failedRun(e, options.keep, tmp, cleanup);
  }
  const finished = new Date();
  const report = {
    format: 'airgap-bench/1',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    settings: { scale: options.scale, runs: options.runs, warmups: 1, seed: SEED, keep: options.keep, sets: options.sets, tmp },
    rssMethod,
    rssMethodDescription: rssMethod === 'gnu-time' ? 'GNU /usr/bin/time -f %M (ru_maxrss; for a pipeline, its largest process)' : 'sum of VmRSS over the process group, sampled every 20 ms',
    method: [
      'per group (backup, verify, restore): a warm-up round, then BENCH_RUNS rounds running each command once (interleaved); the median is reported',
      'before every run (untimed): its previous output removed (x.tar, the snapshot folders, the restored copy), then sync',
      'restored copies of sets with >= 1000 entries are renamed aside and deleted at the end (ext4 without a journal slows file creation after mass deletion)',
      'airgap: a simulated drive A under AIRGAP_DRIVES_ROOT, labelled once per set; AIRGAP_STATE_DIR and XDG_CONFIG_HOME in the temporary folder (no config)',
    ],
    units: { seconds: 'wall-clock seconds', peakRssMb: '10^6 bytes', mbPerSecond: 'x.tar bytes / 10^6 / median seconds' },
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    datasets,
  };
  const file = writeResults(report, started, '', 'latest.json');
  log(`results: ${file} (and bench-results/latest.json); ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s in all`);
  log(options.keep ? `kept: ${tmp}` : `removing ${tmp} …`);
  cleanup();
  return 0;
}

exit(await main());
