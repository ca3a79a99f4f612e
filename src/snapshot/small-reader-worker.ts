// Worker thread: reads batches of small source files with synchronous calls and sends their
// contents back packed in one transferable buffer per batch. A read that hangs here (a dead
// network share) blocks only this thread: the main thread's watchdog still fires.
import { parentPort } from 'node:worker_threads';
import { readSmallSync } from './read-source.js';

export type PackedRead =
  | { kind: 'data'; off: number; len: number; header: { mode: number; uid: number; gid: number; mtime: number }; problem?: { kind: string; message: string } }
  | { kind: 'skip'; skip: { kind: string; message: string } }
  | { kind: 'tooBig' };

parentPort?.on('message', (msg: { id: number; paths: string[] }) => {
  const results = msg.paths.map(readSmallSync);
  const total = results.reduce((n, r) => n + ('data' in r ? r.data.length : 0), 0);
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf);
  let off = 0;
  const metas: PackedRead[] = results.map((r) => {
    if ('data' in r) {
      bytes.set(r.data, off);
      const m: PackedRead = { kind: 'data', off, len: r.data.length, header: r.header, ...(r.problem ? { problem: r.problem } : {}) };
      off += r.data.length;
      return m;
    }
    return 'skip' in r ? { kind: 'skip', skip: r.skip } : { kind: 'tooBig' };
  });
  parentPort!.postMessage({ id: msg.id, metas, buf }, [buf]);
});
