// The files a snapshot's write produces, in its temporary folder (write-snapshot.ts runs the
// protocol): the tarball (format 3: block-gzipped into `<ID>.tar.gz`, gzip-tar-out.ts), the two
// lists, format 2's BLOCKS; then their finish: flushed, fsynced, the tarball read back and
// compared, and format 3's index of gzip blocks written after the tarball, before the lists end.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { damage } from '../core/errors.js';
import { beginEncryption, encryptBuffer, type Encryption } from '../crypto/age-file.js';
import type { AgeRecipient } from '../crypto/age-keys.js';
import { createFileSynced } from '../io/durable.js';
import { failpoint } from '../io/failpoint.js';
import { GzipBlockWriter, type GzipBlockIndex } from '../io/gzip-blocks.js';
import { createListFile } from '../io/gzip-text-writer.js';
import { HashedWriter, type Written } from '../io/hashed-writer.js';
import { sha256Hex } from '../io/sha256.js';
import {
  BLOCKS_FILE, fileSumsFileOf, gzipIndexName, isChainedFormat, isCompressedFormat, manifestFileOf, MAX_PARTS, sealedName, tarballName, type SnapshotFormat,
} from '../layout/format.js';
import { formatGzipIndex } from '../layout/gzip-index.js';
import type { SumLine } from '../layout/sha256sums.js';
import type { ArchiveOutputs } from './archive.js';
import { GzipTarOut } from './gzip-tar-out.js';
import { readBackHashes } from './read-back.js';
import type { BatchReader } from './small-reader.js';

/** Each encrypted file gets its own file key and header (age's rule: a file key seals one file). */
export const sealOf = (recipients: AgeRecipient[] | undefined): Promise<Encryption | undefined> =>
  recipients ? beginEncryption(recipients) : Promise.resolve(undefined);

/** The archive's outputs, and the stored tarball behind `tar` (format 3: `tar` block-gzips into it). */
export interface Outputs extends ArchiveOutputs {
  stored: HashedWriter;
  gzip?: GzipTarOut;
}

/** The tarball and the two manifests, each hashed as it is written (and format 2's BLOCKS, made when first needed). */
export async function createOutputs(
  partial: string, id: string, partSize: number | undefined, reader: BatchReader, format: SnapshotFormat, writers: { abandon(): Promise<void> }[], recipients: AgeRecipient[] | undefined,
): Promise<Outputs> {
  const sealed = recipients !== undefined;
  const format2 = isChainedFormat(format);
  const compressed = isCompressedFormat(format);
  // Format 3: compressed first, then sealed and cut into parts, so the HashedWriter (and SHA256SUMS) sees the `.tar.gz` bytes.
  const stored = await HashedWriter.create(join(partial, tarballName(id, sealed, compressed)), 4 << 20,
    partSize ? { partSize, maxParts: MAX_PARTS } : undefined, reader.hasher, await sealOf(recipients));
  const gzip = compressed ? new GzipTarOut(new GzipBlockWriter((member) => stored.write(member))) : undefined;
  // Format 2 gzips both lists (layout/format.ts MANIFEST_FILE_GZ says why).
  const manifest = await createListFile(join(partial, manifestFileOf(format, sealed)), format2, await sealOf(recipients));
  const fileSums = await createListFile(join(partial, fileSumsFileOf(format, sealed)), format2, await sealOf(recipients));
  // A lazily unmounted drive keeps accepting writes to open files: check once per chunk
  // that the folder is still reachable, so that a pulled drive is noticed at once.
  stored.guard = () => stat(partial).then(() => undefined);
  let blocks: HashedWriter | undefined;
  const out: Outputs = { tar: gzip ?? stored, stored, ...(gzip ? { gzip } : {}), manifest, fileSums };
  if (format2) {
    out.blocks = async () => {
      if (!blocks) writers.push(blocks = await HashedWriter.create(join(partial, sealedName(BLOCKS_FILE, sealed)), 64 << 10, undefined, undefined, await sealOf(recipients)));
      return blocks;
    };
    out.blocksWriter = () => blocks;
  }
  return out;
}


/** What finishing the three files reported: their sizes and SHA-256. */
export interface Finished {
  tar: Written;
  /** Format 3: the tar's size and the index file (its SHA256SUMS line). */
  gzip?: { tarSize: number; index: SumLine };
  manifest: Written;
  fileSums: Written;
  blocks?: Written;
}

/**
 * Flushes and fsyncs the tarball and the manifests; a tarball that reads back different is damage.
 * Format 3: the last gzip blocks first, then the index of them, written after the tarball and
 * before the manifests are finished.
 */
export async function finishAndReadBack(out: Outputs, id: string, driveName: string, partial: string, recipients: AgeRecipient[] | undefined): Promise<Finished> {
  const { stored: tar, manifest, fileSums } = out;
  const index = out.gzip ? await out.gzip.finish() : undefined;
  await tar.drain();
  failpoint('write:tar-written');
  // Read the tarball back while the drive flushes it (the fsync in finish), and compare it
  // with what was written before anything marks the snapshot complete: a bad write never
  // becomes a snapshot. (This read may come from the page cache; the real media check is
  // the next verify after a re-plug.)
  const readBack = readBackHashes(tar.files);
  readBack.catch(() => {}); // awaited below, unless an earlier step fails
  const tarDone = await tar.finish();
  failpoint('write:tar-done');
  const gzip = index ? { tarSize: index.uncompressedSize, index: await writeGzipIndex(partial, id, index, tar.written, recipients) } : undefined;
  const manifestDone = await manifest.finish();
  const sumsDone = await fileSums.finish();
  const blocksOut = out.blocksWriter?.();
  const blocksDone = blocksOut ? await blocksOut.finish() : undefined;
  failpoint('write:manifests-done');
  const back = await readBack;
  const written = tarDone.parts ? tarDone.parts.map((p) => p.sha256) : [tarDone.sha256];
  const bad = written.findIndex((h, i) => back[i] !== h);
  if (bad >= 0 || back.length !== written.length) {
    throw damage('written-snapshot-damaged', `the tarball read back from drive ${driveName} differs from what was written (${basename(tar.files[Math.max(bad, 0)] ?? tarballName(id))})`,
      `the drive may be failing: run airgap verify ${driveName} --deep, and use another drive; nothing was kept and nothing was pruned`);
  }
  return { tar: tarDone, ...(gzip ? { gzip } : {}), manifest: manifestDone, fileSums: sumsDone, ...(blocksDone ? { blocks: blocksDone } : {}) };
}

/**
 * Format 3's `<ID>.tar.gz.idx` (sealed when the snapshot is), fsynced; its SHA256SUMS line. The
 * index must end where the `.tar.gz` the HashedWriter was given ends (its plaintext, when
 * sealed): else the blocks and the file disagree, and no snapshot is made of them.
 */
async function writeGzipIndex(partial: string, id: string, index: GzipBlockIndex, gzipBytes: number, recipients: AgeRecipient[] | undefined): Promise<SumLine> {
  if (index.compressedSize !== gzipBytes) throw new Error(`the gzip index ends at ${index.compressedSize} but ${gzipBytes} bytes of ${tarballName(id, false, true)} were written`);
  const text = Buffer.from(formatGzipIndex(index));
  const bytes = recipients ? await encryptBuffer(text, recipients) : text;
  const name = gzipIndexName(id, recipients !== undefined);
  await createFileSynced(join(partial, name), bytes);
  failpoint('write:gzip-index-written');
  return { sha256: sha256Hex(bytes), name };
}
