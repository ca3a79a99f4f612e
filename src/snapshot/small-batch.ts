// One batch of small files, made ready to append to the tarball: each file is read whole
// (read-source.ts), hashed, sampled for entropy, and packed as its tar member — header, data,
// padding — into a slot of a shared buffer. This runs in the reader worker
// (small-reader-worker.ts), so that the per-file work happens on the second core while the
// main thread writes; the main thread only copies each packed member into the tarball and
// writes the manifest lines. The slots are reused batch after batch: memory stays bounded and
// nothing is allocated per file.
import { createHash } from 'node:crypto';
import { ENTROPY_SAMPLE, entropyOf } from '../core/change-analysis.js';
import { readSmallSync, SMALL_FILE, type Problem } from './read-source.js';
import { encodeHeaderInto, padding } from '../layout/tar-header.js';

/** A batch holds at most this many bytes of file data by the scan's sizes (or one file of up to SMALL_FILE) ... */
export const BATCH_BYTES = SMALL_FILE;
/**
 * ... packed into a slot this large: room for the headers (BATCH_FILES × 512 bytes, more with
 * pax headers), the padding, and files that grew a little since the scan. A file that no longer
 * fits is streamed by the main thread instead (KIND_TOO_BIG). Every slot is touched, so slots
 * are resident memory: 4 slots of 1.25 MiB (they were 3 MiB each, for no measured gain).
 */
export const SLOT_BYTES = BATCH_BYTES + (256 << 10);

export interface BatchItem {
  /** Where to read the file. */
  abs: string;
  /** Its path inside the archive. */
  path: string;
  /** The scan's device and inode: the file read must be that one. */
  dev: number;
  ino: number;
}

/**
 * A packed batch, in a shape that crosses threads cheaply: the members are in the shared slot;
 * per file, FIELDS numbers in `nums` and 32 hash bytes in `hashes` (transferred); problems,
 * rare, as a sparse list.
 */
export interface PackedBatch {
  nums: Float64Array;
  hashes: Uint8Array;
  problems: { index: number; problem: Problem }[];
}

export const KIND_DATA = 0;
export const KIND_SKIP = 1;
/** Grew past the small-file size, or past the slot's room: the main thread streams it. */
export const KIND_TOO_BIG = 2;
/** kind, offset in the slot, length, size, entropy, mode, uid, gid, mtime */
export const FIELDS = 9;

/** One reusable read buffer per thread: the data is copied into the slot right away. */
let scratch: Buffer | undefined;

export function packBatch(items: BatchItem[], slot: Buffer): PackedBatch {
  scratch ??= Buffer.allocUnsafe(SMALL_FILE + 1);
  const nums = new Float64Array(items.length * FIELDS);
  const hashes = new Uint8Array(items.length * 32);
  const problems: PackedBatch['problems'] = [];
  let used = 0;
  items.forEach((item, i) => {
    const r = readSmallSync(item.abs, item, scratch);
    const at = i * FIELDS;
    if ('skip' in r) {
      nums[at] = KIND_SKIP;
      problems.push({ index: i, problem: r.skip });
      return;
    }
    if ('tooBig' in r) {
      nums[at] = KIND_TOO_BIG;
      return;
    }
    const size = r.data.length;
    const head = encodeHeaderInto({ path: item.path, type: 'File', ...r.header, size }, slot, used);
    const len = head + size + padding(size);
    if (head < 0 || used + len > slot.length) {
      nums[at] = KIND_TOO_BIG;
      return;
    }
    r.data.copy(slot, used + head);
    slot.fill(0, used + head + size, used + len);
    nums[at] = KIND_DATA;
    nums[at + 1] = used;
    nums[at + 2] = len;
    nums[at + 3] = size;
    nums[at + 4] = entropyOf(r.data.subarray(0, ENTROPY_SAMPLE));
    nums[at + 5] = r.header.mode;
    nums[at + 6] = r.header.uid;
    nums[at + 7] = r.header.gid;
    nums[at + 8] = r.header.mtime;
    hashes.set(createHash('sha256').update(r.data).digest(), i * 32);
    if (r.problem) problems.push({ index: i, problem: r.problem });
    used += len;
  });
  return { nums, hashes, problems };
}
