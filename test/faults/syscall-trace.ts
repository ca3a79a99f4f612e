// Runs the built CLI under strace and turns the trace into a list of the file-system calls it
// made, in order, each with its start and end position (a call made on another thread may be
// "unfinished" while others run). Used by durability-order.test.ts to check the order of the
// write and prune protocols against what the kernel was actually asked to do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { BIN } from '../helpers/cli.js';

export const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

const TRACED = [
  'open', 'openat', 'creat', 'close', 'write', 'pwrite64', 'writev', 'pwritev', 'pwritev2',
  'fsync', 'fdatasync', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'unlink', 'unlinkat', 'rmdir',
];

export interface Call {
  name: string;
  /** Absolute paths the call names: the fd's file (-y), or the path arguments (resolved). */
  paths: string[];
  /** O_CREAT etc. for open calls. */
  flags: string;
  ok: boolean;
  start: number;
  end: number;
  line: string;
}

export interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
}

/** `airgap <args>` under `strace -f` (every thread: libuv's pool and the hashing workers). */
export async function traceCli(args: string[], env: Record<string, string>, traceFile: string): Promise<Traced> {
  if (!STRACE) throw new Error('strace is not installed');
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(STRACE, ['-f', '-qq', '-y', '-s', '8', '-o', traceFile, '-e', `trace=${TRACED.join(',')}`, process.execPath, BIN, ...args], {
      // io_uring would hide file calls from strace: libuv must use plain syscalls here.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', UV_USE_IO_URING: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
  return { ...r, calls: parseTrace(await readFile(traceFile, 'utf8')) };
}

/** Parses `strace -f -y -o` output (one file, lines prefixed by the thread id). */
export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<string, { name: string; args: string; start: number; line: string }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (m) {
      const p = pending.get(m[1]!);
      if (!p || p.name !== m[2]) continue;
      pending.delete(m[1]!);
      calls.push(toCall(p.name, p.args + m[3]!, p.start, i, `${p.line} … ${line}`));
      continue;
    }
    m = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, tid, name, rest] = m as unknown as [string, string, string, string];
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(tid, { name, args: rest.slice(0, -'<unfinished ...>'.length), start: i, line });
      continue;
    }
    calls.push(toCall(name, rest, i, i, line));
  }
  return calls.sort((a, b) => a.start - b.start);
}

function toCall(name: string, rest: string, start: number, end: number, line: string): Call {
  const ret = /\)\s+=\s+(-?\d+)/.exec(rest);
  const ok = !!ret && Number(ret[1]) >= 0;
  const paths: string[] = [];
  // A directory fd (`AT_FDCWD</cwd>`, `5</dir>`) followed by a path string: resolve the string.
  const tokens = [...rest.matchAll(/(?:(?:AT_FDCWD|\d+)<([^>]*)>)|"((?:[^"\\]|\\.)*)"/g)];
  let dirFd: string | undefined;
  for (const t of tokens) {
    if (t[1] !== undefined) {
      if (['openat', 'mkdirat', 'unlinkat', 'renameat', 'renameat2'].includes(name)) dirFd = t[1];
      else if (paths.length === 0) paths.push(t[1]);
    } else if (t[2] !== undefined) {
      const s = t[2];
      paths.push(isAbsolute(s) || !dirFd ? s : join(dirFd, s));
      dirFd = undefined;
    }
    if (name === 'openat' || name === 'open' || name === 'creat') {
      if (paths.length) break;
    }
  }
  const flags = /O_[A-Z_|]+/.exec(rest)?.[0] ?? '';
  return { name, paths, flags, ok, start, end, line };
}

const WRITES = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2']);
const SYNCS = new Set(['fsync', 'fdatasync']);
const RENAMES = new Set(['rename', 'renameat', 'renameat2']);

export const isWrite = (c: Call, path: string) => WRITES.has(c.name) && c.paths[0] === path;
export const isSync = (c: Call, path: string) => SYNCS.has(c.name) && c.ok && c.paths[0] === path;
export const isCreate = (c: Call, path: string) => (c.name === 'openat' || c.name === 'open' || c.name === 'creat') && c.flags.includes('O_CREAT') && c.paths[0] === path;
export const isRename = (c: Call, from: string, to: string) => RENAMES.has(c.name) && c.ok && c.paths[0] === from && c.paths[1] === to;
export const isRemoveUnder = (c: Call, dir: string) => ['unlink', 'unlinkat', 'rmdir'].includes(c.name) && (c.paths[0] === dir || (c.paths[0] ?? '').startsWith(dir + '/'));
