// A whole tar run through the block-gzip writer (src/io/gzip-blocks.ts) the way a future backup
// would: the tar's members found by layout/tar-reader (each member's first header, its pax
// header when it has one, is where the one before ends), written in uneven pieces, each member's
// end marked. Used by the tests and by bench/gzip-blocks.ts.
import { GzipBlockWriter, type GzipBlockIndex, type GzipBlockOptions } from '../../src/io/gzip-blocks.js';
import { TarReader } from '../../src/layout/tar-reader.js';

/** Where each member of `tar` starts (its first header), in order, then where its end marker starts. */
export function memberStarts(tar: Buffer): number[] {
  const starts: number[] = [];
  const reader = new TarReader({ entry: (e) => void starts.push(e.offset), data: () => {}, entryEnd: () => {} });
  reader.write(tar);
  if (!reader.ended) throw new Error('memberStarts: the tar has no end marker');
  starts.push(reader.endAt);
  return starts;
}

/**
 * `tar` as block-gzipped bytes and their index; pieces of `piece` bytes at most per write.
 * `starts`: memberStarts(tar), when the caller has them (the benchmark times the writer alone).
 */
export async function gzipTar(tar: Buffer, options: GzipBlockOptions = {}, piece = 100_000, starts = memberStarts(tar)): Promise<{ gz: Buffer; index: GzipBlockIndex; starts: number[] }> {
  const out: Buffer[] = [];
  const writer = new GzipBlockWriter(async (b) => void out.push(b), options);
  const ends = [...starts.slice(1), tar.length];
  let at = 0;
  for (const end of ends) {
    // Each member, then the end marker, in pieces, as an archiver writes them.
    for (; at < end; at = Math.min(end, at + piece)) await writer.write(tar.subarray(at, Math.min(end, at + piece)));
    await writer.memberEnd();
  }
  const index = await writer.finish();
  return { gz: Buffer.concat(out), index, starts };
}
