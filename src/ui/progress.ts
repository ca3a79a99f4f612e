// Live progress on stderr (ora), only on a terminal; silent otherwise. Stopped before any
// prompt and before the final summary is printed.
import type { Ora } from 'ora';
import { bytes } from './render.js';

export interface Progress {
  /** Takes a function so that the text is only built when it will be shown (hot paths). */
  update(text: () => string): void;
  succeed(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, succeed() {}, stop() {} };

/** ora is loaded only when a spinner will be shown (it costs ~60 ms of start-up). */
export async function startProgress(enabled: boolean, text: string): Promise<Progress> {
  if (!enabled) return silent;
  const { default: ora } = await import('ora');
  const spinner: Ora = ora({ text, stream: process.stderr, discardStdin: false }).start();
  let last = 0;
  return {
    update(t) {
      const now = Date.now();
      if (now - last < 100) return; // redraw at most 10 times a second
      last = now;
      spinner.text = t();
    },
    succeed(t) {
      spinner.succeed(t);
    },
    stop() {
      spinner.stop();
    },
  };
}

/** "1,234/5,000 files · 1.2 GB/3.4 GB · 85 MB/s · ETA 0:30 · docs/photos" */
export function backupProgressText(p: { entries: number; totalEntries: number; bytes: number; totalBytes: number; current: string }, elapsedS: number): string {
  const rate = elapsedS > 0 ? p.bytes / elapsedS : 0;
  const eta = rate > 0 ? Math.max(0, (p.totalBytes - p.bytes) / rate) : undefined;
  const etaText = eta === undefined ? '' : ` · ETA ${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, '0')}`;
  const folder = p.current.includes('/') ? p.current.slice(0, p.current.lastIndexOf('/')) : p.current;
  return `${p.entries}/${p.totalEntries} entries · ${bytes(p.bytes)}/${bytes(p.totalBytes)} · ${bytes(rate)}/s${etaText} · ${folder}`;
}

/**
 * A progress line that appears with the first update (a job reports its first step only once it
 * knows what it works on), so that notes printed before it are not drawn over.
 */
export function lazyProgress(enabled: boolean): Progress {
  if (!enabled) return silent;
  let shown: Progress | undefined;
  let starting: Promise<void> | undefined;
  let latest: (() => string) | undefined;
  let stopped = false;
  return {
    update(t) {
      if (shown) return shown.update(t);
      latest = t;
      starting ??= startProgress(true, t()).then((p) => {
        shown = p;
        if (stopped) p.stop();
        else if (latest && latest !== t) p.update(latest);
      });
    },
    succeed(t) {
      stopped = true;
      if (shown) shown.succeed(t);
    },
    stop() {
      stopped = true;
      shown?.stop();
    },
  };
}
