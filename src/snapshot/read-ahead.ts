// Reading ahead for the archive loop (archive.ts): the small files it will reach next are read
// in batches on the reader's worker thread while it appends the ones before them.
import { SMALL_FILE } from './read-source.js';
import { BATCH_BYTES } from './small-batch.js';
import type { BatchReader, SmallRead } from './small-reader.js';
import type { ScanEntries } from './scan.js';

/** Small files are read in batches, a few batches ahead of the archive loop. */
const BATCH_FILES = 256;
const BATCHES_AHEAD = 3;
/** Slots of the shared buffer: a batch's slot is reused once all its files are in the tarball. */
export const SLOTS = BATCHES_AHEAD + 1;

/** ReadAhead.ready(): the entry's batch is still being read. */
export const NOT_READY = Symbol('not ready');

/**
 * Reads upcoming small files before the archive loop reaches them, in batches (a worker
 * thread reads each batch with synchronous calls), a bounded number of batches ahead, so that
 * memory stays bounded and order stays the archive order.
 */
export class ReadAhead {
  /** Batches not fully taken yet, in archive order; each one's indexes are increasing. */
  private queue: Batch[] = [];
  private next = 0; // next entry index to consider
  private batches = 0; // batches started, for round-robin slots

  /** `skip`: entries never to read (carried forward from the chain, format 2). */
  constructor(private readonly entries: ScanEntries, private readonly reader: BatchReader, private readonly skip?: (i: number) => boolean) {}

  /**
   * The read for entry i if it is a small file whose batch is done, undefined if it is not a
   * small file (stream it), NOT_READY while its batch is still being read.
   */
  ready(i: number): SmallRead | undefined | typeof NOT_READY {
    this.fill(i);
    const batch = this.batchOf(i);
    if (!batch) return undefined;
    if (!batch.reads) return NOT_READY;
    const r = batch.reads[batch.taken]!;
    this.advance(batch);
    return 'tooBig' in r ? undefined : r;
  }

  /** The read for entry i once its batch is done (undefined for large files). */
  async take(i: number): Promise<SmallRead | undefined> {
    const r = this.ready(i);
    if (r !== NOT_READY) return r;
    const batch = this.queue[0]!; // ready() found entry i's batch there, still being read
    batch.reads ??= await batch.result;
    return this.ready(i) as SmallRead | undefined;
  }

  /** Entry i turned out to be a hard link: its data is not needed. */
  discard(i: number): void {
    const batch = this.batchOf(i);
    if (batch) this.advance(batch);
  }

  /** The batch holding entry i, if i is its next untaken entry (entries are taken in order). */
  private batchOf(i: number): Batch | undefined {
    const batch = this.queue[0];
    return batch && batch.indexes[batch.taken] === i ? batch : undefined;
  }

  private advance(batch: Batch): void {
    if (++batch.taken === batch.indexes.length) this.queue.shift();
  }

  private fill(current: number): void {
    if (this.next < current) this.next = current;
    while (this.queue.length < BATCHES_AHEAD && this.next < this.entries.length) {
      const indexes: number[] = [];
      let bytes = 0;
      const entries = this.entries;
      while (this.next < entries.length && indexes.length < BATCH_FILES) {
        const size = entries.size(this.next);
        if (entries.kind(this.next) === 'file' && size <= SMALL_FILE && !this.skip?.(this.next)) {
          if (indexes.length > 0 && bytes + size > BATCH_BYTES) break; // the next batch starts with it
          indexes.push(this.next);
          bytes += size;
        }
        this.next++;
      }
      if (indexes.length === 0) break;
      // Round robin over SLOTS > BATCHES_AHEAD: batches finish in archive order, so the slot
      // reused here belongs to a batch whose members are all in the tarball already.
      const result = this.reader.read(indexes.map((k) => ({ abs: entries.abs(k), path: entries.path(k), dev: entries.dev(k), ino: entries.ino(k) })), this.batches++ % SLOTS);
      const batch: Batch = { indexes, taken: 0, result, reads: undefined };
      result.then((r) => { batch.reads = r; }, () => {}); // a failure is surfaced by take()
      this.queue.push(batch);
    }
  }
}

interface Batch {
  /** Entry indexes of the batch's files, increasing. */
  indexes: number[];
  /** How many of them the archive loop has taken (or discarded). */
  taken: number;
  result: Promise<SmallRead[]>;
  /** The result, once it has arrived. */
  reads: SmallRead[] | undefined;
}
