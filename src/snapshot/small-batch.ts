// One batch of small files, made ready to append to the tarball: each file is read whole
// (read-source.ts), hashed, sampled for entropy, and packed as its tar member — header, data,
// padding — into one buffer. This runs in the reader worker (small-reader-worker.ts), so that
// the per-file work happens on the second core while the main thread writes; the main thread
// only copies each packed member into the tarball and writes the manifest lines.
import { createHash } from 'node:crypto';
import { entropyOf } from '../core/change-analysis.js';
import { readSmallSync, type HeaderStat, type Problem } from './read-source.js';
import { encodeHeader, padding } from './tar-header.js';

/** 4 KiB estimate entropy well enough (random data measures ≥ 7.9 bits/byte) at a quarter of the cost. */
export const ENTROPY_SAMPLE = 4 * 1024;

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
 * A packed batch, in a shape that crosses threads cheaply (a few transferred buffers rather
 * than one cloned object per file): per file, FIELDS numbers in `nums` and 32 hash bytes in
 * `hashes`; problems, rare, as a sparse list.
 */
export interface PackedBatch {
  /** Every packed member (header, data, padding), back to back. */
  buf: ArrayBuffer;
  nums: Float64Array;
  hashes: Uint8Array;
  problems: { index: number; problem: Problem }[];
}

export const KIND_DATA = 0;
export const KIND_SKIP = 1;
export const KIND_TOO_BIG = 2;
/** kind, offset, length, size, entropy, mode, uid, gid, mtime */
export const FIELDS = 9;

export function packBatch(items: BatchItem[]): PackedBatch {
  const parts: { head: Buffer; data: Buffer }[] = [];
  const nums = new Float64Array(items.length * FIELDS);
  const hashes = new Uint8Array(items.length * 32);
  const problems: PackedBatch['problems'] = [];
  let total = 0;
  items.forEach((item, i) => {
    const r = readSmallSync(item.abs, item);
    const at = i * FIELDS;
    if ('skip' in r) {
      nums[at] = KIND_SKIP;
      problems.push({ index: i, problem: r.skip });
    } else if ('tooBig' in r) nums[at] = KIND_TOO_BIG;
    else {
      const size = r.data.length;
      const head = encodeHeader({ path: item.path, type: 'File', ...r.header, size });
      const len = head.length + size + padding(size);
      nums.set([KIND_DATA, total, len, size, entropyOf(r.data.subarray(0, ENTROPY_SAMPLE)), r.header.mode, r.header.uid, r.header.gid, r.header.mtime], at);
      hashes.set(createHash('sha256').update(r.data).digest(), i * 32);
      if (r.problem) problems.push({ index: i, problem: r.problem });
      parts.push({ head, data: r.data });
      total += len;
    }
  });
  const buf = new ArrayBuffer(total);
  const bytes = new Uint8Array(buf); // zero-filled: the padding is already there
  let off = 0;
  for (const { head, data } of parts) {
    bytes.set(head, off);
    bytes.set(data, off + head.length);
    off += head.length + data.length + padding(data.length);
  }
  return { buf, nums, hashes, problems };
}
