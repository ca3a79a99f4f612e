// Runs one command and measures its wall time and peak RSS.
//
// Peak RSS, two methods:
//   gnu-time      GNU /usr/bin/time -f %M: the kernel's ru_maxrss from wait4(). For a pipeline
//                 (bash -c "a | b | c") that is the largest of its processes, not their sum.
//   proc-sampler  every 20 ms, the sum of VmRSS over every process in the command's process
//                 group (spawned detached, so it leads its own group); the max of those sums.
//                 A peak shorter than 20 ms can be missed; pages shared between processes of
//                 the group count once per process. Under 3 samples (a command of under ~60 ms)
//                 the peak is reported as unknown.
// Wall time is taken here in either case (performance.now() around spawn → close).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type RssMethod = 'gnu-time' | 'proc-sampler';

export const GNU_TIME = '/usr/bin/time';

/** GNU time when /usr/bin/time is GNU time (BusyBox and BSD time have no -f %M to rely on). */
export function detectRssMethod(): RssMethod {
  if (!existsSync(GNU_TIME)) return 'proc-sampler';
  const v = spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' });
  return /GNU/.test(`${v.stdout}${v.stderr}`) ? 'gnu-time' : 'proc-sampler';
}

export interface CommandSpec {
  /** argv[0] is looked up on PATH. */
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `ignore` sends stdout to /dev/null (cat of a large file); `capture` keeps its tail. */
  stdout?: 'ignore' | 'capture';
}

export interface Measurement {
  seconds: number;
  /** Peak RSS in KiB, or null when it could not be read. */
  peakRssKb: number | null;
  /** User + system CPU seconds (GNU time's %U + %S), or null. */
  cpuSeconds: number | null;
  stdout: string;
}

export class CommandFailed extends Error {
  constructor(
    readonly argv: string[],
    readonly exit: string,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`command failed (${exit}): ${argv.map(shellQuote).join(' ')}`);
  }
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Keeps the last `max` characters of a stream. */
class Tail {
  private text = '';
  constructor(private readonly max = 64 * 1024) {}
  push(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    if (this.text.length > 2 * this.max) this.text = this.text.slice(-this.max);
  }
  toString(): string {
    return this.text.length > this.max ? `…${this.text.slice(-this.max)}` : this.text;
  }
}

/** Sum of VmRSS (KiB) over the live processes whose process group is `pgid`. */
export function groupRssKb(pgid: number): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${name}/status`, 'latin1'));
      if (m) total += Number(m[1]);
    } catch {
      // The process ended between readdir and read.
    }
  }
  return total;
}

/** The child currently running, so an interrupted benchmark can end its whole process group. */
let current: number | undefined;

export function killCurrent(): void {
  if (current === undefined) return;
  try {
    process.kill(-current, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

/** Runs `spec` once; resolves with its time and peak RSS, rejects with CommandFailed on a non-zero exit. */
export function measure(spec: CommandSpec, method: RssMethod, scratch: string): Promise<Measurement> {
  const rssFile = join(scratch, `.rss-${process.pid}-${Date.now()}`);
  const argv = method === 'gnu-time' ? [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, '--', ...spec.argv] : spec.argv;
  return new Promise((resolvePromise, reject) => {
    const stdout = new Tail();
    const stderr = new Tail();
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', spec.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    });
    let peak = 0;
    let samples = 0;
    let timer: NodeJS.Timeout | undefined;
    if (child.pid !== undefined) {
      current = child.pid;
      if (method === 'proc-sampler') {
        const pgid = child.pid;
        const sample = () => {
          const kb = groupRssKb(pgid);
          if (kb > 0) samples++;
          peak = Math.max(peak, kb);
        };
        sample();
        timer = setInterval(sample, 20);
      }
    }
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (e) => {
      if (timer) clearInterval(timer);
      current = undefined;
      reject(new CommandFailed(spec.argv, e.message, stderr.toString(), stdout.toString()));
    });
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      if (timer) clearInterval(timer);
      current = undefined;
      // Fewer than 3 samples (a command of under ~60 ms): the sampler has not seen it.
      let peakRssKb: number | null = method === 'proc-sampler' && samples >= 3 ? peak : null;
      let cpuSeconds: number | null = null;
      if (method === 'gnu-time') {
        try {
          // The last line is "%M %U %S"; GNU time writes "Command exited with non-zero status N" before it.
          const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
          const [kb, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
          peakRssKb = Number.isFinite(kb) ? kb! : null;
          cpuSeconds = Number.isFinite(user) && Number.isFinite(sys) ? Math.round((user! + sys!) * 100) / 100 : null;
        } catch {
          peakRssKb = null;
        }
        rmSync(rssFile, { force: true });
      }
      if (code !== 0) {
        const exit = signal ? `killed by ${signal}` : `exit ${code}`;
        reject(new CommandFailed(spec.argv, exit, stderr.toString(), stdout.toString()));
        return;
      }
      resolvePromise({ seconds, peakRssKb, cpuSeconds, stdout: stdout.toString() });
    });
  });
}
