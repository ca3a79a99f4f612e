// One gzip block of a format 3 tarball inflated in the browser (docs/verify-in-a-browser.md).
// Chromium's DecompressionStream('gzip') refuses a stream of several gzip members (measured,
// docs/performance.md), so the page never inflates the `.tar.gz` as one stream: each block the
// index names is one DecompressionStream over exactly its compressed bytes, as the CLI's
// io/gzip-block-reader.ts inflates one. The same rules: a plain gzip header, no more output than
// the index gives the block (read piece by piece and cut off there: a small block cannot balloon
// into gigabytes of memory), exactly that much output, a length trailer that says so, and the
// stream's own checks (a CRC-32 or length that disagrees with the data; Chromium's also refuses
// bytes after the member).
import { blockBoundsProblem, type GzipBlock } from '../core/gzip-block-bounds.js';

/** A block that does not give its tar bytes: damage of the tarball at that block's tar range. */
export class PageGzipBlockError extends Error {
  constructor(why: string, readonly block: GzipBlock, readonly size: number) {
    super(`the gzip block at compressed offset ${block.compressedOffset} (tar bytes ${block.uncompressedOffset} to ${block.uncompressedOffset + size}) ${why}`);
  }
}

/** `raw`: the block's stored bytes (exactly compressedLength of them); its tar bytes, exactly `size` of them. */
export async function inflateBlock(block: GzipBlock, size: number, raw: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const fail = (why: string) => new PageGzipBlockError(why, block, size);
  const impossible = blockBoundsProblem(size, block.compressedLength);
  if (impossible) throw fail(`cannot be read: its index entry is impossible (${impossible})`);
  if (raw.length !== block.compressedLength) throw fail(`is cut short: ${raw.length} of ${block.compressedLength} bytes`);
  // 1f 8b, deflate, no flags: the header airgap's writer makes (FEXTRA, FNAME… never appear).
  if (raw[0] !== 0x1f || raw[1] !== 0x8b || raw[2] !== 8 || raw[3] !== 0) throw fail('does not start with a plain gzip header');
  // The trailer's length is the member's own: a block of two members (which Chromium refuses,
  // and other browsers and Node may not) ends in the second one's, which cannot be the block's.
  const isize = new DataView(raw.buffer, raw.byteOffset + raw.length - 4, 4).getUint32(0, true);
  if (isize !== size % 2 ** 32) throw fail('has a length trailer that disagrees with its indexed size');
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  // The writer's promises reject with the reader's when the data is bad: handled there.
  const written = writer.write(raw).then(() => writer.close()).catch(() => {});
  const reader = ds.readable.getReader();
  const out = new Uint8Array(size);
  let got = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (got + value.length > size) throw fail(`inflates past its indexed size of ${size} bytes`);
      out.set(value, got);
      got += value.length;
    }
  } catch (e) {
    if (e instanceof PageGzipBlockError) throw e;
    throw fail(`does not inflate (${(e as Error).message || String(e)})`);
  } finally {
    // Stops the inflating wherever the loop left (a no-op once the stream is done): the write
    // then settles, never left waiting on output no one reads.
    await reader.cancel().catch(() => {});
    await written;
  }
  if (got !== size) throw fail(`inflates to ${got} bytes, not the ${size} its index gives`);
  return out;
}
