// A real terminal for tests: a command runs inside a detached tmux session (a real
// pseudo-terminal, so stdin/stdout are TTYs, the spinner and @inquirer/prompts are live, and
// Ctrl+C reaches the whole foreground process group as the terminal sends it). Tests read the
// screen with `tmux capture-pane` and type with `tmux send-keys`, like a user.
//
// Every wait polls the screen (or a condition) with a generous cap: nothing here depends on how
// fast the machine is, only on the thing awaited eventually happening.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN } from './cli.js';

/** Why terminal tests cannot run here, or '' when tmux is available. */
export const noTmux = spawnSync('tmux', ['-V']).status === 0 ? '' : 'tmux is not installed (apt-get install tmux)';

/** One wait (a prompt, a message, the exit): long enough for a machine under heavy load. */
export const STEP_MS = 120_000;
const POLL_MS = 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Polls `probe` until it returns a value (not undefined); fails with `what` after `ms`. */
export async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = STEP_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= end) throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

const EXITED = /\[airgap exited with code (\d+)\]/;
const KILLED = /\[airgap killed by (\w+)\]/;
const RUNNER = join(import.meta.dirname, 'terminal-runner.mjs');

export class Terminal {
  private readonly socket: string;
  private readonly session = `airgap-term-${process.pid}`;
  private started = false;
  // A private tmux server (its own socket, in the test's folder): nothing is shared with a tmux
  // the user may be running, and its environment is only the one given here.
  private readonly env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    USER: process.env.USER,
    SHELL: '/bin/sh', // runs the session's command line
    LANG: process.env.LANG || 'C.UTF-8',
    TERM: process.env.TERM && process.env.TERM !== 'dumb' ? process.env.TERM : 'xterm-256color',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };

  constructor(dir: string) {
    this.socket = join(dir, 'tmux.sock');
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, ...args], { env: this.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  /**
   * Runs `airgap <args>` in the terminal (CI unset, so that it is interactive), under
   * terminal-runner.mjs, which prints how it ended and keeps the pane open so that the last
   * screen can be read. (airgap is the runner's child, not the pane's own process: tmux would
   * SIGCONT its own child if a stop-failpoint froze it.)
   */
  start(args: string[], env: Record<string, string>, cwd: string): void {
    const command = ['exec', 'env', '-u', 'CI', ...Object.entries(env).map(([k, v]) => quote(`${k}=${v}`)), quote(process.execPath), quote(RUNNER), quote(BIN), ...args.map(quote)].join(' ');
    this.tmux('new-session', '-d', '-s', this.session, '-x', '120', '-y', '40', '-c', cwd, command);
    this.started = true;
  }

  /** The visible screen, wrapped lines joined (so a long line matches as one). */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', this.session);
  }

  /** Everything since the start, as it was displayed (scrollback included). */
  scrollback(): string {
    return this.started ? this.tmux('capture-pane', '-p', '-S', '-', '-t', this.session).replace(/\s+$/, '') + '\n' : '';
  }

  /** Types keys, as `tmux send-keys` names them ('Enter', 'C-c', or text). */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys);
  }

  /** Polls the screen until `re` matches; fails with what is on screen (or how airgap exited). */
  async waitFor(re: RegExp, what: string, ms = STEP_MS): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const shown = this.screen();
      const m = shown.match(re);
      if (m) return m[0];
      const exited = shown.match(EXITED) ?? shown.match(KILLED);
      if (exited || Date.now() >= end) {
        const why = exited ? exited[0].slice(1, -1) : `timed out after ${Math.round(ms / 1000)} s`;
        throw new Error(`waiting for ${what} (${re}): ${why}. Screen:\n${'-'.repeat(60)}\n${shown.replace(/\s+$/, '')}\n${'-'.repeat(60)}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits for airgap to end and returns its exit code; fails if a signal killed it. */
  async exitCode(ms = STEP_MS): Promise<number> {
    const line = await this.waitFor(EXITED, 'airgap to exit', ms);
    return Number(EXITED.exec(line)![1]);
  }

  close(): void {
    if (this.started) spawnSync('tmux', ['-S', this.socket, 'kill-server'], { env: this.env });
    this.started = false;
  }
}
