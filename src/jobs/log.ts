// The log job: the run history of this host (state/run-log.ts), newest first, at most `limit`
// runs. Damaged lines (a run cut off mid-write) are skipped with a note, never an error.
import { join } from 'node:path';
import { refusal, usageError } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { readRuns, RUN_LOG_FILE, RUN_LOG_OLD_FILE, type LoggedRun } from '../state/run-log.js';
import type { Session } from './session.js';

export type { LoggedRun } from '../state/run-log.js';

export const DEFAULT_LOG_LIMIT = 50;

export interface LogOptions {
  /** `--limit` as given (default DEFAULT_LOG_LIMIT). */
  limit?: string;
}

export interface LogResult {
  /** Newest first, at most the limit. */
  runs: LoggedRun[];
  /** Runs in the history (both files, as far as read). */
  total: number;
  /** Lines that were not a run record, skipped. */
  skipped: number;
  file: string;
}

/** `--limit`'s value: a whole number from 1. */
export function logLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LOG_LIMIT;
  const n = /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1)) throw usageError('bad-limit', `--limit ${JSON.stringify(raw)} is not a whole number of runs from 1`, `e.g. --limit 20 (default ${DEFAULT_LOG_LIMIT})`);
  return n;
}

export async function runLog(s: Session, opts: LogOptions = {}): Promise<LogResult> {
  const limit = logLimit(opts.limit);
  const file = join(s.env.stateDir, RUN_LOG_FILE);
  let history;
  try {
    history = await readRuns(s.env.stateDir);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOTREG' || !(e as NodeJS.ErrnoException).code ? (e as Error).message : (e as NodeJS.ErrnoException).code;
    throw refusal('run-log-unreadable', `cannot read the run history in ${s.env.stateDir}: ${why}`,
      `move ${RUN_LOG_FILE} and ${RUN_LOG_OLD_FILE} out of the way (the next run starts a new history), or fix their permissions`);
  }
  if (history.skipped) s.log.note(`${plural(history.skipped, 'damaged line')} in the run history skipped (${file}): a run cut off while it was being recorded`);
  if (history.truncated) s.log.note('the run history is larger than expected: only its most recent part was read');
  return { runs: history.runs.slice(-limit).reverse(), total: history.runs.length, skipped: history.skipped, file };
}
