// Worker thread: reads, hashes and packs batches of small source files (small-batch.ts) with
// synchronous calls into the shared slots, and sends back the per-file facts. A read that
// hangs here (a dead network share) blocks only this thread: the main thread's watchdog fires.
import { parentPort, workerData } from 'node:worker_threads';
import { packBatch, SLOT_BYTES, type BatchItem } from './small-batch.js';

const shared = (workerData as { shared: SharedArrayBuffer }).shared;

parentPort?.on('message', (msg: { id: number; slot: number; items: BatchItem[] }) => {
  const packed = packBatch(msg.items, Buffer.from(shared, msg.slot * SLOT_BYTES, SLOT_BYTES));
  parentPort!.postMessage({ id: msg.id, ...packed }, [packed.nums.buffer as ArrayBuffer, packed.hashes.buffer as ArrayBuffer]);
});
