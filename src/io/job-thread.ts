// One job (backup, verify, restore) run on a worker thread of its own, with its young generation
// capped, while the main thread parses the command line, draws the progress line, relays Ctrl+C
// and prints the result. Why (docs/performance.md, "Third round"): V8 grows the main thread's
// young generation to 32 MB under steady allocation and promotes garbage from it; only node's
// own command line can cap it there, but a Worker's `resourceLimits` can cap it for a thread.
//
// Both sides are here: `runJobThread` (the caller) and `serveJob` (the worker script's body).
// Messages, in order: the worker posts `event`s (progress, notes: coalesced when asked, see
// `post`), then one `done` (the result) or `failed` (the error, our own with its code, exit code
// and hint intact); the caller may post one `abort` (Ctrl+C), which aborts the job's signal.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { AirgapError, isAirgapError, type ExitCode } from '../core/errors.js';

/** The young generation of a job thread, in MB (V8's default grows to 32 under steady allocation). */
export const JOB_YOUNG_GENERATION_MB = 4;

type ToWorker = { type: 'abort' };
type FromWorker =
  | { type: 'event'; event: unknown }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: ThrownError };

/** An error as it crosses the thread boundary: ours keep their code, exit code, hint and details. */
interface ThrownError {
  airgap?: { code: string; exitCode: ExitCode; hint?: string; details?: unknown };
  name: string;
  message: string;
  stack?: string;
}

export interface JobThreadRun {
  /** The compiled worker script (io/worker-url.ts): it calls `serveJob`. */
  url: URL;
  /** Which job the script runs, and its input (structured-cloneable). */
  job: string;
  input: unknown;
  /** Every event the job posts, in order. */
  onEvent: (event: unknown) => void;
  /** Aborted: the job's own signal is aborted (it stops at its next safe point). */
  signal?: AbortSignal;
  youngGenerationMb?: number;
}

/** Runs `job` on a new worker thread; resolves with its result or rejects with its error. */
export function runJobThread<R>(run: JobThreadRun): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(run.url, {
      workerData: { job: run.job, input: run.input },
      resourceLimits: { maxYoungGenerationSizeMb: run.youngGenerationMb ?? JOB_YOUNG_GENERATION_MB },
    });
    let settled = false;
    const onAbort = () => worker.postMessage({ type: 'abort' } satisfies ToWorker);
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'event') run.onEvent(m.event);
      else if (m.type === 'done') settle(() => resolve(m.result as R));
      else settle(() => reject(revive(m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the job thread (${run.job}) ended without a result (exit code ${code})`))));
  });
}

function revive(t: ThrownError): Error {
  const e = t.airgap ? new AirgapError(t.airgap.code, t.message, t.airgap.exitCode, t.airgap.hint, t.airgap.details) : new Error(t.message);
  if (!t.airgap) e.name = t.name;
  if (t.stack) e.stack = t.stack;
  return e;
}

function thrown(e: unknown): ThrownError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const base = { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  if (!isAirgapError(e)) return base;
  return { ...base, airgap: { code: e.code, exitCode: e.exitCode, ...(e.hint !== undefined ? { hint: e.hint } : {}), ...(e.details !== undefined ? { details: e.details } : {}) } };
}

/** What a job sees of its thread. */
export interface JobPort {
  /**
   * Posts an event to the caller. `coalesce`: a progress figure that the next one supersedes;
   * at most one such event per 50 ms is posted (the latest, and always before anything else).
   */
  post(event: unknown, coalesce?: boolean): void;
  /** Aborted when the caller relays Ctrl+C or SIGTERM. */
  signal: AbortSignal;
}

export type JobHandler = (input: never, port: JobPort) => Promise<unknown>;

const COALESCE_MS = 50;

/**
 * The worker script's body: runs the job `runJobThread` named with its input, and posts its
 * result or error. `toError` turns what the job threw into the error to report (e.g. damaged
 * on-drive data as an AirgapError), applied before it crosses the boundary.
 */
export async function serveJob(jobs: Record<string, JobHandler>, toError: (e: unknown) => unknown = (e) => e): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveJob runs on a job thread only');
  const { job, input } = workerData as { job: string; input: unknown };
  const abort = new AbortController();
  port.on('message', (m: ToWorker) => m.type === 'abort' && abort.abort());
  let pending: unknown;
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const send = (m: FromWorker) => port.postMessage(m);
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === undefined) return;
    last = Date.now();
    send({ type: 'event', event: pending });
    pending = undefined;
  };
  const post = (event: unknown, coalesce = false) => {
    if (!coalesce) {
      flush();
      return send({ type: 'event', event });
    }
    pending = event;
    const wait = last + COALESCE_MS - Date.now();
    if (wait <= 0) flush();
    else timer ??= setTimeout(flush, wait);
  };
  try {
    const handler = jobs[job];
    if (!handler) throw new Error(`no job named ${job}`);
    const result = await handler(input as never, { post, signal: abort.signal });
    flush();
    send({ type: 'done', result });
  } catch (e) {
    flush();
    send({ type: 'failed', error: thrown(toError(e)) });
  } finally {
    port.removeAllListeners('message');
  }
}
