// `airgap watch`: drive arrivals and departures as they happen (drives/watch.ts), one line or
// one JSON object per event, until Ctrl+C, --once or --timeout.
import { EXIT } from '../../core/errors.js';
import { usbPlugEvents } from '../../drives/plug-events.js';
import { watchDrives, type DriveEvent } from '../../drives/watch.js';
import { renderDriveEvent } from '../../ui/render-drives.js';
import type { Context } from '../context.js';
import { detect } from '../../jobs/drive-lookup.js';
import { cancelScope } from '../interrupt.js';
import { sessionOf } from '../session-of.js';

export interface WatchFlags {
  once?: boolean;
  timeout?: string;
}

export async function watchCommand(ctx: Context, flags: WatchFlags): Promise<number> {
  const timeoutS = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) {
    const { usageError } = await import('../../core/errors.js');
    throw usageError('bad-timeout', `--timeout must be a number of seconds, got "${flags.timeout}"`, 'e.g. --timeout 30');
  }
  const s = sessionOf(ctx);
  const stop = new AbortController();
  let arrived = false;
  let cancelled = false;
  const { events: plug, unavailable } = await usbPlugEvents();
  const intervalMs = ctx.watchIntervalMs;
  if (unavailable) ctx.stderr.write(`note: no USB events here (${unavailable}); checking for drives every ${(intervalMs / 1000).toFixed(1)} s\n`);
  if (!ctx.json) ctx.stderr.write(`Watching for drives${flags.once ? ' (until one arrives)' : ''}; Ctrl+C to stop.\n`);
  const cancel = cancelScope(() => {
    cancelled = true;
    stop.abort();
  });
  const timer = timeoutS ? setTimeout(() => stop.abort(), timeoutS * 1000) : undefined;
  const emit = (e: DriveEvent | { type: 'timeout'; at: string; seconds: number }) => {
    ctx.stdout.write(ctx.json ? JSON.stringify(e) + '\n' : renderDriveEvent(e));
  };
  try {
    await watchDrives({
      detect: () => detect(s),
      signal: stop.signal,
      clock: ctx.clock,
      intervalMs,
      mountWaitMs: ctx.mountWaitMs,
      plug,
      onEvent: (e) => {
        emit(e);
        if (flags.once && e.type === 'arrived') {
          arrived = true;
          stop.abort();
        }
      },
    });
  } finally {
    if (timer) clearTimeout(timer);
    cancel.close();
  }
  if (cancelled) return EXIT.cancelled;
  if (timeoutS && !arrived) emit({ type: 'timeout', at: ctx.clock().toISOString(), seconds: timeoutS });
  return EXIT.ok;
}
