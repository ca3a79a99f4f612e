// A desktop notification through the desktop's own program: notify-send on Linux (libnotify),
// osascript on macOS. No notification library (node-notifier bundles 5.6 MB of binaries and on
// Linux only calls notify-send). A notification is a courtesy on top of what the command prints
// and its exit code: every way it can fail is an outcome, never an exception.
import { execFile, type ExecFileException } from 'node:child_process';

export interface Notification {
  title: string;
  body: string;
}

export type NotifyOutcome = { sent: true; via: string } | { sent: false; reason: string };

export interface NotifyHost {
  platform: NodeJS.Platform;
  /** The environment the program runs in: PATH finds it, DISPLAY/DBUS_SESSION_BUS_ADDRESS reach the desktop. */
  env: Record<string, string | undefined>;
  /** A notifier that does not answer is killed after this long (a reminder must not hang a timer). */
  timeoutMs?: number;
}

const TIMEOUT_MS = 5000;

/** The program and its arguments for this desktop, or why there is none. */
export function notifier(n: Notification, host: Pick<NotifyHost, 'platform' | 'env'>): { program: string; args: string[] } | { reason: string } {
  if (host.platform === 'darwin') {
    // The texts go in as arguments of the script, never spliced into it: no AppleScript quoting to get wrong.
    return { program: 'osascript', args: ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', n.title, n.body] };
  }
  if (host.platform === 'win32') return { reason: 'no notifier on Windows yet' };
  const e = host.env;
  // Without a session bus or a display, notify-send can only fail (or try to start a bus of its own).
  if (!e.DBUS_SESSION_BUS_ADDRESS && !e.DISPLAY && !e.WAYLAND_DISPLAY) return { reason: 'no desktop session (no DBUS_SESSION_BUS_ADDRESS, DISPLAY or WAYLAND_DISPLAY)' };
  // `--` ends the options: a message that starts with "-" is still the message.
  return { program: 'notify-send', args: ['--app-name=airgap', '--', n.title, n.body] };
}

/** Shows `n` on the desktop if it can; resolves with what happened, never rejects. */
export function notify(n: Notification, host: NotifyHost): Promise<NotifyOutcome> {
  const how = notifier(n, host);
  if ('reason' in how) return Promise.resolve({ sent: false, reason: how.reason });
  return new Promise((resolve) => {
    try {
      const child = execFile(how.program, how.args, { env: host.env, timeout: host.timeoutMs ?? TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, windowsHide: true }, (err, _stdout, stderr) => {
        if (!err) return resolve({ sent: true, via: how.program });
        resolve({ sent: false, reason: failure(how.program, err, String(stderr), host.timeoutMs ?? TIMEOUT_MS) });
      });
      // execFile answers once the pipes close; a daemon the notifier starts (a D-Bus launched for
      // it) may hold them open for hours. The notifier's own exit is the answer: close our ends.
      child.once('exit', () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      });
      child.stdin?.end();
    } catch (e) {
      resolve({ sent: false, reason: `${how.program} could not be started: ${(e as Error).message}` });
    }
  });
}

function failure(program: string, err: ExecFileException, stderr: string, timeoutMs: number): string {
  if (err.code === 'ENOENT') return `${program} not found on PATH`;
  if (err.killed) return `${program} did not answer within ${timeoutMs / 1000} s`;
  const said = stderr.trim().split('\n')[0];
  return `${program} failed${typeof err.code === 'number' ? ` (exit ${err.code})` : ''}${said ? `: ${said}` : ''}`;
}
