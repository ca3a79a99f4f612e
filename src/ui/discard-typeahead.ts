// Keys typed while airgap was busy (a verify, a scan, looking for drives) are not read by anyone:
// stdin is paused between questions, so they wait in the terminal's input buffer (the kernel's,
// echoed on screen in cooked mode). The next prompt puts the terminal in raw mode and reads them
// as if typed at it: an Enter pressed during a verify answered "Write today's snapshot? (Y/n)"
// with its default. @inquirer/core defers its first render by one setImmediate to let such keys
// pass, but whether the loop polls stdin before that immediate runs depends on the phase the
// prompt is opened in; after the wizard's verify it does not, and the keys arrive once the
// prompt listens (reproduced in a real terminal: test/e2e/wizard-typeahead-terminal.test.ts).
//
// So before a question that leads to writing or deleting, whatever is already buffered is read
// and dropped: raw mode (so that a partial line counts too), stdin resumed, data discarded until
// a short quiet window passes with nothing new, then paused and the mode put back as it was.
// It is done before the prompt is shown, so a key typed at the shown prompt is never dropped.

/** The part of a TTY stdin used here (a fake one in the unit tests). */
export interface TypeaheadInput {
  isTTY?: boolean;
  isRaw?: boolean;
  readableFlowing: boolean | null;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface DiscardOptions {
  /** A window with no new input that ends the drain. A timer, not an immediate: it lets the loop poll stdin at least once. */
  quietMs?: number;
  /** The drain never lasts longer than this, even under a held-down key or a paste. */
  maxMs?: number;
  /** Ctrl+C among the dropped keys (in raw mode it is a byte, not a signal): raised as SIGINT by default. */
  onInterrupt?: () => void;
}

const QUIET_MS = 30;
const MAX_MS = 1000;
const CTRL_C = 0x03;

/** Reads and drops what is waiting on a terminal's input; returns how many bytes were dropped. Not a terminal: nothing done. */
export async function discardTypeahead(input: TypeaheadInput = process.stdin, opts: DiscardOptions = {}): Promise<number> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return 0;
  const quietMs = opts.quietMs ?? QUIET_MS;
  const end = Date.now() + (opts.maxMs ?? MAX_MS);
  const wasRaw = input.isRaw === true;
  const wasFlowing = input.readableFlowing === true;
  let dropped = 0;
  let fresh = false;
  let interrupted = false;
  const drop = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    dropped += bytes.length;
    fresh = true;
    if (bytes.includes(CTRL_C)) interrupted = true;
  };
  input.setRawMode(true);
  input.on('data', drop);
  input.resume();
  try {
    do {
      fresh = false;
      await new Promise((r) => setTimeout(r, quietMs));
    } while (fresh && Date.now() < end);
  } finally {
    input.off('data', drop);
    if (!wasFlowing) input.pause();
    input.setRawMode(wasRaw);
  }
  if (interrupted) (opts.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')))();
  return dropped;
}
