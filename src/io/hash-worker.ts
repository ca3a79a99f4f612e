// Worker thread: runs hashService (hash-thread.ts) for verify --deep and restore.
import { parentPort } from 'node:worker_threads';
import { hashService, type HashRequest } from './hash-thread.js';

const serve = hashService((r) => parentPort!.postMessage(r));
parentPort?.on('message', (msg: HashRequest) => serve(msg));
