// Everything a command needs from the outside world, gathered in one place: environment,
// paths, clock, output streams. Commands get a Context; tests and the demo can build their own.
// Jobs see only its Environment part, through a Session whose notes and warnings go to stderr.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { xdgConfig, xdgState } from 'xdg-basedir';
import type { Environment } from '../jobs/session.js';

export interface Output {
  write(text: string): void;
}

export interface Context extends Environment {
  json: boolean;
  /** One JSON object per line (commands run inside the wizard's event stream). */
  jsonLines?: boolean;
  stdout: Output;
  stderr: Output;
  /** Whether prompts and spinners may be used. */
  interactive: boolean;
  progress: boolean;
}

export interface GlobalFlags {
  config?: string;
  drivesRoot?: string;
  json?: boolean;
}

export function makeContext(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Context {
  const configFromFlags = flags.config ?? env.AIRGAP_CONFIG;
  const drivesRoot = flags.drivesRoot ?? env.AIRGAP_DRIVES_ROOT;
  const json = flags.json ?? false;
  return {
    stateDir: env.AIRGAP_STATE_DIR ? resolve(env.AIRGAP_STATE_DIR) : join(xdgState ?? join(homedir(), '.local', 'state'), 'airgap'),
    configPath: configFromFlags ? resolve(configFromFlags) : join(xdgConfig ?? join(homedir(), '.config'), 'airgap', 'config.json'),
    configExplicit: configFromFlags !== undefined,
    drivesRoot: drivesRoot ? resolve(drivesRoot) : undefined,
    json,
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !env.CI,
    progress: Boolean(process.stderr.isTTY) && !json,
    // AIRGAP_NOW fixes the clock (simulations, tests): an ISO date-time.
    clock: env.AIRGAP_NOW && !Number.isNaN(Date.parse(env.AIRGAP_NOW)) ? () => new Date(env.AIRGAP_NOW!) : () => new Date(),
    version: toolVersion(),
    stallMs: Number(env.AIRGAP_STALL_TIMEOUT_MS) > 0 ? Number(env.AIRGAP_STALL_TIMEOUT_MS) : 120_000,
    // Tests lower the racy window (a file written a moment ago is otherwise always read again).
    ...(env.AIRGAP_RACY_SECONDS !== undefined && Number(env.AIRGAP_RACY_SECONDS) >= 0 ? { racySeconds: Number(env.AIRGAP_RACY_SECONDS) } : {}),
    mountRoots: (env.AIRGAP_MOUNT_ROOTS ?? '').split(':').filter(Boolean).map((p) => resolve(p)),
    user: env.USER ?? env.LOGNAME,
    platform: process.platform,
    watchIntervalMs: Number(env.AIRGAP_WATCH_INTERVAL_MS) > 0 ? Number(env.AIRGAP_WATCH_INTERVAL_MS) : 2000,
    mountWaitMs: Number(env.AIRGAP_MOUNT_WAIT_MS) > 0 ? Number(env.AIRGAP_MOUNT_WAIT_MS) : 10_000,
  };
}

let cachedVersion: string | undefined;
export function toolVersion(): string {
  if (!cachedVersion) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

