// Waits for drives to arrive and leave. Polls detection every ~2 s; a USB plug event (when a
// bus exists) triggers a poll at once, and then polls quickly for a while, because the event
// fires before the partition is mounted. A new removable disk that stays unmounted is reported
// once as "plugged in but not mounted", with its device path.
import type { Detection } from './detect.js';
import type { PlugEvents } from './plug-events.js';
import type { RunInProgress } from '../core/status-model.js';

export type WatchedDrive =
  | { kind: 'labelled'; name: string; id: string; root: string; device?: string; leftovers?: string[]; inProgress?: RunInProgress }
  | { kind: 'unlabelled'; device: string; description: string; mountpoints: string[] };

export type DriveEvent =
  | { type: 'present' | 'arrived' | 'left'; at: string; drive: WatchedDrive }
  | { type: 'not-mounted'; at: string; device: string; description: string };

export interface WatchOptions {
  detect: () => Promise<Detection>;
  onEvent: (e: DriveEvent) => void;
  signal: AbortSignal;
  clock: () => Date;
  intervalMs?: number;
  /** After a plug event, poll every `fastMs` for `fastForMs`. */
  fastMs?: number;
  fastForMs?: number;
  /** How long a new disk may stay unmounted before it is reported as such. */
  mountWaitMs?: number;
  plug?: PlugEvents;
  /** Called once, after the first look at the drives: a drive that comes after it is an arrival. */
  onReady?: () => void;
}

const keyOf = (d: WatchedDrive) => (d.kind === 'labelled' ? `airgap:${d.id}:${d.root}` : `disk:${d.device}:${d.mountpoints.join(',')}`);

function snapshot(det: Detection): Map<string, WatchedDrive> {
  const m = new Map<string, WatchedDrive>();
  for (const d of det.labelled) {
    const w: WatchedDrive = { kind: 'labelled', name: d.identity.name, id: d.identity.id, root: d.root };
    if (d.device) w.device = d.device;
    if (d.leftovers?.length) w.leftovers = d.leftovers;
    if (d.inProgress) w.inProgress = d.inProgress;
    m.set(keyOf(w), w);
  }
  for (const u of det.unlabelled) {
    const w: WatchedDrive = { kind: 'unlabelled', device: u.device, description: u.description, mountpoints: u.mountpoints };
    m.set(keyOf(w), w);
  }
  return m;
}

/** Runs until the signal aborts. Detection errors are retried at the next poll. */
export async function watchDrives(opts: WatchOptions): Promise<void> {
  const interval = opts.intervalMs ?? 2000;
  const fastMs = opts.fastMs ?? 250;
  const fastFor = opts.fastForMs ?? 15_000;
  const mountWait = opts.mountWaitMs ?? 10_000;
  const at = () => opts.clock().toISOString();
  let fastUntil = 0;
  let wake: (() => void) | undefined;
  opts.plug?.start(() => {
    fastUntil = Date.now() + fastFor;
    wake?.();
  });
  const unmountedSince = new Map<string, number>();
  const reportedUnmounted = new Set<string>();
  const announced = new Set<string>(); // only what was announced can be said to leave
  let known: Map<string, WatchedDrive> | undefined;
  try {
    while (!opts.signal.aborted) {
      let now: Map<string, WatchedDrive> | undefined;
      try {
        now = snapshot(await opts.detect());
      } catch {
        now = undefined; // a transient failure (a disk vanishing mid-listing): try again
      }
      if (now) {
        if (known) {
          for (const [k, d] of known) {
            if (!now.has(k) && announced.delete(k)) opts.onEvent({ type: 'left', at: at(), drive: d });
          }
        }
        for (const [k, d] of now) {
          if (!known) {
            opts.onEvent({ type: 'present', at: at(), drive: d });
            announced.add(k);
          } else if (!known.has(k)) {
            if (d.kind === 'unlabelled' && d.mountpoints.length === 0) {
              if (!unmountedSince.has(d.device)) unmountedSince.set(d.device, Date.now());
              continue; // reported when it is mounted, or when it waited too long
            }
            opts.onEvent({ type: 'arrived', at: at(), drive: d });
            announced.add(k);
          }
        }
        for (const [device, since] of unmountedSince) {
          const still = [...now.values()].find((d) => d.kind === 'unlabelled' && d.device === device && d.mountpoints.length === 0);
          if (!still) unmountedSince.delete(device);
          else if (Date.now() - since >= mountWait && !reportedUnmounted.has(device) && still.kind === 'unlabelled') {
            reportedUnmounted.add(device);
            opts.onEvent({ type: 'not-mounted', at: at(), device, description: still.description });
          }
        }
        if (!known) opts.onReady?.();
        known = now;
      }
      const delay = Date.now() < fastUntil ? fastMs : interval;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          opts.signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(done, delay);
        wake = done;
        opts.signal.addEventListener('abort', done);
      });
    }
  } finally {
    opts.plug?.stop();
  }
}
