// Reads a file sequentially in large chunks, prefetching the next chunk while the caller
// parses the current one (reads run on libuv's pool). With a StreamHash the chunks are hashed
// too, on the hasher's thread when it has one, beside the caller's own work on the chunk.
// Tarballs come from a drive: only a regular file is read (no symlink followed, no FIFO or
// device waited on or read without end: openRegularFile).
import type { FileHandle } from 'node:fs/promises';
import { openRegularFile } from './read-regular.js';
import { quiet, type Hasher, type StreamHash } from './hash-thread.js';

/** How much one read takes (a buffer that receives a chunk's plaintext needs this much, and one age chunk more). */
export const READ_CHUNK = 4 << 20;
const CHUNK = READ_CHUNK;

export interface ChunkHashing {
  hasher: Hasher;
  hash: StreamHash;
}

/** `source`: a path (opened here as a regular file, and closed), or a handle the caller opened
 *  (and checked, and closes). */
export async function readChunks(source: string | FileHandle, onChunk: (chunk: Buffer) => void | Promise<void>, hashing?: ChunkHashing): Promise<number> {
  const fh = typeof source === 'string' ? (await openRegularFile(source)).fh : source;
  // A chunk's buffer is read into again only once its hashing is done (at once when local).
  const hashed: (void | Promise<void>)[] = [undefined, undefined];
  try {
    const bufs = hashing ? [hashing.hasher.alloc(CHUNK), hashing.hasher.alloc(CHUNK)] : [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let which = 0;
    let pos = 0;
    let next = fh.read(bufs[0]!, 0, CHUNK, pos);
    for (;;) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hashed[which] = quiet(hashing?.hash.update(chunk));
      pos += bytesRead;
      which ^= 1;
      await hashed[which];
      next = fh.read(bufs[which]!, 0, CHUNK, pos);
      next.catch(() => {}); // surfaced by the await on the next turn
      await onChunk(chunk);
    }
    await Promise.all(hashed);
    return pos;
  } finally {
    await Promise.allSettled(hashed); // the thread may still be reading a buffer
    if (typeof source === 'string') await fh.close();
  }
}

