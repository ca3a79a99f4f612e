// Reads small files in batches: in a worker thread with synchronous calls when the compiled
// worker is available (the CLI), else in this thread (unit tests run from sources).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Problem, SmallRead } from './read-source.js';
import { readSmallSync } from './read-source.js';
import type { PackedRead } from './small-reader-worker.js';

export interface BatchReader {
  read(paths: string[]): Promise<SmallRead[]>;
  close(): Promise<void>;
}

export function openBatchReader(): BatchReader {
  const url = new URL('./small-reader-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return inThreadReader;
  return new WorkerReader(url);
}

/** Without the compiled worker (unit tests run from sources): the same reads, in this thread. */
const inThreadReader: BatchReader = {
  read: async (paths) => paths.map(readSmallSync),
  close: async () => {},
};

class WorkerReader implements BatchReader {
  private worker: Worker;
  private nextId = 0;
  private waiting = new Map<number, { resolve: (r: SmallRead[]) => void; reject: (e: Error) => void }>();
  private failed: Error | undefined;

  constructor(url: URL) {
    this.worker = new Worker(url);
    this.worker.unref(); // never keeps the process alive on its own
    this.worker.on('message', (msg: { id: number; metas: PackedRead[]; buf: ArrayBuffer }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      const data = Buffer.from(msg.buf);
      w.resolve(msg.metas.map((m): SmallRead => {
        if (m.kind === 'data') {
          const r: SmallRead = { data: data.subarray(m.off, m.off + m.len), header: m.header };
          if (m.problem) r.problem = m.problem as Problem;
          return r;
        }
        return m.kind === 'skip' ? { skip: m.skip as Problem } : { tooBig: true };
      }));
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => code !== 0 && this.fail(new Error(`small-file reader exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failed = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  read(paths: string[]): Promise<SmallRead[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, paths });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
