// Runs the built CLI as a subprocess, the way a user would, against real temporary folders.
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/airgap.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, opts: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    // A command that exits without reading its input (most do) closes the pipe first: EPIPE on
    // our side is expected then, not an error of the test.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A sandbox: its own state dir, config path and drives root, removed afterwards. */
export interface Sandbox {
  dir: string;
  env: Record<string, string>;
  drive(name: string): string;
  run(...args: string[]): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'airgap-test-'));
  await mkdir(join(dir, 'drives'));
  const env = {
    AIRGAP_STATE_DIR: join(dir, 'state'),
    XDG_CONFIG_HOME: join(dir, 'config'), // the default config path, absent until `init`
    AIRGAP_DRIVES_ROOT: join(dir, 'drives'),
  };
  return {
    dir,
    env,
    drive: (name) => join(dir, 'drives', name),
    run: (...args) => runCli(args, env),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Labels a new simulated drive and returns its path. */
export async function labelledDrive(sb: Sandbox, name: string): Promise<string> {
  const path = sb.drive(name);
  await mkdir(path, { recursive: true });
  const r = await sb.run('label', path, '--name', name, '--yes');
  if (r.code !== 0) throw new Error(`label failed: ${r.stderr}`);
  return path;
}

/** Whatever the input, a user never sees a stack trace or an "internal error". */
export function expectNoCrash(what: string, r: { stderr: string }): void {
  expect(r.stderr, `${what} crashed:\n${r.stderr}`).not.toMatch(/^\s+at /m);
  expect(r.stderr, `${what}:\n${r.stderr}`).not.toContain('internal error');
}

/** Runs the CLI in a sandbox (with extra environment) and checks that it did not crash. */
export async function runChecked(sb: { env: Record<string, string> }, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(args, { ...sb.env, ...env });
  expectNoCrash(`airgap ${args.join(' ')}`, r);
  return r;
}
