// Helpers shared by the benchmark's entry points (run.ts, weekly.ts): where the repository and
// the built CLI are, progress lines, running setup commands, the results folder.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { env } from 'node:process';
import { fileURLToPath } from 'node:url';
import { CommandFailed } from './measure.js';

/**
 * The repository root: the nearest folder above this file with bin/airgap.js and a package.json.
 * Found by walking up, so it does not matter where the compiled file sits (.bench-build/bench/
 * today) or whether it runs compiled at all.
 */
function findRepoRoot(from: string): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, 'bin', 'airgap.js')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no bin/airgap.js with a package.json in any folder above ${from}`);
    dir = parent;
  }
}
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const AIRGAP_BIN = join(REPO_ROOT, 'bin', 'airgap.js');
export const PACKAGE_JSON = join(REPO_ROOT, 'package.json');

const t0 = performance.now();
/** A progress line on stderr, stamped with the time since the benchmark started. */
export function log(message: string): void {
  const s = Math.round((performance.now() - t0) / 1000);
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${message}\n`);
}

export function onPath(name: string): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a setup step (untimed); throws CommandFailed on failure. */
export function runSync(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new CommandFailed(argv, r.error.message, r.stderr ?? '', r.stdout ?? '');
  if (r.status !== 0) throw new CommandFailed(argv, r.signal ? `killed by ${r.signal}` : `exit ${r.status}`, r.stderr, r.stdout);
  return r.stdout;
}

/** The first line a command prints, or null when it fails or is missing. */
export function firstLine(argv: string[]): string | null {
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    return r.status === 0 ? (`${r.stdout}`.split('\n')[0] ?? '').trim() || null : null;
  } catch {
    return null;
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Prints what a failed run left: the command line, its exit, stderr and stdout (or the stack). */
export function reportFailure(e: unknown): void {
  if (e instanceof CommandFailed) {
    process.stderr.write(`\nerror: ${e.message}\n`);
    if (e.stderr.trim()) process.stderr.write(`--- its stderr ---\n${e.stderr.trimEnd()}\n`);
    if (e.stdout.trim()) process.stderr.write(`--- its stdout ---\n${e.stdout.trimEnd()}\n`);
  } else process.stderr.write(`\nerror: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
}

/** A run that failed: what failed, where its temporary folder went, then removal; the exit code. */
export function failedRun(e: unknown, keep: boolean, tmp: string, cleanup: () => void): number {
  reportFailure(e);
  process.stderr.write(keep ? `the temporary folder is kept: ${tmp}\n` : 'the temporary folder is removed (run with --keep to inspect it)\n');
  cleanup();
  return 1;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
}

/**
 * Writes `report` as ./bench-results/<prefix><timestamp>.json and copies it to
 * ./bench-results/<latest>; returns the first path.
 */
export function writeResults(report: unknown, started: Date, prefix: string, latest: string): string {
  const dir = resolve('bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${stamp(started)}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  copyFileSync(file, join(dir, latest));
  return file;
}
