// Before a snapshot is written (write-snapshot.ts): the scan, the refusals that come before any
// write (--strict, not enough space), the new snapshot's id and its link to the previous one.
import { lstat, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { damage, refusal } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import { readRegularFile } from '../io/read-regular.js';
import { sha256Hex } from '../io/sha256.js';
import { readDriveContents, type DriveContents } from '../layout/drive-contents.js';
import { isChainedFormat, MANIFEST_FILE_GZ, MAX_SUMS_BYTES, PARTIAL_PREFIX, sealedName, SUMS_FILE, type SnapshotMeta } from '../layout/format.js';
import { snapshotIdFor } from '../layout/snapshot-id.js';
import { scanSources, type ScanResult } from './scan.js';
import { DEFAULT_CHAIN_POLICY } from '../core/chains.js';
import type { ListingEntry } from '../core/change-analysis.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import type { ChainLink } from '../layout/restore-text.js';
import { buildCarryPlan, CARRY, type CarryPlan } from './carry-plan.js';
import { startChain } from './chain-base.js';
import { estimateSize } from './scan-totals.js';
import { cancelled, strictRefusal } from './write-errors.js';
import type { WriteSnapshotInput } from './write-input.js';

/** Format 2: what kind of snapshot this is, its chain, and what it takes from the chain. */
export interface PreparedChain {
  kind: 'full' | 'incremental';
  /** Why a full or an increment (core/chains.ts's words). */
  reason: string;
  base?: string;
  /** Oldest first, the new snapshot last; each with whether its tarball is in parts. */
  links: ChainLink[];
  removal: string[];
  carry?: CarryPlan;
}

/** What is settled before anything is written. */
export interface Prepared {
  started: Date;
  /**
   * When the scan started by the real clock (not the session's, which tests set): change stamps
   * of files changed shortly before it are not recorded as vouching (core/change-stamp.ts).
   */
  scanStartedMs: number;
  scan: ScanResult;
  estimate: number;
  id: string;
  previous: SnapshotMeta['previous'];
  gate: SnapshotMeta['gate'] | undefined;
  chain?: PreparedChain;
}

/** Scans the sources, refuses early what would fail anyway, and settles the new snapshot's id and links. */
export async function prepareSnapshot(input: WriteSnapshotInput): Promise<Prepared> {
  const { airgapDir, drive } = input;
  const started = input.clock();
  const airgapStat = await stat(airgapDir).catch((e: NodeJS.ErrnoException) => {
    throw driveWriteError(e, drive.name) ?? e;
  });
  if (isChainedFormat(input.format ?? 1)) refuseClockBehind(await readDriveContents(airgapDir), snapshotIdFor(started), drive.name);
  const scanStartedMs = Date.now();
  const scan = await scanSources(input.roots, {
    excludes: input.excludes,
    skipDirs: new Set([`${airgapStat.dev}:${airgapStat.ino}`]),
  });
  const fullEstimate = estimateSize(scan);
  input.onScanned?.({ files: scan.files, bytes: scan.bytes, entries: scan.entries.length, estimate: fullEstimate });
  if (input.strict && scan.problems.length > 0) throw strictRefusal(scan.problems);

  const contents = await readDriveContents(airgapDir);
  const id = await freeSnapshotId(airgapDir, started);
  const previous = await previousLink(contents, drive.name);
  const free = await freeSpace(airgapDir);
  const fullFits = free === undefined ? undefined : free >= needed(fullEstimate);
  const chain = isChainedFormat(input.format ?? 1) ? await prepareChain(input, contents, scan, id, fullFits) : undefined;
  // An increment writes what is not carried (a file read to check may be stored: it counts).
  const carry = chain?.carry;
  const estimate = carry ? estimateSize(scan, (i) => carry.actionOf(i) === CARRY) : fullEstimate;
  // The gate looks before any room is made: room is never made for a snapshot it flags, which
  // would delete the good snapshots a rollback needs in order to store the encrypted files.
  const gate = await input.inspect?.(scan);
  if (input.signal?.aborted) throw cancelled();
  // Short of room: the job may make it (retention's prune first, issue 17 §2) or refuse with why.
  if (free !== undefined && free < needed(estimate)) {
    const flagged = gate?.suspect === true && !gate.accepted;
    const after = input.makeRoom ? await input.makeRoom(needed(estimate), free, flagged) : free;
    if (after < needed(estimate)) await refuseNoSpace(needed(estimate), after, drive.name);
  }
  return { started, scanStartedMs, scan, estimate, id, previous, gate, ...(chain ? { chain } : {}) };
  return { started, scanStartedMs, scan, estimate, id, previous, gate, ...(chain ? { chain } : {}) };
}

/**
 * A chain is encrypted to one set of keys, or not at all: a stock restore runs one `age -d -i`
 * over all of its tarballs, and a key added later could not open the older ones. So turning
 * encryption on or off, or changing its keys, starts a new full.
 */
function sameEncryption<T extends { kind: 'incremental' }>(next: T, base: SnapshotMeta | undefined, encryption: WriteSnapshotInput['encryption']): T | { kind: 'full'; reason: string } {
  const was = base?.encryption?.recipients ?? [];
  const now = encryption?.recipients ?? [];
  if (was.length === now.length && was.every((r) => now.includes(r))) return next;
  const reason = was.length === 0 ? 'encryption starts with this snapshot: a chain is encrypted whole'
    : now.length === 0 ? 'this drive is no longer encrypted: a chain is encrypted whole or not at all'
    : 'the encryption keys changed: every snapshot of a chain opens with the same keys';
  return { kind: 'full', reason };
}

/** Format 2 (and 3): a new full or an increment, and for an increment what is carried from the chain. */
async function prepareChain(input: WriteSnapshotInput, contents: DriveContents, scan: ScanResult, id: string, fullFits: boolean | undefined): Promise<PreparedChain> {
  const opts = input.chainOptions ?? {};
  const start = await startChain({ contents, entries: scan.entries, policy: opts.policy ?? DEFAULT_CHAIN_POLICY, forceFull: opts.forceFull, damaged: opts.damaged, fullFits, format: input.format });
  const { metas } = start;
  const next = start.next.kind === 'full' ? start.next : sameEncryption(start.next, metas.get(start.next.base), input.encryption);
  if (next.kind === 'full') return { kind: 'full', reason: next.reason, links: [{ id, parts: false }], removal: [] };
  const links = [...next.chain.map((c) => ({ id: c, parts: metas.get(c)?.tarball.parts !== undefined, deltaMembers: metas.get(c)?.deltaMembers === true })), { id, parts: false }];
  const baseDir = contents.snapshots.find((s) => s.id === next.base)!.dir;
  // An encrypted base's manifest is MANIFEST.tsv.gz.age (decrypted as read: a key is needed).
  const manifest = new ManifestReader(join(baseDir, sealedName(MANIFEST_FILE_GZ, metas.get(next.base)?.encryption !== undefined)), [2]);
  const host = opts.host ? hostRecords(opts.host()) : undefined;
  try {
    // The policy's turn: the new snapshot is the Nth, 2Nth, ... increment of its chain.
    const policyReread = (opts.rereadEvery ?? 0) > 0 && (links.length - 1) % opts.rereadEvery! === 0;
    const reread = (opts.reread ?? false) || policyReread;
    const carry = await buildCarryPlan({ entries: scan.entries, baseId: next.base, base: () => manifest.next(), host, reread });
    const reason = policyReread && !opts.reread ? `${next.reason}; every file read (chain.rereadEvery ${opts.rereadEvery})` : next.reason;
    return { kind: 'incremental', reason, base: next.base, links, removal: start.removal, carry };
  } finally {
    manifest.close();
  }
}

/** The host's gate baseline as a stream; a missing or damaged one simply vouches for nothing more. */
function hostRecords(it: AsyncIterator<ListingEntry>): () => Promise<ListingEntry | undefined> {
  let failed = false;
  return async () => {
    if (failed) return undefined;
    try {
      return (await it.next()).value ?? undefined;
    } catch {
      failed = true;
      return undefined;
    }
  };
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

/** Room a snapshot needs: about its estimated size, plus 1 %, plus 1 MiB. */
const needed = (estimate: number): number => Math.ceil(estimate * 1.01) + (1 << 20);

/** Free bytes on the drive, or undefined where the filesystem does not say (ENOSPC during the write is still handled). */
async function freeSpace(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return s.blocks === 0 ? undefined : s.bavail * s.bsize; // blocks 0: no size reported (e.g. fusefat)
  } catch {
    return undefined; // not every filesystem reports it
  }
}

/** Refuses up front a snapshot that cannot fit. */
async function refuseNoSpace(need: number, free: number, driveName: string): Promise<never> {
  const { default: prettyBytes } = await import('pretty-bytes');
  throw refusal('no-space', `not enough space on drive ${driveName}: the snapshot needs about ${prettyBytes(need)}, the drive has ${prettyBytes(free)} free`,
    'free space on the drive, prune old snapshots, or use a larger drive; nothing was written');
}

/**
 * Format 2: a snapshot builds on the drive's newest one, and a chain runs oldest first by id (its
 * date). A clock behind the drive's newest snapshot (a dead clock battery, a wrong time zone set
 * as UTC) would write a snapshot dated before its own base, which no reader may accept: refused
 * before anything is read or written.
 */
function refuseClockBehind(contents: DriveContents, id: string, driveName: string): void {
  const newest = contents.snapshots.filter((s) => s.complete).map((s) => s.id).sort().at(-1);
  if (newest === undefined || newest.slice(0, SECOND_ID_LENGTH) <= id) return;
  throw refusal('clock-behind', `this computer's clock says ${id}, but drive ${driveName} already holds a snapshot from ${newest}: a new snapshot must be newer than the ones it builds on`,
    'set this computer\'s clock right (e.g. timedatectl set-ntp true), then back up again');
}
/** `YYYY-MM-DDTHHMMSSZ`: a snapshot id without its -N suffix. */
const SECOND_ID_LENGTH = 18;

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
