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
export function backupProgressText(p: ProgressCounts & { current: string }, elapsedS: number): string {
  const rate = elapsedS > 0 ? p.bytes / elapsedS : 0;
  const eta = etaSeconds(p, elapsedS);
  const etaText = eta === undefined ? '' : ` · ETA ${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, '0')}`;
  const folder = p.current.includes('/') ? p.current.slice(0, p.current.lastIndexOf('/')) : p.current;
  return `${p.entries}/${p.totalEntries} entries · ${bytes(p.bytes)}/${bytes(p.totalBytes)} · ${bytes(rate)}/s${etaText} · ${folder}`;
}

export interface ProgressCounts { entries: number; totalEntries: number; bytes: number; totalBytes: number }

/**
 * What one file costs beside its bytes, in bytes: opening it, its tar header and padding, its
 * manifest lines. A tree of small files is slow for its count, not its size; timed by bytes
 * alone, 10,000 small files read first promised hours for the one large file after them.
 */
const FILE_COST = 64 * 1024;
/** Before this much time and this share of the work, a rate says nothing yet: no ETA. */
const ETA_AFTER_S = 3;
const ETA_AFTER_SHARE = 0.01;

/** Seconds left, from the work done so far weighted by bytes and files; undefined while too early to tell. */
export function etaSeconds(p: ProgressCounts, elapsedS: number): number | undefined {
  const done = p.bytes + p.entries * FILE_COST;
  const total = Math.max(done, p.totalBytes + p.totalEntries * FILE_COST);
  if (elapsedS < ETA_AFTER_S || done <= 0 || done / total < ETA_AFTER_SHARE) return undefined;
  return (elapsedS * (total - done)) / done;
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
