// How a snapshot write ends when it does not complete: the same errors from the checks before
// the write (prepare-snapshot.ts) and from the write itself (write-snapshot.ts).
import { AirgapError, EXIT, refusal } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import type { SourceProblem } from '../layout/format.js';
import { plural } from '../core/plural.js';

/** An error from the drive in its user's words (full, gone, read-only); airgap's own errors as they are. */
export function asDriveError(e: unknown, driveName: string): unknown {
  if (e instanceof AirgapError) return e;
  return driveWriteError(e as NodeJS.ErrnoException, driveName) ?? e;
}

/** --strict: some source paths cannot be stored as they are. */
export function strictRefusal(problems: SourceProblem[]): AirgapError {
  const p = problems[0]!;
  return refusal('strict', `--strict: ${plural(problems.length, 'path')} cannot be stored as they are, e.g. ${p.path}: ${p.message}`,
    'fix those paths (or run without --strict to back up the rest and list them); nothing was written');
}

/** Ctrl+C (the abort signal): exit 130, nothing kept. */
export function cancelled(): AirgapError {
  return new AirgapError('cancelled', 'backup cancelled; the unfinished snapshot was removed', EXIT.cancelled,
    'nothing was written; run the backup again when you are ready');
}
