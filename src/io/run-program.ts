// Runs a program without a shell and says how it ended, never throwing: systemctl and launchctl
// for `airgap service`, and airgap's own command line for what `airgap watch` does when a drive
// arrives (a backup that fails, or crashes, is then an outcome of the watcher, never its end).
import { spawn } from 'node:child_process';

export interface ProgramResult {
  /** The exit code; null when it ended by a signal or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Not found on PATH (ENOENT). */
  missing?: true;
  /** Killed: it outlived its timeout, or `signal` asked it to stop. */
  killed?: true;
  /** It could not be started for another reason. */
  error?: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL) after this long; none: as long as it takes. */
  timeoutMs?: number;
  /** Aborting sends SIGTERM: airgap's own commands stop at their next safe point on it. */
  signal?: AbortSignal;
  /** Output kept per stream (the rest is dropped): a chatty program cannot fill the memory. */
  maxBytes?: number;
}

export function runProgram(program: string, args: string[], opts: RunOptions = {}): Promise<ProgramResult> {
  const cap = opts.maxBytes ?? 1024 * 1024;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let killed = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (e) {
      resolve({ code: null, stdout, stderr, error: (e as Error).message });
      return;
    }
    child.stdout!.on('data', (d: Buffer) => { if (stdout.length < cap) stdout += d.toString('utf8'); });
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < cap) stderr += d.toString('utf8'); });
    const timer = opts.timeoutMs ? setTimeout(() => { killed = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
    const onAbort = () => { killed = true; child.kill('SIGTERM'); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const done = (r: ProgramResult) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ENOENT' ? { code: null, stdout, stderr, missing: true } : { code: null, stdout, stderr, error: e.message }));
    child.on('close', (code) => done({ code, stdout, stderr, ...(killed ? { killed: true as const } : {}) }));
  });
}
