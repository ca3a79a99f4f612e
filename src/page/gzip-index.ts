// A format 3 tarball's index (`<ID>.tar.gz.idx`, docs/FORMAT.md "Format 3") read by the page.
// The CLI's strict parser (layout/gzip-index.ts) cannot be bundled: it takes its block bounds from
// io/gzip-block-reader.ts, which imports node:zlib (test/architecture.test.ts forbids that in the
// page). So the page parses with the same rules and the same words here, and
// test/page/gzip-index-agree.test.ts holds the two parsers to the same verdicts on the same
// inputs, so they cannot drift apart. When the block bounds move to a module without node
// imports, this file becomes one import of parseGzipIndex.
import { isInt } from '../layout/field-checks.js';

/** One gzip member of the `.tar.gz` ("block"): where its bytes are in the tar and in the stored file. */
export interface PageGzipBlock {
  uncompressedOffset: number;
  compressedOffset: number;
  compressedLength: number;
  stored: boolean;
}

export interface PageGzipIndex {
  blocks: PageGzipBlock[];
  /** The tar's size (MANIFEST's offsets count in it). */
  uncompressedSize: number;
  /** The stored `.tar.gz`'s size (its parts joined). */
  compressedSize: number;
}

const MAGIC = 'airgap-gzip-index';
const VERSION = '1';
/** As layout/gzip-index.ts MAX_INDEX_BYTES. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** As io/gzip-block-reader.ts MAX_BLOCK_BYTES: the most one block may inflate to. */
export const MAX_BLOCK_BYTES = 64 << 20;
const GZIP_HEADER = 10;
const GZIP_TRAILER = 8;

/** As io/gzip-block-compress.ts storedGzipBound: the longest gzip member a block of `size` bytes may be. */
const storedGzipBound = (size: number): number => 18 + size + 5 * Math.max(1, Math.ceil(size / 4096));

export class PageGzipIndexError extends Error {
  constructor(message: string, readonly line: number) {
    super(`gzip block index, line ${line}: ${message}`);
  }
}

/** A block's uncompressed size: up to the next block, or the tar's end. */
export function blockSize(index: PageGzipIndex, i: number): number {
  const next = index.blocks[i + 1];
  return (next ? next.uncompressedOffset : index.uncompressedSize) - index.blocks[i]!.uncompressedOffset;
}

/** The block holding tar offset `at` (< uncompressedSize): binary search. */
export function blockAt(index: PageGzipIndex, at: number): number {
  let lo = 0;
  let hi = index.blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (index.blocks[mid]!.uncompressedOffset <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** As io/gzip-block-reader.ts blockBoundsProblem: why a block cannot be one airgap wrote. */
export function blockBoundsProblem(size: number, compressedLength: number): string | undefined {
  if (size <= 0 || size > MAX_BLOCK_BYTES) return `the block holds ${size} bytes, over the ${MAX_BLOCK_BYTES} a block may hold`;
  if (compressedLength < GZIP_HEADER + GZIP_TRAILER || compressedLength > storedGzipBound(size)) {
    return `compressed length ${compressedLength} is impossible for a gzip member of ${size} bytes (${GZIP_HEADER + GZIP_TRAILER} to ${storedGzipBound(size)})`;
  }
  return undefined;
}

function ints(fields: string[], line: number, names: string[]): number[] {
  return names.map((name, i) => {
    const v = fields[i]!;
    if (!isInt(v)) throw new PageGzipIndexError(`${name} ${JSON.stringify(v.slice(0, 40))} is not a whole number`, line);
    return Number(v);
  });
}

/** layout/gzip-index.ts parseGzipIndex, rule for rule: `storedSize` is the `.tar.gz`'s real size (its parts summed). */
export function parsePageGzipIndex(text: string, storedSize: number): PageGzipIndex {
  if (text.length > MAX_INDEX_BYTES) throw new PageGzipIndexError(`the file is over ${MAX_INDEX_BYTES} bytes`, 1);
  if (!text.endsWith('\n')) throw new PageGzipIndexError('the file does not end with a newline (cut short?)', text.split('\n').length);
  const lines = text.slice(0, -1).split('\n');
  const head = lines[0]!.split('\t');
  if (head.length !== 5 || head[0] !== MAGIC) throw new PageGzipIndexError(`not a gzip block index (expected "${MAGIC}" and 4 fields)`, 1);
  if (head[1] !== VERSION) throw new PageGzipIndexError(`version ${JSON.stringify(head[1]!.slice(0, 20))} is not one this airgap reads (${VERSION})`, 1);
  const [uncompressedSize, compressedSize, count] = ints(head.slice(2), 1, ['tar size', '.tar.gz size', 'block count']) as [number, number, number];
  if (compressedSize !== storedSize) throw new PageGzipIndexError(`says the .tar.gz has ${compressedSize} bytes; it has ${storedSize}`, 1);
  if (lines.length - 1 !== count) throw new PageGzipIndexError(`says ${count} blocks; ${lines.length - 1} lines follow`, 1);
  if ((count === 0) !== (uncompressedSize === 0)) throw new PageGzipIndexError(`${count} blocks for a tar of ${uncompressedSize} bytes`, 1);
  const blocks: PageGzipBlock[] = [];
  let nextCompressed = 0;
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.split('\t');
    if (fields.length !== 4) throw new PageGzipIndexError(`${fields.length} fields, not 4`, i + 1);
    const [uncompressedOffset, compressedOffset, compressedLength] = ints(fields, i + 1, ['uncompressed offset', 'compressed offset', 'compressed length']) as [number, number, number];
    if (fields[3] !== 'stored' && fields[3] !== 'deflated') throw new PageGzipIndexError(`kind ${JSON.stringify(fields[3]!.slice(0, 20))} is neither stored nor deflated`, i + 1);
    const previous = blocks[blocks.length - 1];
    if (previous ? uncompressedOffset <= previous.uncompressedOffset : uncompressedOffset !== 0) {
      throw new PageGzipIndexError(`uncompressed offset ${uncompressedOffset} does not follow the block before (blocks start at 0 and go up)`, i + 1);
    }
    if (compressedOffset !== nextCompressed) throw new PageGzipIndexError(`compressed offset ${compressedOffset}: the block before ends at ${nextCompressed}`, i + 1);
    blocks.push({ uncompressedOffset, compressedOffset, compressedLength, stored: fields[3] === 'stored' });
    nextCompressed = compressedOffset + compressedLength;
  }
  const index = { blocks, uncompressedSize, compressedSize };
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const size = blockSize(index, i);
    if (size <= 0) throw new PageGzipIndexError(`the block starts at ${b.uncompressedOffset}, not before the tar's end (${uncompressedSize})`, i + 2);
    const impossible = blockBoundsProblem(size, b.compressedLength);
    if (impossible) throw new PageGzipIndexError(impossible, i + 2);
  }
  if (nextCompressed !== compressedSize) throw new PageGzipIndexError(`the blocks end at ${nextCompressed}, not at the .tar.gz's end (${compressedSize})`, lines.length);
  return index;
}
