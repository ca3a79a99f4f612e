// Writes one snapshot onto a drive's airgap folder, following the write protocol:
// temporary folder → tarball + manifests (hashed as written) → fsync → snapshot.json →
// SHA256SUMS last → fsync → rename into place → fsync the parent. The caller holds the lock.
// What comes before any write (the scan, the early refusals, the new id) is prepare-snapshot.ts.
import { hostname } from 'node:os';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { refusal, usageError } from '../core/errors.js';
import { encryptBuffer } from '../crypto/age-file.js';
import type { AgeRecipient } from '../crypto/age-keys.js';
import {
  BLOCKS_FILE, fileSumsFileOf, FORMAT_VERSION, isCompressedFormat, manifestFileOf, MAX_RECORDED_PROBLEMS, PARTIAL_PREFIX, SNAPSHOT_JSON,
  SUMS_FILE, sealedName, tarballName, TOOL_NAME, type SnapshotFormat, type SnapshotMeta, type SourceProblem,
} from '../layout/format.js';
import { formatSumLine, type SumLine } from '../layout/sha256sums.js';
import { chainMeta, writeChainFiles } from './chain-files.js';
import { stampVouches } from '../core/change-stamp.js';
import { openArchiveReader, writeArchive, type ArchiveCounts } from './archive.js';
import type { BatchReader } from './small-reader.js';
import { createFileSynced, fsyncDir } from '../io/durable.js';
import { countScan, type Counts } from './scan-totals.js';
import { prepareSnapshot, type Prepared } from './prepare-snapshot.js';
import type { WriteSnapshotInput } from './write-input.js';
import { asDriveError, cancelled, strictRefusal } from './write-errors.js';
import { Watchdog } from './watchdog.js';
import { sha256Hex } from '../io/sha256.js';
import { failpoint } from '../io/failpoint.js';
import { ChainBlockLists } from './block-lists.js';
import { createOutputs, finishAndReadBack, type Finished, type Outputs } from './snapshot-outputs.js';

export type { WriteSnapshotInput } from './write-input.js';

export type WriteSnapshotResult =
  | { dryRun: false; id: string; dir: string; meta: SnapshotMeta; problems: SourceProblem[]; estimate: number; chainReason?: string }
  | { dryRun: true; id: string; dir: string; counts: Counts; problems: SourceProblem[]; estimate: number; gate: SnapshotMeta['gate'] | undefined; chain?: DryRunChain };

/** Formats 2 and 3, `--dry-run`: what kind of snapshot would be written, and why. */
export interface DryRunChain {
  format: SnapshotFormat;
  kind: 'full' | 'incremental';
  reason: string;
  base?: string;
  /** Files that would be carried forward without reading (and those read to check). */
  carried: number;
  checked: number;
}

export async function writeSnapshot(input: WriteSnapshotInput): Promise<WriteSnapshotResult> {
  const prepared = await prepareSnapshot(input);
  if (input.dryRun) {
    const { id, scan, estimate, gate, chain: c } = prepared;
    const chain = c && { format: input.format ?? 1, kind: c.kind, reason: c.reason, ...(c.base ? { base: c.base } : {}), carried: c.carry?.carried ?? 0, checked: c.carry?.checked ?? 0 };
    return { id, dir: join(input.airgapDir, id), counts: countScan(scan), problems: scan.problems, estimate, dryRun: true, gate, ...(chain ? { chain } : {}) };
  }
  return writeFolder(input, prepared);
}

/** The write protocol proper, in the temporary folder; on any failure the folder is removed. */
async function writeFolder(input: WriteSnapshotInput, prepared: Prepared): Promise<WriteSnapshotResult> {
  const { airgapDir, drive } = input;
  const { started, scan, estimate, id, previous, gate } = prepared;
  const partial = join(airgapDir, PARTIAL_PREFIX + id);
  const finalDir = join(airgapDir, id);
  // What the failure path abandons, in order (format 3's block writer before the file it feeds).
  const writers: { abandon(): Promise<void> }[] = [];
  const format: SnapshotFormat = input.format ?? 1;
  const watchdog = new Watchdog(input.stallMs ?? 120_000);
  // Cancellation is cooperative: the work stops itself at the next checkpoint, so that the
  // cleanup below never races a write or the final rename still in flight.
  let stopped = false;
  const checkpoint = () => {
    if (input.signal?.aborted) throw cancelled();
    if (stopped) throw refusal('stopped', 'backup stopped');
  };
  const tick = (where: string) => {
    checkpoint();
    watchdog.tick(where);
    failpoint('write:entry');
  };
  // The small-file reader's thread also hashes the tarball, beside the main thread's work.
  const recipients = sealingFor(input, prepared);
  const reader = openArchiveReader();
  try {
    return await watchdog.guard((async () => {
      await mkdir(partial);
      failpoint('write:partial-created');
      const out = await createOutputs(partial, id, input.partSize, reader, format, writers, recipients);
      writers.push(...(out.gzip ? [out.gzip] : []), out.stored, out.manifest, out.fileSums);
      const problems = [...scan.problems];
      const counts = await archiveScan(input, prepared, out, problems, tick, reader);
      if (input.strict && problems.length > 0) throw strictRefusal(problems);
      const done = await finishAndReadBack(out, id, drive.name, partial, recipients);
      writers.length = 0;
      const chainFiles = prepared.chain ? await writeChainFiles(partial, prepared.chain, done.tar.parts !== undefined, counts, recipients, input.encryption?.driveKey !== undefined, isCompressedFormat(format)) : [];
      if (done.blocks) chainFiles.unshift({ sha256: done.blocks.sha256, name: sealedName(BLOCKS_FILE, recipients !== undefined) });
      tick('snapshot.json');

      const meta = buildMeta(input, id, started, input.clock(), problems, previous, counts, done, recipients !== undefined);
      if (prepared.chain) Object.assign(meta, chainMeta(prepared.chain, counts, format));
      if (gate) meta.gate = gate;
      if (input.encryption) meta.encryption = { scheme: 'age', recipients: [...input.encryption.recipients] };
      const metaFiles = await writeMeta(partial, meta, recipients);
      failpoint('write:meta-written');
      // SHA256SUMS last: its presence is what marks the folder as complete.
      const sums = sumsText(id, done, [...chainFiles, ...metaFiles], format, recipients !== undefined);
      checkpoint();
      await createFileSynced(join(partial, SUMS_FILE), sums);
      failpoint('write:sums-written');
      await fsyncDir(partial);
      // The point of no return: once renamed, the snapshot is complete and reported as written.
      checkpoint();
      await input.beforeCommit?.();
      await rename(partial, finalDir);
      failpoint('write:renamed');
      await fsyncDir(airgapDir);
      failpoint('write:done');
      return { id, dir: finalDir, meta, problems, estimate, dryRun: false as const, ...(prepared.chain ? { chainReason: prepared.chain.reason } : {}) };
    })());
  } catch (e) {
    stopped = true;
    for (const w of writers) await w.abandon();
    await withTimeout(rm(partial, { recursive: true, force: true }), 10_000).catch(() => {});
    throw asDriveError(e, drive.name);
  } finally {
    // A reader stuck in a read of a dead source cannot be stopped: do not wait for it forever.
    await withTimeout(reader.close(), 5_000).catch(() => {});
  }
}

/** An encrypted snapshot's recipients (formats 2 and 3 only), or undefined for one in the clear. */
function sealingFor(input: WriteSnapshotInput, prepared: Prepared): AgeRecipient[] | undefined {
  if (!input.encryption) return undefined;
  if (!prepared.chain) throw usageError('encryption-needs-format-2', 'encrypted snapshots are written in format 2 or 3 only', 'remove --format 1 (or "format": 1 from the config)');
  return input.encryption.recipients.map((recipient) => ({ kind: 'key', recipient }));
}

/** Streams the scanned entries into the outputs; every stored file is passed on to onStored. */
async function archiveScan(
  input: WriteSnapshotInput, prepared: Prepared, out: Outputs, problems: SourceProblem[],
  tick: (where: string) => void, reader: BatchReader,
): Promise<ArchiveCounts> {
  const { scan, chain, scanStartedMs } = prepared;
  const lists = new ChainBlockLists(input.airgapDir);
  return writeArchive(scan.entries, out, problems, {
    tick,
    reader,
    ...(chain ? { format2: {
      carry: chain.carry, id: prepared.id, blockList: (id, offset, size) => lists.get(id, offset, size),
      // An encrypted chain stores a changed large file whole: its dd steps would name the file in
      // the plain RESTORE.txt (docs/FORMAT.md "Encrypted drives").
      ...(input.encryption ? { maxDdLines: 0 } : input.chainOptions?.maxDdLines !== undefined ? { maxDdLines: input.chainOptions.maxDdLines } : {}),
    } } : {}),
    // What onStored returns (a baseline write, when its buffer is full) the archive waits for.
    onStored: input.onStored
      ? (e, h, stamp) => input.onStored!(e, h, stampVouches(stamp, scanStartedMs, input.chainOptions?.racySeconds) ? stamp : undefined)
      : undefined,
    onProgress: (p) => input.onProgress?.({ ...p, totalEntries: scan.entries.length, totalBytes: scan.bytes }),
  });
}

/**
 * snapshot.json, fsynced; an encrypted snapshot's whole one goes into snapshot.json.age first,
 * and the plain one keeps only what FORMAT.md says an outsider may see. Their SHA256SUMS lines.
 */
async function writeMeta(partial: string, meta: SnapshotMeta, recipients: AgeRecipient[] | undefined): Promise<SumLine[]> {
  const text = (m: SnapshotMeta) => Buffer.from(JSON.stringify(m, null, 2) + '\n');
  const lines: SumLine[] = [];
  if (recipients) {
    const sealed = await encryptBuffer(text(meta), recipients);
    await createFileSynced(join(partial, sealedName(SNAPSHOT_JSON, true)), sealed);
    lines.push({ sha256: sha256Hex(sealed), name: sealedName(SNAPSHOT_JSON, true) });
  }
  const plain = text(recipients ? publicMeta(meta) : meta);
  await createFileSynced(join(partial, SNAPSHOT_JSON), plain);
  lines.push({ sha256: sha256Hex(plain), name: SNAPSHOT_JSON });
  return lines;
}

/** What an encrypted snapshot's plain snapshot.json keeps: no path, host or reason that names a file. */
export function publicMeta(meta: SnapshotMeta): SnapshotMeta {
  return {
    ...meta, host: '', sources: [], excludes: [], problems: [], problemsTruncated: false,
    ...(meta.gate ? { gate: { ...meta.gate, reasons: [] } } : {}),
  };
}

/** SHA256SUMS: every other file of the snapshot, the tarball (or its parts) first, then format 3's index. */
function sumsText(id: string, done: Finished, rest: SumLine[], format: SnapshotFormat, sealed: boolean): string {
  const tarLines = done.tar.parts
    ? done.tar.parts.map((p) => ({ sha256: p.sha256, name: basename(p.path) }))
    : [{ sha256: done.tar.sha256, name: tarballName(id, sealed, isCompressedFormat(format)) }];
  return [
    ...tarLines,
    ...(done.gzip ? [done.gzip.index] : []),
    { sha256: done.manifest.sha256, name: manifestFileOf(format, sealed) },
    { sha256: done.fileSums.sha256, name: fileSumsFileOf(format, sealed) },
    ...rest,
  ].map(formatSumLine).join('');
}

/** snapshot.json: what the snapshot holds, where it came from, and its link to the previous one. */
function buildMeta(
  input: WriteSnapshotInput, id: string, started: Date, completed: Date,
  problems: SourceProblem[], previous: SnapshotMeta['previous'],
  counts: Counts,
  done: Finished,
  sealed: boolean,
): SnapshotMeta {
  const tarball = done.tar;
  return {
    format: 'airgap-snapshot',
    formatVersion: FORMAT_VERSION,
    id,
    createdAt: started.toISOString(),
    completedAt: completed.toISOString(),
    host: hostname(),
    drive: { id: input.drive.id, name: input.drive.name },
    sources: input.roots.map((r) => ({ path: r.path, root: r.root })),
    excludes: input.excludes,
    counts: { files: counts.files, dirs: counts.dirs, symlinks: counts.symlinks, hardlinks: counts.hardlinks, problems: problems.length },
    bytes: { content: counts.contentBytes, tarball: tarball.size },
    tarball: {
      name: tarballName(id, sealed, done.gzip !== undefined), size: tarball.size, sha256: tarball.sha256,
      ...(tarball.parts ? { parts: tarball.parts.map((p) => ({ name: basename(p.path), size: p.size, sha256: p.sha256 })) } : {}),
      ...(done.gzip ? { gzip: { tarSize: done.gzip.tarSize, index: done.gzip.index.name } } : {}),
    },
    previous,
    problems: problems.slice(0, MAX_RECORDED_PROBLEMS),
    problemsTruncated: problems.length > MAX_RECORDED_PROBLEMS,
    tool: { name: TOOL_NAME, version: input.toolVersion },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}
