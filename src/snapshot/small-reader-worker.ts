// Worker thread: reads, hashes and packs batches of small source files (small-batch.ts) with
// synchronous calls and sends each batch back in one transferred buffer. A read that hangs
// here (a dead network share) blocks only this thread: the main thread's watchdog still fires.
import { parentPort } from 'node:worker_threads';
import { packBatch, type BatchItem } from './small-batch.js';

parentPort?.on('message', (msg: { id: number; items: BatchItem[] }) => {
  const packed = packBatch(msg.items);
  parentPort!.postMessage({ id: msg.id, ...packed }, [packed.buf, packed.nums.buffer as ArrayBuffer, packed.hashes.buffer as ArrayBuffer]);
});
