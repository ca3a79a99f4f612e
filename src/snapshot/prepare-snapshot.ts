// Before a snapshot is written (write-snapshot.ts): the scan, the refusals that come before any
// write (--strict, not enough space), the new snapshot's id and its link to the previous one.
import { lstat, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { damage, refusal } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import { readRegularFile } from '../io/read-regular.js';
import { sha256Hex } from '../io/sha256.js';
import { readDriveContents, type DriveContents } from '../layout/drive-contents.js';
import { MAX_SUMS_BYTES, PARTIAL_PREFIX, SUMS_FILE, type SnapshotMeta } from '../layout/format.js';
import { snapshotIdFor } from '../layout/snapshot-id.js';
import { scanSources, type ScanResult } from './scan.js';
import { estimateSize } from './scan-totals.js';
import { cancelled, strictRefusal } from './write-errors.js';
import type { WriteSnapshotInput } from './write-snapshot.js';

/** What is settled before anything is written. */
export interface Prepared {
  started: Date;
  scan: ScanResult;
  estimate: number;
  id: string;
  previous: SnapshotMeta['previous'];
  gate: SnapshotMeta['gate'] | undefined;
}

/** Scans the sources, refuses early what would fail anyway, and settles the new snapshot's id and links. */
export async function prepareSnapshot(input: WriteSnapshotInput): Promise<Prepared> {
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
  const previous = await previousLink(contents, drive.name);

  const gate = await input.inspect?.(scan);
  if (input.signal?.aborted) throw cancelled();
  return { started, scan, estimate, id, previous, gate };
}

/** The hash chain: the last complete snapshot on the drive, and the SHA-256 of its SHA256SUMS. */
async function previousLink(contents: DriveContents, driveName: string): Promise<SnapshotMeta['previous']> {
  const previousSnap = [...contents.snapshots].reverse().find((s) => s.complete);
  return previousSnap
    ? {
      id: previousSnap.id,
      sha256sums: sha256Hex(await readRegularFile(join(previousSnap.dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES }).catch((e: Error) => {
        throw damage('previous-sums-unreadable', `${SUMS_FILE} of the previous snapshot ${previousSnap.id} cannot be read: ${e.message}`, `run airgap verify ${driveName} before writing to it`);
      })),
    }
    : null;
}

/** Refuses up front a snapshot that cannot fit: about its estimated size, plus 1 %, plus 1 MiB. */
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
