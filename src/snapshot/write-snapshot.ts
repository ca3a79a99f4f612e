// Writes one snapshot onto a drive's airgap folder, following the write protocol:
// temporary folder → tarball + manifests (hashed as written) → fsync → snapshot.json →
// SHA256SUMS last → fsync → rename into place → fsync the parent. The caller holds the lock.
import { readRegularFile } from '../io/read-regular.js';
import { hostname } from 'node:os';
import { lstat, mkdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AirgapError, damage, EXIT, refusal } from '../core/errors.js';
import {
  FILE_SUMS_FILE, FORMAT_VERSION, MANIFEST_FILE, MAX_PARTS, MAX_RECORDED_PROBLEMS, PARTIAL_PREFIX, SNAPSHOT_JSON,
  MAX_SUMS_BYTES, SUMS_FILE, tarballName, TOOL_NAME, type SnapshotMeta, type SourceProblem,
} from '../layout/format.js';
import { driveWriteError } from '../core/io-errors.js';
import { formatSumLine } from '../layout/sha256sums.js';
import { snapshotIdFor } from '../layout/snapshot-id.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { openArchiveReader, writeArchive, type ArchiveProgress } from './archive.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { createFileSynced, fsyncDir } from '../io/durable.js';
import { HashedWriter, type Written } from '../io/hashed-writer.js';
import { scanSources, type ScanResult, type SourceRoot } from './scan.js';
import { countScan, estimateSize, type Counts } from './scan-totals.js';
import { Watchdog } from './watchdog.js';
import { sha256Hex } from '../io/sha256.js';
import { failpoint } from '../io/failpoint.js';
import { localHasher } from '../io/hash-thread.js';
import { readChunks } from '../io/read-chunks.js';

export interface WriteSnapshotInput {
  airgapDir: string;
  drive: { id: string; name: string };
  roots: SourceRoot[];
  excludes: string[];
  clock: () => Date;
  toolVersion: string;
  dryRun?: boolean;
  /** Refuse (and write nothing) when any source path cannot be stored as it is. */
  strict?: boolean;
  /** Aborting (Ctrl+C) removes the unfinished snapshot and fails with exit 130. */
  signal?: AbortSignal;
  /** Milliseconds without progress before giving up (default 120 s). */
  stallMs?: number;
  onScanned?: (scan: { files: number; bytes: number; entries: number; estimate: number }) => void;
  /** Runs on the scan before anything is written; its findings go into snapshot.json. */
  inspect?: (scan: ScanResult) => Promise<SnapshotMeta['gate'] | undefined>;
  /** Every file stored, with the entropy of its first bytes. */
  onStored?: (e: ManifestEntry, entropy: number) => void | Promise<void>;
  onProgress?: (p: ArchiveProgress & { totalEntries: number; totalBytes: number }) => void;
  /** Split the tarball into parts of at most this many bytes (FAT drives); undefined: one file. */
  partSize?: number;
  /** Runs just before the rename into place (the commit); throwing aborts the snapshot. */
  beforeCommit?: () => Promise<void>;
}

export type WriteSnapshotResult =
  | { dryRun: false; id: string; dir: string; meta: SnapshotMeta; problems: SourceProblem[]; estimate: number }
  | { dryRun: true; id: string; dir: string; counts: Counts; problems: SourceProblem[]; estimate: number; gate: SnapshotMeta['gate'] | undefined };

export async function writeSnapshot(input: WriteSnapshotInput): Promise<WriteSnapshotResult> {
  const { airgapDir, drive } = input;
  const started = input.clock();
  const airgapStat = await stat(airgapDir).catch((e: NodeJS.ErrnoException) => {
    throw driveWriteError(e, drive.name) ?? e;
  });
  const scan = await scanSources(input.roots, {
    excludes: input.excludes,
    skipDirs: new Set([`${airgapStat.dev}:${airgapStat.ino}`]),
  });
  const estimate = estimateSize(scan);
  input.onScanned?.({ files: scan.files, bytes: scan.bytes, entries: scan.entries.length, estimate });
  if (input.strict && scan.problems.length > 0) throw strictRefusal(scan.problems);
  await checkFreeSpace(airgapDir, estimate, drive.name);

  const contents = await readDriveContents(airgapDir);
  const id = await freeSnapshotId(airgapDir, started);
  const previousSnap = [...contents.snapshots].reverse().find((s) => s.complete);
  const previous = previousSnap
    ? {
      id: previousSnap.id,
      sha256sums: sha256Hex(await readRegularFile(join(previousSnap.dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES }).catch((e: Error) => {
        throw damage('previous-sums-unreadable', `${SUMS_FILE} of the previous snapshot ${previousSnap.id} cannot be read: ${e.message}`, `run airgap verify ${drive.name} before writing to it`);
      })),
    }
    : null;

  const gate = await input.inspect?.(scan);
  if (input.signal?.aborted) throw cancelled();
  if (input.dryRun) {
    return { id, dir: join(airgapDir, id), counts: countScan(scan), problems: scan.problems, estimate, dryRun: true, gate };
  }

  const partial = join(airgapDir, PARTIAL_PREFIX + id);
  const finalDir = join(airgapDir, id);
  const writers: HashedWriter[] = [];
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
  const reader = openArchiveReader();
  try {
    return await watchdog.guard((async () => {
      await mkdir(partial);
      failpoint('write:partial-created');
      const tar = await HashedWriter.create(join(partial, tarballName(id)), 4 << 20,
        input.partSize ? { partSize: input.partSize, maxParts: MAX_PARTS } : undefined, reader.hasher);
      const manifest = await HashedWriter.create(join(partial, MANIFEST_FILE), 256 << 10);
      const fileSums = await HashedWriter.create(join(partial, FILE_SUMS_FILE), 256 << 10);
      writers.push(tar, manifest, fileSums);
      // A lazily unmounted drive keeps accepting writes to open files: check once per chunk
      // that the folder is still reachable, so that a pulled drive is noticed at once.
      tar.guard = () => stat(partial).then(() => undefined);
      const problems = [...scan.problems];
      // Only the work still pending is held (a chain whose settled links are freed), never one
      // promise per file.
      let stored: Promise<unknown> = Promise.resolve();
      const counts = await writeArchive(scan.entries, { tar, manifest, fileSums }, problems, {
        tick,
        reader,
        onStored: input.onStored ? (e, h) => {
          const p = input.onStored!(e, h);
          if (p) {
            stored = Promise.all([stored, p]);
            stored.catch(() => {}); // surfaced by the await below
          }
        } : undefined,
        onProgress: (p) => input.onProgress?.({ ...p, totalEntries: scan.entries.length, totalBytes: scan.bytes }),
      });
      await stored;
      if (input.strict && problems.length > 0) throw strictRefusal(problems);
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
      const manifestDone = await manifest.finish();
      const sumsDone = await fileSums.finish();
      failpoint('write:manifests-done');
      const back = await readBack;
      const written = tarDone.parts ? tarDone.parts.map((p) => p.sha256) : [tarDone.sha256];
      const bad = written.findIndex((h, i) => back[i] !== h);
      if (bad >= 0 || back.length !== written.length) {
        throw damage('written-snapshot-damaged', `the tarball read back from drive ${drive.name} differs from what was written (${basename(tar.files[Math.max(bad, 0)] ?? tarballName(id))})`,
          `the drive may be failing: run airgap verify ${drive.name} --deep, and use another drive; nothing was kept and nothing was pruned`);
      }
      writers.length = 0;
      tick('snapshot.json');

      const meta = buildMeta(input, id, started, input.clock(), problems, previous, counts, tarDone);
      if (gate) meta.gate = gate;
      const metaText = JSON.stringify(meta, null, 2) + '\n';
      await createFileSynced(join(partial, SNAPSHOT_JSON), metaText);
      failpoint('write:meta-written');
      // SHA256SUMS last: its presence is what marks the folder as complete.
      const tarLines = tarDone.parts
        ? tarDone.parts.map((p) => ({ sha256: p.sha256, name: basename(p.path) }))
        : [{ sha256: tarDone.sha256, name: tarballName(id) }];
      const sums = [
        ...tarLines,
        { sha256: manifestDone.sha256, name: MANIFEST_FILE },
        { sha256: sumsDone.sha256, name: FILE_SUMS_FILE },
        { sha256: sha256Hex(Buffer.from(metaText)), name: SNAPSHOT_JSON },
      ].map(formatSumLine).join('');
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
      return { id, dir: finalDir, meta, problems, estimate, dryRun: false as const };
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

function buildMeta(
  input: WriteSnapshotInput, id: string, started: Date, completed: Date,
  problems: SourceProblem[], previous: SnapshotMeta['previous'],
  counts: Counts,
  tarball: Written,
): SnapshotMeta {
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
      name: tarballName(id), size: tarball.size, sha256: tarball.sha256,
      ...(tarball.parts ? { parts: tarball.parts.map((p) => ({ name: basename(p.path), size: p.size, sha256: p.sha256 })) } : {}),
    },
    previous,
    problems: problems.slice(0, MAX_RECORDED_PROBLEMS),
    problemsTruncated: problems.length > MAX_RECORDED_PROBLEMS,
    tool: { name: TOOL_NAME, version: input.toolVersion },
  };
}

async function checkFreeSpace(dir: string, estimate: number, driveName: string): Promise<void> {
  let free: number;
  try {
    const s = await statfs(dir);
    if (s.blocks === 0) return; // no size reported (e.g. fusefat): ENOSPC during the write is still handled
    free = s.bavail * s.bsize;
  } catch {
    return; // not every filesystem reports it; ENOSPC during the write is still handled
  }
  const needed = Math.ceil(estimate * 1.01) + (1 << 20);
  if (free < needed) {
    const { default: prettyBytes } = await import('pretty-bytes');
    throw refusal('no-space', `not enough space on drive ${driveName}: the snapshot needs about ${prettyBytes(needed)}, the drive has ${prettyBytes(free)} free`,
      'free space on the drive, prune old snapshots, or use a larger drive; nothing was written');
  }
}

/** Today's id, or the next free -N suffix when a snapshot of the same second exists. */
async function freeSnapshotId(airgapDir: string, when: Date): Promise<string> {
  for (let seq = 1; ; seq++) {
    const id = snapshotIdFor(when, seq);
    // lstat: a dangling symlink planted under the name also takes it (never renamed onto).
    const taken = await lstat(join(airgapDir, id)).then(() => true, () => false)
      || await lstat(join(airgapDir, PARTIAL_PREFIX + id)).then(() => true, () => false);
    if (!taken) return id;
  }
}

function asDriveError(e: unknown, driveName: string): unknown {
  if (e instanceof AirgapError) return e;
  return driveWriteError(e as NodeJS.ErrnoException, driveName) ?? e;
}

function strictRefusal(problems: SourceProblem[]): AirgapError {
  const p = problems[0]!;
  return refusal('strict', `--strict: ${problems.length} path(s) cannot be stored as they are, e.g. ${p.path}: ${p.message}`,
    'fix those paths (or run without --strict to back up the rest and list them); nothing was written');
}

function cancelled(): AirgapError {
  return new AirgapError('cancelled', 'backup cancelled; the unfinished snapshot was removed', EXIT.cancelled,
    'nothing was written; run the backup again when you are ready');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}

/** SHA-256 of each file, read back from the drive. */
async function readBackHashes(files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const hash = localHasher.create();
    await readChunks(f, () => {}, { hasher: localHasher, hash });
    out.push(await hash.digest());
  }
  return out;
}
