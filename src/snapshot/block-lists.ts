// The block lists of the chain (format 2's BLOCKS files), read for the next increment's deltas.
// A drive is untrusted: a snapshot's BLOCKS is read whole (capped), once, and used only when it
// matches its SHA256SUMS line. A wrong list would make a delta skip changed blocks, so anything
// short of a checked list means "store the file whole", never a guess.
import { join } from 'node:path';
import { blockCount, HASH_BYTES } from '../core/block-delta.js';
import { isKeyProblem } from '../io/age-feed.js';
import { readRegularFile } from '../io/read-regular.js';
import { decryptWhole, maxStoredSize } from '../io/sealed-file.js';
import { sha256Hex } from '../io/sha256.js';
import { BLOCKS_FILE, MAX_BLOCKS_BYTES, MAX_SUMS_BYTES, sealedName, SUMS_FILE } from '../layout/format.js';
import { parseSumFile } from '../layout/sha256sums.js';

export class ChainBlockLists {
  private readonly files = new Map<string, Promise<Buffer | undefined>>();

  constructor(private readonly airgapDir: string) {}

  /** The list of a file of `size` bytes at `offset` in snapshot `id`'s BLOCKS, or undefined when it cannot be trusted. */
  async get(id: string, offset: number, size: number): Promise<Buffer | undefined> {
    let file = this.files.get(id);
    if (!file) this.files.set(id, file = this.load(id));
    const all = await file;
    const end = offset + blockCount(size) * HASH_BYTES;
    if (!all || offset % HASH_BYTES !== 0 || end > all.length) return undefined;
    return all.subarray(offset, end);
  }

  private async load(id: string): Promise<Buffer | undefined> {
    try {
      const dir = join(this.airgapDir, id);
      const sums = parseSumFile((await readRegularFile(join(dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES })).toString('utf8'));
      // An encrypted snapshot's is BLOCKS.age: checked as stored, then decrypted (capped).
      const sealed = sums.some((l) => l.name === sealedName(BLOCKS_FILE, true));
      const name = sealedName(BLOCKS_FILE, sealed);
      const listed = sums.find((l) => l.name === name)?.sha256;
      if (!listed) return undefined;
      const data = await readRegularFile(join(dir, name), { maxBytes: sealed ? maxStoredSize(MAX_BLOCKS_BYTES) : MAX_BLOCKS_BYTES });
      if (sha256Hex(data) !== listed) return undefined;
      return sealed ? await decryptWhole(data, join(dir, name), MAX_BLOCKS_BYTES) : data;
    } catch (e) {
      if (isKeyProblem(e)) throw e; // no key: the backup says so, rather than storing every large file whole
      return undefined;
    }
  }
}
