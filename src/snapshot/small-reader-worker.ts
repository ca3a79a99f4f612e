// Worker thread: reads, hashes and packs batches of small source files (small-batch.ts) with
// synchronous calls into the shared slots, and sends back the per-file facts. It also runs the
// tarball's SHA-256 for the main thread (hash-thread.ts). A read that hangs here (a dead
// network share) blocks only this thread: the main thread's watchdog fires.
import { parentPort, workerData } from 'node:worker_threads';
import { hashService, type HashRequest } from '../io/hash-thread.js';
import { packBatch, SLOT_BYTES, type BatchItem } from './small-batch.js';

const shared = (workerData as { shared: SharedArrayBuffer }).shared;
const hashes = hashService((r) => parentPort!.postMessage(r));

parentPort?.on('message', (msg: HashRequest | { id: number; slot: number; items: BatchItem[] }) => {
  if ('op' in msg) return void hashes(msg);
  const packed = packBatch(msg.items, Buffer.from(shared, msg.slot * SLOT_BYTES, SLOT_BYTES));
  parentPort!.postMessage({ id: msg.id, ...packed }, [packed.nums.buffer as ArrayBuffer, packed.hashes.buffer as ArrayBuffer]);
});
