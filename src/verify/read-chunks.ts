// Reads a file sequentially in large chunks, prefetching the next chunk while the caller
// hashes or parses the current one (reads run on libuv's pool, hashing on the main thread).
import { open } from 'node:fs/promises';

const CHUNK = 4 << 20;

export async function readChunks(path: string, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let which = 0;
    let pos = 0;
    let next = fh.read(bufs[0]!, 0, CHUNK, pos);
    for (;;) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      pos += bytesRead;
      which ^= 1;
      next = fh.read(bufs[which]!, 0, CHUNK, pos);
      next.catch(() => {}); // surfaced by the await on the next turn
      await onChunk(buffer.subarray(0, bytesRead));
    }
    return pos;
  } finally {
    await fh.close();
  }
}
