// The run history's one writer: a backup, verify, restore, drill or prune run, as the cli knows it once
// the job is done (its result, or the error it ended with, and the exit code either gives),
// appended to the state folder's runs.jsonl (state/run-log.ts). Used by the commands and, through
// the same *WithProgress functions, by the wizard. Recording never changes the run: a failed
// write is one warning on stderr, and the job's result or error goes on as it was.
import type { Session } from '../jobs/session.js';
import { asAirgapError, exitCodeOf } from './exit.js';
import { appendRun, RUN_LOG_FILE, type RunCommand, type RunFigures, type RunOutcome, type RunRecord } from '../state/run-log.js';
import { EXIT } from '../core/errors.js';
import { displayText } from '../ui/render.js';
import type { Context } from './context.js';

/** What a command's result says about its run (each command module has its own). */
export interface RunSummary {
  outcome: RunOutcome;
  exitCode: number;
  /** The drive's name (before the job ran, only the name or path the user gave is known). */
  drive?: string;
  snapshot?: string;
  figures?: RunFigures;
  /** A run that failed without an error thrown (a drill that found damage): what failed, for `airgap log`. */
  error?: { code: string; message: string };
}

/**
 * Runs `job` and records it: `summarize` turns its result into the record; an error is recorded
 * with its exit code (cli/exit.ts) and thrown on. `drive` is what the command line named, kept
 * when the job ended before it knew the drive's name.
 */
export async function recordRun<R>(ctx: Pick<Context, 'stateDir' | 'stderr'>, s: Session, command: RunCommand, drive: string | undefined,
  job: () => Promise<R>, summarize: (r: R) => RunSummary): Promise<R> {
  const started = Date.now();
  const base = { at: s.now.toISOString(), command, ...(drive !== undefined ? { drive } : {}) };
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  let result: R;
  try {
    result = await job();
  } catch (e) {
    await append(ctx, () => failedRecord(base, e, seconds()));
    throw e;
  }
  await append(ctx, () => {
    const { figures, ...rest } = summarize(result);
    return { ...base, ...rest, figures: { ...figures, seconds: seconds() } };
  });
  return result;
}

function failedRecord(base: Pick<RunRecord, 'at' | 'command' | 'drive'>, e: unknown, seconds: number): RunRecord {
  const exitCode = exitCodeOf(e);
  const known = asAirgapError(e);
  return {
    ...base, outcome: outcomeOfExit(exitCode), exitCode, figures: { seconds },
    error: known ? { code: known.code, message: known.message } : { code: 'internal', message: e instanceof Error ? e.message : String(e) },
  };
}

/** A run that ended with an error: its outcome named after the exit code. */
export function outcomeOfExit(code: number): RunOutcome {
  switch (code) {
    case EXIT.ok: return 'ok';
    case EXIT.usage: return 'usage';
    case EXIT.damaged: return 'damaged';
    case EXIT.refused: return 'refused';
    case EXIT.cancelled: return 'cancelled';
    default: return 'failed';
  }
}

async function append(ctx: Pick<Context, 'stateDir' | 'stderr'>, record: () => RunRecord): Promise<void> {
  try {
    await appendRun(ctx.stateDir, record());
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    ctx.stderr.write(`warning: this run was not recorded in the run history (${displayText(`${ctx.stateDir}/${RUN_LOG_FILE}`)}: ${displayText(why)})\n`);
  }
}
