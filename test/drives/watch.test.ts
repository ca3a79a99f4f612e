// watchDrives over a simulated source that changes over time.
import { describe, expect, it } from 'vitest';
import type { Detection, LabelledDrive } from '../../src/drives/detect.js';
import { watchDrives, type DriveEvent } from '../../src/drives/watch.js';

const labelled = (name: string, root: string): LabelledDrive => ({
  identity: { format: 'airgap-drive', formatVersion: 1, id: `00000000-0000-4000-8000-00000000000${name.length}`, name, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'test', host: 'h' },
  root, airgapDir: `${root}/airgap`, via: 'device', device: `/dev/sd${name.toLowerCase()}`, snapshots: 0, leftovers: [], readOnly: false,
});
const disk = (device: string, mountpoints: string[]) => ({ device, description: 'USB disk', size: 1e9, mountpoints });
const det = (p: Partial<Detection>): Detection => ({ labelled: [], unlabelled: [], refused: [], warnings: [], ...p });

/** Runs the watcher over a script of detections (one per poll) and collects the events. */
async function run(script: (Detection | Error)[], opts: { mountWaitMs?: number; stopOn?: (e: DriveEvent) => boolean } = {}) {
  const events: DriveEvent[] = [];
  const stop = new AbortController();
  let i = 0;
  await watchDrives({
    detect: async () => {
      const step = script[Math.min(i++, script.length - 1)]!;
      if (i >= script.length + 2) stop.abort();
      if (step instanceof Error) throw step;
      return step;
    },
    onEvent: (e) => {
      events.push(e);
      if (opts.stopOn?.(e)) stop.abort();
    },
    signal: stop.signal,
    clock: () => new Date('2026-11-21T10:00:00Z'),
    intervalMs: 5,
    mountWaitMs: opts.mountWaitMs ?? 1000,
  });
  return events.map((e) => (e.type === 'not-mounted' ? `not-mounted ${e.device}` : `${e.type} ${e.drive.kind === 'labelled' ? e.drive.name : e.drive.device}`));
}

describe('watchDrives', () => {
  it('reports what is present at start, then arrivals and departures', async () => {
    const A = labelled('A', '/media/a');
    const B = labelled('BB', '/media/b');
    expect(await run([det({ labelled: [A] }), det({ labelled: [A, B] }), det({ labelled: [B] }), det({ labelled: [] })]))
      .toEqual(['present A', 'arrived BB', 'left A', 'left BB']);
  });

  it('reports an unlabelled disk when it is mounted, not while it is still unmounted', async () => {
    expect(await run([det({}), det({ unlabelled: [disk('/dev/sdc', [])] }), det({ unlabelled: [disk('/dev/sdc', ['/media/new'])] })]))
      .toEqual(['arrived /dev/sdc']);
  });

  it('reports "not mounted" once for a disk that stays unmounted', async () => {
    const events = await run([det({}), ...Array(12).fill(det({ unlabelled: [disk('/dev/sdd', [])] }))], { mountWaitMs: 20 });
    expect(events).toEqual(['not-mounted /dev/sdd']);
  });

  it('keeps going when one detection fails', async () => {
    const A = labelled('A', '/media/a');
    expect(await run([det({}), new Error('disk vanished mid-listing'), det({ labelled: [A] })])).toEqual(['arrived A']);
  });

  it('can stop at the first arrival (watch --once)', async () => {
    const A = labelled('A', '/media/a');
    const B = labelled('BB', '/media/b');
    expect(await run([det({}), det({ labelled: [A] }), det({ labelled: [A, B] })], { stopOn: (e) => e.type === 'arrived' })).toEqual(['arrived A']);
  });
});
