// The heavy jobs (backup, verify, restore) run on a job thread (io/job-thread.ts, the script
// cli/job-worker.ts) with a capped young generation: at 400,000 files that keeps ~25 MB of
// garbage out of the process's peak (docs/performance.md, "Third round"). This side hands the
// thread the session's environment and its `now`, prints the job's notes and warnings through
// the session's log, passes progress events on, and relays Ctrl+C (the scope's signal).
import { runJobThread } from '../io/job-thread.js';
import { workerUrl } from '../io/worker-url.js';
import type { Environment, Session } from '../jobs/session.js';
import type { Context } from './context.js';

/** What crosses into the thread: the environment without its clock (rebuilt there), the run's `now`, the job's arguments. */
export interface JobInput<A> {
  env: Omit<Environment, 'clock'> & { fixedNow?: string };
  now: string;
  args: A;
}

/** Restore's progress as it crosses the thread boundary (jobs/restore.ts RestoreRun's callbacks). */
export type RestoreEvent = { type: 'start'; snapshot: string; drive: string } | { type: 'file'; files: number; bytes: number; snapshot: string };

export type JobMessage = { type: 'log'; level: 'note' | 'warn' | 'line'; text: string } | { type: 'event'; event: unknown };

/**
 * The Environment's fields that cross (a Context also holds streams and functions, which stay
 * here). A field added to Environment and not listed here fails to compile: otherwise backup,
 * verify and restore alone would run without it, silently.
 */
type Crossing = Exclude<keyof Environment, 'clock'>;
const everyField = <K extends Crossing>(keys: readonly K[] & ([Exclude<Crossing, K>] extends [never] ? unknown : { missing: Exclude<Crossing, K> })) => keys;
const ENV_FIELDS = everyField(['stateDir', 'configPath', 'configExplicit', 'drivesRoot', 'mountRoots', 'user', 'platform', 'version', 'stallMs', 'racySeconds',
  'watchIntervalMs', 'mountWaitMs']);

function environmentOf(ctx: Context, s: Session): JobInput<never>['env'] {
  const env: Record<string, unknown> = {};
  for (const k of ENV_FIELDS) if (s.env[k] !== undefined) env[k] = s.env[k];
  if (ctx.fixedNow !== undefined) env.fixedNow = ctx.fixedNow;
  return env as JobInput<never>['env'];
}

/** Runs job `name` of cli/job-worker.ts on a job thread; `onEvent` gets its progress events. */
export function jobInThread<R, A>(ctx: Context, s: Session, name: 'backup' | 'verify' | 'restore', args: A,
  onEvent: (e: never) => void, signal?: AbortSignal): Promise<R> {
  const input: JobInput<A> = { env: environmentOf(ctx, s), now: s.now.toISOString(), args };
  return runJobThread<R>({
    url: workerUrl('./job-worker.js', import.meta.url), job: name, input, signal,
    onEvent: (m) => {
      const msg = m as JobMessage;
      if (msg.type === 'event') onEvent(msg.event as never);
      else s.log[msg.level](msg.text);
    },
  }).finally(() => s.stateChangedElsewhere()); // the thread saved the catalog (maybe the config): read again, never saved over
}
