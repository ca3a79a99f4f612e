// The service manager that runs airgap's files: the user's systemd (systemctl --user) on Linux,
// launchd (launchctl, the gui/<uid> domain) on macOS. Whether one is reachable is asked, never
// assumed: in a container or a login without a user session the files are still written, and
// the result says they were not started and how to start them later.
import { refusal } from '../core/errors.js';
import { LAUNCHD_REMIND, LAUNCHD_WATCH, SYSTEMD_ENABLED, SYSTEMD_WATCH_SERVICE } from '../core/service-units.js';
import { runProgram, type ProgramResult } from '../io/run-program.js';

export interface ManagerHost {
  platform: NodeJS.Platform;
  uid: number;
  /** $XDG_RUNTIME_DIR: where a user systemd's bus lives; none, no user manager to reach. */
  runtimeDir?: string;
  /** The environment systemctl and launchctl run in. */
  env: Record<string, string | undefined>;
}

export type Reach = { reachable: true } | { reachable: false; reason: string };

export interface UnitState { unit: string; enabled?: string; active: string }

const TIMEOUT_MS = 30_000;
/** What `systemctl --user is-system-running` says of a manager that can take units. */
const USABLE = new Set(['running', 'degraded', 'starting', 'initializing', 'maintenance']);

const firstLine = (r: ProgramResult) => (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';

export class ServiceManager {
  constructor(private readonly host: ManagerHost) {}

  private run(program: string, args: string[]): Promise<ProgramResult> {
    return runProgram(program, args, { env: this.host.env, timeoutMs: TIMEOUT_MS });
  }

  private systemctl(...args: string[]): Promise<ProgramResult> {
    return this.run('systemctl', ['--user', ...args]);
  }

  /** The command to start the files later, by hand. */
  startCommand(paths: string[]): string {
    if (this.host.platform === 'darwin') return paths.map((p) => `launchctl bootstrap gui/${this.host.uid} '${p.replace(/'/g, `'\\''`)}'`).join(' && ');
    return `systemctl --user daemon-reload && systemctl --user enable --now ${SYSTEMD_ENABLED.join(' ')}`;
  }

  /** Linux: systemctl must exist at all (else there is no systemd to write units for). */
  async requireSystemd(hint: string): Promise<void> {
    if (this.host.platform !== 'linux') return;
    const r = await this.run('systemctl', ['--version']);
    if (r.missing) throw refusal('no-systemd', 'systemctl was not found: this system has no systemd to run airgap\'s daily reminder and watcher', hint);
  }

  async reach(): Promise<Reach> {
    if (this.host.platform === 'darwin') return { reachable: true };
    if (!this.host.runtimeDir) return { reachable: false, reason: 'no user systemd here (no XDG_RUNTIME_DIR: no login session, e.g. a container or an ssh session without lingering)' };
    const r = await this.systemctl('is-system-running');
    const said = r.stdout.trim();
    if (USABLE.has(said)) return { reachable: true };
    return { reachable: false, reason: `no user systemd here (systemctl --user is-system-running: ${said || firstLine(r) || `exit ${r.code}`})` };
  }

  /** Loads and starts the files just written; `restart`: the watcher ran an older version of them. Throws when the manager refuses. */
  async activate(paths: string[], restart: boolean): Promise<void> {
    if (this.host.platform === 'darwin') {
      for (const [label, path] of this.launchdJobs(paths)) {
        await this.run('launchctl', ['bootout', `gui/${this.host.uid}/${label}`]); // not loaded yet: nothing to do
        this.check(await this.run('launchctl', ['bootstrap', `gui/${this.host.uid}`, path]), 'launchctl bootstrap');
      }
      return;
    }
    this.check(await this.systemctl('daemon-reload'), 'systemctl --user daemon-reload');
    this.check(await this.systemctl('enable', '--now', ...SYSTEMD_ENABLED), 'systemctl --user enable --now');
    if (restart) this.check(await this.systemctl('try-restart', SYSTEMD_WATCH_SERVICE), 'systemctl --user try-restart');
  }

  /** Stops and unloads them (before their files go). */
  async deactivate(paths: string[]): Promise<void> {
    if (this.host.platform === 'darwin') {
      for (const [label] of this.launchdJobs(paths)) await this.run('launchctl', ['bootout', `gui/${this.host.uid}/${label}`]);
      return;
    }
    // A unit already gone or never enabled is not an error here: disable says so and goes on.
    await this.systemctl('disable', '--now', ...SYSTEMD_ENABLED);
  }

  /** After the files are gone: systemd forgets them. */
  async forget(): Promise<void> {
    if (this.host.platform === 'linux') await this.systemctl('daemon-reload');
  }

  async states(): Promise<UnitState[]> {
    if (this.host.platform === 'darwin') {
      return Promise.all([LAUNCHD_REMIND, LAUNCHD_WATCH].map(async (label) => {
        const r = await this.run('launchctl', ['print', `gui/${this.host.uid}/${label}`]);
        return { unit: label, active: r.code === 0 ? 'loaded' : 'not loaded' };
      }));
    }
    return Promise.all(SYSTEMD_ENABLED.map(async (unit) => ({
      unit,
      enabled: (await this.systemctl('is-enabled', unit)).stdout.trim() || 'unknown',
      active: (await this.systemctl('is-active', unit)).stdout.trim() || 'unknown',
    })));
  }

  private launchdJobs(paths: string[]): [string, string][] {
    return paths.map((p) => [p.replace(/^.*\//, '').replace(/\.plist$/, ''), p]);
  }

  private check(r: ProgramResult, what: string): void {
    if (r.code === 0) return;
    throw refusal('service-start-failed', `${what} failed${r.code !== null ? ` (exit ${r.code})` : ''}: ${firstLine(r) || 'no message'}; the files are written`,
      'see journalctl --user -xe (Linux) or Console.app (macOS), fix what it says, then run airgap service install again');
  }
}
