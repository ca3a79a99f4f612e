// `airgap watch`: drive arrivals and departures as they happen (drives/watch.ts), one line or
// one JSON object per event, until Ctrl+C, --once or --timeout. With a config, a drive of its
// rotation that arrives is acted on (cli/arrival-actions.ts: notify, or the unattended backup).
import { EXIT } from '../../core/errors.js';
import { usbPlugEvents } from '../../drives/plug-events.js';
import { watchDrives, type DriveEvent } from '../../drives/watch.js';
import { renderDriveEvent } from '../../ui/render-drives.js';
import { renderArrivalStep, type ArrivalStep } from '../../ui/render-arrival.js';
import type { Context } from '../context.js';
import { detect } from '../../jobs/drive-lookup.js';
import { cancelScope } from '../interrupt.js';
import { sessionOf } from '../session-of.js';
import { ArrivalActions } from '../arrival-actions.js';
import { airgapBin } from './service.js';

export interface WatchFlags {
  once?: boolean;
  timeout?: string;
  /** The global key flags, passed on to the backups an arrival runs. */
  identity?: string;
  passphraseFile?: string;
  passphraseEnv?: string;
}

type WatchOutput = DriveEvent | ArrivalStep | { type: 'timeout'; at: string; seconds: number } | { type: 'ready'; at: string; onArrival?: string };

export async function watchCommand(ctx: Context, flags: WatchFlags): Promise<number> {
  const timeoutS = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) {
    const { usageError } = await import('../../core/errors.js');
    throw usageError('bad-timeout', `--timeout must be a number of seconds, got "${flags.timeout}"`, 'e.g. --timeout 30');
  }
  const s = sessionOf(ctx);
  // A damaged config is an error here too (a typo in onArrival must not make the watcher silently passive).
  const config = await s.config();
  const stop = new AbortController();
  const cancelled = new AbortController();
  let arrived = false;
  const { events: plug, unavailable } = await usbPlugEvents();
  const intervalMs = ctx.watchIntervalMs;
  if (unavailable) ctx.stderr.write(`note: no USB events here (${unavailable}); checking for drives every ${(intervalMs / 1000).toFixed(1)} s\n`);
  const cancel = cancelScope(() => {
    cancelled.abort();
    stop.abort();
  });
  const timer = timeoutS ? setTimeout(() => stop.abort(), timeoutS * 1000) : undefined;
  const emit = (e: WatchOutput) => {
    if (ctx.json) ctx.stdout.write(JSON.stringify(e) + '\n');
    else if (e.type === 'action') ctx.stdout.write(renderArrivalStep(e));
    else if (e.type !== 'ready') ctx.stdout.write(renderDriveEvent(e));
  };
  const actions = config && config.drives.rotation.length ? new ArrivalActions(ctx, { self: selfCommand(ctx, flags), cancel: cancelled.signal, emit }) : undefined;
  try {
    await watchDrives({
      detect: () => detect(s),
      signal: stop.signal,
      clock: ctx.clock,
      intervalMs,
      mountWaitMs: ctx.mountWaitMs,
      plug,
      // Said once the first look is done: a drive plugged in from now on is an arrival.
      onReady: () => {
        if (ctx.json) emit({ type: 'ready', at: ctx.clock().toISOString(), ...(actions ? { onArrival: config!.onArrival } : {}) });
        else ctx.stderr.write(`Watching for drives${flags.once ? ' (until one arrives)' : ''}${actions ? ` (on arrival: ${config!.onArrival})` : ''}; Ctrl+C to stop.\n`);
      },
      onEvent: (e) => {
        emit(e);
        if (e.type === 'arrived' && e.drive.kind === 'labelled') actions?.arrived({ name: e.drive.name, id: e.drive.id, root: e.drive.root });
        if (flags.once && e.type === 'arrived') {
          arrived = true;
          stop.abort();
        }
      },
    });
    // A backup under way is finished (or, after Ctrl+C, stopped safely) before the watcher ends.
    await actions?.idle();
  } finally {
    if (timer) clearTimeout(timer);
    cancel.close();
  }
  if (cancelled.signal.aborted) return EXIT.cancelled;
  if (timeoutS && !arrived) emit({ type: 'timeout', at: ctx.clock().toISOString(), seconds: timeoutS });
  return EXIT.ok;
}

/** airgap itself, with this watch's config, drives root and key flags: what an arrival's backup runs. */
function selfCommand(ctx: Context, flags: WatchFlags): string[] {
  return [
    process.execPath, airgapBin(), '--config', ctx.configPath,
    ...(ctx.drivesRoot ? ['--drives-root', ctx.drivesRoot] : []),
    ...(flags.identity ? ['--identity', flags.identity] : []),
    ...(flags.passphraseFile ? ['--passphrase-file', flags.passphraseFile] : []),
    ...(flags.passphraseEnv ? ['--passphrase-env', flags.passphraseEnv] : []),
  ];
}
