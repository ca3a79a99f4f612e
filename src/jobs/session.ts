// One run of airgap as the jobs see it: where host state lives, which drives to look at, and the
// moment of the run. `now` is sampled once, so that every decision of one run (what is due, what
// retention keeps, what the catalog records) is made for the same instant; the config and the
// catalog are read once and shared by every job of the run (the wizard runs several).
import { localDate } from '../core/calendar.js';
import { usageError } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import { Catalog } from '../state/catalog.js';
import { loadConfig, policyOf, type Config } from '../state/config.js';
import type { RotationBinding } from '../drives/binding.js';

/** What a run is given by its caller (the cli builds it from flags and the environment). */
export interface Environment {
  stateDir: string;
  configPath: string;
  /** Set when --config or AIRGAP_CONFIG named the file: then it must exist (a typo must not silently drop excludes). */
  configExplicit: boolean;
  drivesRoot?: string;
  /** Extra mount roots to scan for drives ($AIRGAP_MOUNT_ROOTS). */
  mountRoots: string[];
  user?: string;
  platform: NodeJS.Platform;
  version: string;
  /** No-progress watchdog for backups. */
  stallMs: number;
  /** Format 2: files changed this shortly before a backup are read again next time (core/change-stamp.ts RACY_SECONDS). */
  racySeconds?: number;
  watchIntervalMs: number;
  mountWaitMs: number;
  /** The wall clock, for what is measured rather than decided (when a write finished, watch events). */
  clock: () => Date;
}

/** Notes and warnings a job reports on the way (the cli prints them on stderr, `note:` / `warning:`). */
export interface Log {
  note(text: string): void;
  warn(text: string): void;
  /** A line as it is (the leftovers report). */
  line(text: string): void;
}

export class Session {
  /** The moment of this run: every rule of the run is decided for it. */
  readonly now: Date;
  /** Today's local calendar date, as the planner counts days. */
  readonly today: string;
  private configRead?: Promise<Config | undefined>;
  private catalogRead?: Promise<Catalog>;

  constructor(readonly env: Environment, readonly log: Log) {
    this.now = env.clock();
    this.today = localDateOf(this.now);
  }

  /** The config, read once: missing is undefined (unless named explicitly: then it must exist); damaged throws. */
  async config(): Promise<Config | undefined> {
    const config = await this.configIfPresent();
    // A config named by --config or AIRGAP_CONFIG that is not there: the reader's own error.
    return config ?? (this.env.configExplicit ? loadConfig(this.env.configPath, true) : undefined);
  }

  /** The config where none is fine (label may come before init; the wizard's setup writes it). */
  configIfPresent(): Promise<Config | undefined> {
    return (this.configRead ??= loadConfig(this.env.configPath, false));
  }

  /** The config where one is only helpful (verify, list work without it): a damaged one is none. */
  configIfReadable(): Promise<Config | undefined> {
    return this.configIfPresent().catch(() => undefined);
  }

  /** The config changed on disk (init, a rotation name bound to a drive id): read it again when next asked. */
  forgetConfig(): void {
    this.configRead = undefined;
  }

  /** The config's rotation (names and bound ids), or none when there is no readable config. */
  async rotation(): Promise<RotationBinding[]> {
    return (await this.configIfReadable())?.drives.rotation ?? [];
  }

  /** Commands about the rotation need one: a clear usage error otherwise. */
  async requirePolicy(): Promise<{ config: Config; policy: Policy }> {
    const config = await this.config();
    const path = this.env.configPath;
    if (!config) throw usageError('no-config', `no config at ${path}`, 'create one: airgap init --source <dir> --drives A,B,C');
    if (config.drives.rotation.length === 0) {
      throw usageError('no-rotation', `the config ${path} names no rotation drives`, 'add them: airgap init --force --source <dir> --drives A,B,C (or edit drives.rotation)');
    }
    return { config, policy: policyOf(config) };
  }

  /**
   * The host catalog, read once per run; its load warning (a damaged file set aside) is reported
   * once. Every job of the run shares this object: its saves merge into the file under a lock.
   */
  catalog(): Promise<Catalog> {
    return (this.catalogRead ??= Catalog.load(this.env.stateDir, this.now).then((c) => {
      if (c.loadWarning) this.log.warn(c.loadWarning);
      return c;
    }));
  }

  /**
   * A new run in the same place: `now` sampled again, the config and the catalog read again. The
   * wizard starts one after waiting for a drive, which may take hours (past midnight: a new day).
   */
  renewed(): Session {
    return new Session(this.env, this.log);
  }

  /** The local calendar date of an instant, as the planner counts days. */
  dayOf(at: Date): string {
    return localDateOf(at);
  }
}

const localDateOf = (at: Date) => localDate(at, -at.getTimezoneOffset());
