// What `airgap watch` does when a drive of the config's rotation arrives (config `onArrival`,
// docs/reminders.md): a desktop notification saying whether its backup is due, or — with
// "backup" and the drive due — the unattended backup onto it, then a verify and an eject, and a
// notification of the outcome.
//
// The steps run as airgap's own command line in a child process (`airgap backup --drive <path>
// --json`, then verify, then eject), not in-process: a backup that fails, hangs up or even
// crashes is then a line and a notification of the watcher, never its end; each run is recorded
// in the run history (`airgap log`) by the command itself, as if the user had typed it; and
// Ctrl+C or systemd's SIGTERM reaches the backup, which stops at its next safe point.
//
// One arrival at a time (a queue): never two backups at once. A drive already being handled (or
// waiting its turn) that arrives again is not handled twice.
import { assessArrival, type ArrivedDrive } from '../jobs/arrival.js';
import { notify, type NotifyOutcome } from '../io/notify.js';
import { runProgram, type ProgramResult } from '../io/run-program.js';
import { arrivalMessage, arrivalTitle, type ArrivalStep } from '../ui/render-arrival.js';
import type { Context } from './context.js';
import { sessionOf } from './session-of.js';

export interface ArrivalOptions {
  /** The command line that runs airgap itself: node, bin/airgap.js and the global flags of this watch (--config, --drives-root, the key flags). */
  self: string[];
  /** Aborted by Ctrl+C or SIGTERM: a running step gets SIGTERM and cleans up. */
  cancel: AbortSignal;
  emit: (e: ArrivalStep) => void;
}

type StepOutcome = { ok: true; json: Record<string, unknown> } | { ok: false; message: string };

export class ArrivalActions {
  private readonly handling = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Context, private readonly opts: ArrivalOptions) {}

  /** A drive arrived: handled after the ones before it, unless it is already being handled. */
  arrived(drive: ArrivedDrive): void {
    if (this.handling.has(drive.id)) {
      this.step(drive.name, 'busy', `drive ${drive.name} is already being handled: not handled twice`);
      return;
    }
    this.handling.add(drive.id);
    this.queue = this.queue
      .then(() => this.handle(drive))
      // Whatever went wrong is reported; the watcher goes on.
      .catch((e: unknown) => this.fail(drive.name, e instanceof Error ? e.message : String(e)))
      .finally(() => this.handling.delete(drive.id));
  }

  /** Resolves once every arrival received so far is handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private step(drive: string, step: ArrivalStep['step'], message: string, extra: Partial<ArrivalStep> = {}): void {
    this.opts.emit({ type: 'action', at: this.ctx.clock().toISOString(), drive, step, message, ...extra });
  }

  private notify(drive: string, step: ArrivalStep['step'], body: string): Promise<NotifyOutcome> {
    return notify({ title: arrivalTitle(drive, step), body }, { platform: this.ctx.platform, env: process.env });
  }

  private async handle(d: ArrivedDrive): Promise<void> {
    // A new session each time: the watcher runs for days, and the config may have changed.
    const decision = await assessArrival(sessionOf(this.ctx), d);
    // Said, not silent: a drive labelled a moment ago may not be bound to its name yet.
    if (decision.action === 'none') return this.step(d.name, 'ignored', decision.why);
    if (decision.action === 'notify') {
      const message = arrivalMessage(decision);
      const step = decision.due ? 'due' : 'not-due';
      this.step(decision.drive, step, message, { notification: await this.notify(decision.drive, step, message) });
      return;
    }
    await this.backupOnto(decision.drive, d.root);
  }

  private async backupOnto(drive: string, root: string): Promise<void> {
    this.step(drive, 'backup', `Drive ${drive} is connected and due (onArrival: backup): backing up now`);
    const backup = await this.run(['backup', '--drive', root]);
    if (!backup.ok) return this.fail(drive, `the backup failed: ${backup.message}`);
    const snapshot = String(backup.json.snapshot ?? '');
    this.step(drive, 'verify', `snapshot ${snapshot} written onto drive ${drive}; verifying the drive`, { snapshot });
    const verify = await this.run(['verify', root]);
    if (!verify.ok) return this.fail(drive, `snapshot ${snapshot} was written, but verifying drive ${drive} failed: ${verify.message}`);
    const eject = await this.run(['eject', root]);
    const ejected = !eject.ok ? `not ejected (${eject.message}): eject it yourself before unplugging`
      : eject.json.simulated ? 'a simulated drive (under --drives-root): nothing to power off, nothing ejected'
        : `ejected${eject.json.poweredOff ? ' and powered off' : ''}: safe to unplug`;
    this.step(drive, 'eject', `drive ${drive}: ${ejected}`);
    const message = `Drive ${drive}: snapshot ${snapshot} written and verified; ${ejected}`;
    this.step(drive, 'done', message, { snapshot, notification: await this.notify(drive, 'done', message) });
  }

  private async fail(drive: string, why: string): Promise<void> {
    const message = `Drive ${drive}: ${why}`;
    this.step(drive, 'failed', message, { notification: await this.notify(drive, 'failed', message) });
  }

  /** One airgap command in a child process, with --json: its result, or why it failed in one line. */
  private async run(args: string[]): Promise<StepOutcome> {
    const [program, ...rest] = this.opts.self;
    const r = await runProgram(program!, [...rest, ...args, '--json'], { env: { ...process.env, NO_COLOR: '1' }, signal: this.opts.cancel });
    const json = parseJson(r.stdout);
    if (r.code === 0 && json) return { ok: true, json };
    return { ok: false, message: failure(r, json) };
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The error object of --json (message and hint), else the `error:` line, else how the process ended. */
function failure(r: ProgramResult, json: Record<string, unknown> | undefined): string {
  const err = json?.error as { message?: string; hint?: string } | undefined;
  if (err?.message) return `${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  if (json && json.ok === false) return 'damage found: run airgap verify on it with --deep for the details';
  if (r.missing || r.error) return `airgap could not be started: ${r.error ?? 'not found'}`;
  const said = /^error: (.*)$/m.exec(r.stderr)?.[1];
  return `${said ?? (r.stderr.trim().split('\n').at(-1) || 'no message')} (exit ${r.code ?? 'by a signal'})`;
}
