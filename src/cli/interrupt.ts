// Ctrl+C (SIGINT) and SIGTERM for the whole process: one listener each, installed by main() at
// start-up and kept until the process ends.
//
// Why one permanent listener and not a `process.once` per command: libraries install their own
// signal handling. ora's cursor restore (restore-cursor → signal-exit) adds a SIGINT listener
// that, when it finds no other listener left, removes itself and re-raises the signal, which
// then kills the process. A `once` listener is removed before that check runs, so in a
// terminal (spinner live) Ctrl+C killed a backup by the signal, leaving the `.partial-*` folder
// and the lock behind, while `kill -INT` without a terminal (no spinner) worked. A listener that
// is always there makes the re-raise land here again, harmlessly.
//
// Work that must clean up (a backup's partial snapshot, a restore's staging folder, a wait for
// a drive) opens a cancellation scope: a signal aborts every open scope, and the command stops
// at its next safe point, cleans up, and exits 130. With no scope open, there is nothing
// half-done to undo, and the process exits 130 at once.
import { EXIT } from '../core/errors.js';

const scopes = new Set<AbortController>();
let installed = false;

export interface CancelScope {
  signal: AbortSignal;
  /** Leaves the scope (in a finally): later signals no longer reach this work. */
  close(): void;
}

/** Opens a cancellation scope; `onCancel` runs once, at the first signal. */
export function cancelScope(onCancel?: () => void): CancelScope {
  const controller = new AbortController();
  if (onCancel) controller.signal.addEventListener('abort', onCancel, { once: true });
  scopes.add(controller);
  return { signal: controller.signal, close: () => void scopes.delete(controller) };
}

/**
 * Installs the process's SIGINT/SIGTERM listeners (once). A repeated signal (a second Ctrl+C, or
 * signal-exit's re-raise) only aborts again, which does nothing: the clean-up is not skipped.
 */
export function installInterruptHandling(stderr: NodeJS.WritableStream = process.stderr): void {
  if (installed) return;
  installed = true;
  const onSignal = () => {
    if (scopes.size === 0) {
      stderr.write('\nerror: cancelled\n');
      process.exit(EXIT.cancelled);
    }
    for (const s of scopes) s.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
