// The index of a block-gzipped tarball as a text file: format 3's `<ID>.tar.gz.idx` (docs/FORMAT.md
// "Format 3"; read by the CLI and, bundled, by verify.html). Text, like the manifests, so a
// person can read it and a script can `dd` one block out and `gzip -dc` it. At 1 MiB blocks, a
// 100 GB tarball's index is ~100k lines, ~3 MB (measured in the design doc):
//
//   airgap-gzip-index<TAB>1<TAB><tar size><TAB><.tar.gz size><TAB><blocks>
//   <uncompressed offset><TAB><compressed offset><TAB><compressed length><TAB>stored|deflated
//   …one line per block, in order, each ending in a newline
//
// The file comes from a drive, so the parser trusts nothing: a size cap before anything is
// split, decimal fields without signs or leading zeros, blocks that start at 0 and follow one
// another without a gap or an overlap in both byte spaces, each block's uncompressed size within
// the reader's cap and its compressed length within what that size may take stored, and the
// last block ending exactly at the stored file's real size. A bad index is a GzipIndexError
// naming its line.
import { blockBoundsProblem, blockSize, type GzipBlock, type GzipBlockIndex } from '../core/gzip-block-bounds.js';
import { isInt } from './field-checks.js';

const MAGIC = 'airgap-gzip-index';
const VERSION = '1';

/** The largest index read: ~1.5 million blocks, a 1.5 TB tarball at 1 MiB blocks. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export class GzipIndexError extends Error {
  readonly code = 'EGZIPINDEX';
  constructor(message: string, readonly line: number) {
    super(`gzip block index, line ${line}: ${message}`);
  }
}

/** The index as its text file. */
export function formatGzipIndex(index: GzipBlockIndex): string {
  const lines = [`${MAGIC}\t${VERSION}\t${index.uncompressedSize}\t${index.compressedSize}\t${index.blocks.length}\n`];
  for (const b of index.blocks) lines.push(`${b.uncompressedOffset}\t${b.compressedOffset}\t${b.compressedLength}\t${b.stored ? 'stored' : 'deflated'}\n`);
  return lines.join('');
}

function ints(fields: string[], line: number, names: string[]): number[] {
  return names.map((name, i) => {
    const v = fields[i]!;
    if (!isInt(v)) throw new GzipIndexError(`${name} ${JSON.stringify(v.slice(0, 40))} is not a whole number`, line);
    return Number(v);
  });
}

/**
 * Parses an index read from a drive. `storedSize` is the `.tar.gz` file's size as the file
 * system gives it: the index must end exactly there.
 */
export function parseGzipIndex(text: string, storedSize: number): GzipBlockIndex {
  if (text.length > MAX_INDEX_BYTES) throw new GzipIndexError(`the file is over ${MAX_INDEX_BYTES} bytes`, 1);
  if (!text.endsWith('\n')) throw new GzipIndexError('the file does not end with a newline (cut short?)', text.split('\n').length);
  const lines = text.slice(0, -1).split('\n');
  const head = lines[0]!.split('\t');
  if (head.length !== 5 || head[0] !== MAGIC) throw new GzipIndexError(`not a gzip block index (expected "${MAGIC}" and 4 fields)`, 1);
  if (head[1] !== VERSION) throw new GzipIndexError(`version ${JSON.stringify(head[1]!.slice(0, 20))} is not one this airgap reads (${VERSION})`, 1);
  const [uncompressedSize, compressedSize, count] = ints(head.slice(2), 1, ['tar size', '.tar.gz size', 'block count']) as [number, number, number];
  if (compressedSize !== storedSize) throw new GzipIndexError(`says the .tar.gz has ${compressedSize} bytes; it has ${storedSize}`, 1);
  if (lines.length - 1 !== count) throw new GzipIndexError(`says ${count} blocks; ${lines.length - 1} lines follow`, 1);
  if ((count === 0) !== (uncompressedSize === 0)) throw new GzipIndexError(`${count} blocks for a tar of ${uncompressedSize} bytes`, 1);
  const blocks: GzipBlock[] = [];
  let nextCompressed = 0;
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.split('\t');
    if (fields.length !== 4) throw new GzipIndexError(`${fields.length} fields, not 4`, i + 1);
    const [uncompressedOffset, compressedOffset, compressedLength] = ints(fields, i + 1, ['uncompressed offset', 'compressed offset', 'compressed length']) as [number, number, number];
    if (fields[3] !== 'stored' && fields[3] !== 'deflated') throw new GzipIndexError(`kind ${JSON.stringify(fields[3]!.slice(0, 20))} is neither stored nor deflated`, i + 1);
    const previous = blocks[blocks.length - 1];
    if (previous ? uncompressedOffset <= previous.uncompressedOffset : uncompressedOffset !== 0) {
      throw new GzipIndexError(`uncompressed offset ${uncompressedOffset} does not follow the block before (blocks start at 0 and go up)`, i + 1);
    }
    if (compressedOffset !== nextCompressed) throw new GzipIndexError(`compressed offset ${compressedOffset}: the block before ends at ${nextCompressed}`, i + 1);
    blocks.push({ uncompressedOffset, compressedOffset, compressedLength, stored: fields[3] === 'stored' });
    nextCompressed = compressedOffset + compressedLength;
  }
  const index = { blocks, uncompressedSize, compressedSize };
  // Each block's size is known once the next one starts: checked in a second pass.
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const size = blockSize(index, i);
    if (size <= 0) throw new GzipIndexError(`the block starts at ${b.uncompressedOffset}, not before the tar's end (${uncompressedSize})`, i + 2);
    const impossible = blockBoundsProblem(size, b.compressedLength);
    if (impossible) throw new GzipIndexError(impossible, i + 2);
  }
  if (nextCompressed !== compressedSize) throw new GzipIndexError(`the blocks end at ${nextCompressed}, not at the .tar.gz's end (${compressedSize})`, lines.length);
  return index;
}
