// A large file of a format-2 increment, changed in place (a mailbox, a VM image): hashed once
// whole and block by block, compared with the block list of its copy in the chain, and stored as
// its changed blocks only when core/block-delta.ts says a delta is worth it (docs/FORMAT.md,
// docs/delta-experiment.md). The changed blocks are read a second time to be written; each one
// must hash as it did in the first read, else the file changed meanwhile and is stored whole.
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, HASH_BYTES, type Run } from '../core/block-delta.js';
import { ENTROPY_SAMPLE, entropyOf } from '../core/change-analysis.js';
import type { TarOut } from './tar-out.js';
import { deltaMemberName } from '../layout/delta-file.js';
import { encodeHeader, padding } from '../layout/tar-header.js';
import { BlockHasher } from './block-hasher.js';
import { changedWhileRead, openSource, type HeaderStat } from './read-source.js';
import type { ScanEntry } from './scan.js';

/** The first read of a large file: everything the delta decision and the manifest line need. */
export interface LargeRead {
  size: number;
  sha256: string;
  /** One 32-byte SHA-256 per 1 MiB block. */
  blocks: Buffer;
  header: HeaderStat;
  entropy: number;
}

const CHUNK = 4 << 20;

/**
 * Hashes the file whole and block by block. Undefined when it cannot be read cleanly, or moves
 * while read (size, header or stat): the caller then stores it whole, the path that reports why.
 */
export async function hashLarge(e: ScanEntry, tick: (where: string) => void): Promise<LargeRead | undefined> {
  const opened = await openSource(e.abs, e);
  if ('skip' in opened) return undefined;
  const { fh, before, header } = opened;
  try {
    const whole = createHash('sha256');
    const blocks = new BlockHasher();
    const buf = Buffer.allocUnsafe(CHUNK);
    let entropy: number | undefined;
    for (let off = 0; off < before.size;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, before.size - off), off);
      if (bytesRead === 0) return undefined;
      const got = buf.subarray(0, bytesRead);
      whole.update(got);
      blocks.update(got);
      entropy ??= entropyOf(got.subarray(0, Math.min(got.length, ENTROPY_SAMPLE)));
      off += bytesRead;
      tick(e.abs);
    }
    if ((await fh.read(Buffer.alloc(1), 0, 1, before.size)).bytesRead > 0) return undefined;
    if (await changedWhileRead(fh, before)) return undefined;
    return { size: before.size, sha256: whole.digest('hex'), blocks: blocks.digest(), header, entropy: entropy ?? 0 };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Writes the members of one delta: for each, a header and the file's bytes of its blocks, read
 * again and checked block by block against the first read. False when a block differs or cannot
 * be read (the file changed, or the disk failed, in between): the members written stay in the
 * tarball unused (a stock restore removes `.airgap-delta` after each link) and the caller stores
 * the file whole.
 */
export async function writeDeltaMembers(
  e: ScanEntry, tar: TarOut, id: string, n: number, members: readonly Run[], read: LargeRead, tick: (where: string) => void,
): Promise<boolean> {
  const opened = await openSource(e.abs, e);
  if ('skip' in opened) return false;
  const { fh } = opened;
  let same = true;
  try {
    for (const m of members) {
      const start = m.first * BLOCK_SIZE;
      const size = Math.min(m.count * BLOCK_SIZE, read.size - start);
      await tar.write(encodeHeader({ path: deltaMemberName(id, n, m.first), type: 'File', mode: 0o600, uid: read.header.uid, gid: read.header.gid, mtime: read.header.mtime, size }));
      // The member's blocks (it starts on a block boundary) must hash as in the first read.
      const blocks = new BlockHasher();
      for (let off = 0; off < size;) {
        if (tar.room < 65536) await tar.flush();
        const want = Math.min(tar.room, size - off);
        const got = await fh.read(tar.buffer, tar.pos, want, start + off).then((r) => r.bytesRead, () => 0);
        if (got === 0) {
          // Keep the archive well-formed: zeros for the rest of the member, which is then unused.
          same = false;
          await tar.writeZeros(size - off);
          break;
        }
        blocks.update(tar.buffer.subarray(tar.pos, tar.pos + got));
        tar.commit(got);
        off += got;
        tick(e.abs);
      }
      if (same && !blocks.digest().equals(read.blocks.subarray(m.first * HASH_BYTES, (m.first + m.count) * HASH_BYTES))) same = false;
      await tar.writeZeros(padding(size));
      tar.memberEnd?.(); // format 3: each delta member may start a gzip block
    }
    // Every block written hashed as in the first read: the members hold exactly that content,
    // whatever the file does now (a later change is the next backup's).
    return same;
  } finally {
    await fh.close();
  }
}
