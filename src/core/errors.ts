// One error hierarchy: every expected failure carries a stable code, an exit code and a hint.
// cli/exit.ts is the only place that turns these into output and process exit codes.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  damaged: 3,
  refused: 4,
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class AirgapError extends Error {
  constructor(
    /** Stable identifier: tests and docs match on it, never on the text. */
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    /** One line: what the user can do next. */
    readonly hint?: string,
    /** Structured data for --json output (e.g. the change report of a tripped gate). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AirgapError';
  }
}

/** Bad flags, bad config, unknown names: the user asked for something we cannot parse. */
export const usageError = (code: string, message: string, hint?: string) =>
  new AirgapError(code, message, EXIT.usage, hint);

/** The request is understood but unsafe or impossible: wrong drive, no space, locked. */
export const refusal = (code: string, message: string, hint?: string) =>
  new AirgapError(code, message, EXIT.refused, hint);

/** Verification found damage (or a file we need is unreadable as data). */
export const damage = (code: string, message: string, hint?: string) =>
  new AirgapError(code, message, EXIT.damaged, hint);

export const isAirgapError = (e: unknown): e is AirgapError => e instanceof AirgapError;
