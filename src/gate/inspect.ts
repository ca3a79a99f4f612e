// The mass-change gate: before a snapshot is written, compare the sources with the last
// accepted backup and judge whether the change looks like ransomware or a mangling sync.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compareListings, ENTROPY_SAMPLE, entropyOf, judgeChanges, type ChangeReport, type GatePolicy, type GateVerdict, type ListingEntry } from '../core/change-analysis.js';

import { damage } from '../core/errors.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { ScanEntry } from '../snapshot/scan.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import { BaselineDamagedError, readBaseline } from '../state/baseline.js';
import { setAside } from '../state/set-aside.js';
import { manifestFileFor, manifestVersionsIn, readFullSnapshotMeta } from '../layout/snapshot-meta.js';

const SAMPLE = ENTROPY_SAMPLE; // the same sample size as the backup's (core/change-analysis.ts)

/** The entropy of a live file's first bytes (undefined when it cannot be read). */
export async function sampleEntropy(abs: string): Promise<number | undefined> {
  try {
    // Non-blocking, no link followed, regular files only: the file may have been replaced by a
    // FIFO or a link since the scan saw it.
    const fh = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
    try {
      if (!(await fh.stat()).isFile()) return undefined;
      const buf = Buffer.alloc(SAMPLE);
      const { bytesRead } = await fh.read(buf, 0, SAMPLE, 0);
      return entropyOf(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** What a drive's file system says when a snapshot's manifest cannot be opened or read. */
const UNREADABLE = new Set(['ENOENT', 'EIO', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP']);

/**
 * A snapshot's MANIFEST.tsv as a listing, read as the version its snapshot.json's format says
 * (`diff`, and the gate when the host has no baseline). A manifest that is missing or unreadable
 * (a damaged drive) is damage naming the snapshot, exit 3, as `find` says it; it used to escape
 * as an internal error with a stack trace.
 */
export async function* manifestListing(snapshot: { id: string; dir: string }, drive?: string): AsyncGenerator<ListingEntry> {
  const { versions, encrypted } = await manifestVersionsIn(snapshot);
  const reader = new ManifestReader(join(snapshot.dir, manifestFileFor(versions, encrypted)), versions);
  try {
    for (let e = await reader.next(); e; e = await reader.next()) yield fromManifest(e);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !UNREADABLE.has(code)) throw e;
    const where = drive ? `snapshot ${snapshot.id} on drive ${drive}` : `snapshot ${snapshot.id} (${snapshot.dir})`;
    throw damage('manifest-unreadable', `the manifest of ${where} cannot be read (${code === 'ENOENT' ? 'it is missing' : code})`,
      `run airgap verify ${drive ?? '<drive>'} --deep; the same files may be in a snapshot on another drive (airgap find)`);
  } finally {
    reader.close();
  }
}

const fromManifest = (e: ManifestEntry): ListingEntry => {
  const l: ListingEntry = { path: e.path, type: e.type, size: e.size, mtime: e.mtime };
  if (e.sha256) l.sha256 = e.sha256;
  return l;
};

export async function* scanListing(entries: Iterable<ScanEntry>): AsyncGenerator<ListingEntry & { abs: string }> {
  for (const e of entries) yield { path: e.path, type: e.kind, size: e.size, mtime: e.mtime, abs: e.abs };
}

export interface GateResult {
  report: ChangeReport;
  verdict: GateVerdict;
  comparedWith: string;
}

/**
 * The newest of these snapshots that was taken of the same source folders (from its
 * snapshot.json): a snapshot of other folders says nothing about these.
 */
export async function sameSourcesSnapshot(candidates: { id: string; dir: string }[], sources: string[]): Promise<{ id: string; dir: string } | undefined> {
  const want = [...sources].sort().join('\n');
  for (const s of [...candidates].reverse()) {
    try {
      // An encrypted snapshot's sources are only in its snapshot.json.age: without a key (a
      // backup needs none), it is no basis for comparison; the host's baseline still is.
      const meta = await readFullSnapshotMeta(s);
      if (meta.sources.map((x) => x.path).sort().join('\n') === want) return s;
    } catch {
      // unreadable snapshot.json (or no key for an encrypted one): not a basis for comparison
    }
  }
  return undefined;
}

/**
 * Compares the scanned sources with the baseline (or, without one, a snapshot's manifest). A
 * damaged baseline is set aside (state/set-aside.ts) with a warning, and the snapshot is the
 * comparison instead: a damaged file of host state is never a crash nor silently trusted.
 */
export async function inspectChanges(
  entries: Iterable<ScanEntry>, baseline: string, fallbackSnapshot: { id: string; dir: string } | undefined, policy: GatePolicy,
  opts: { now: Date; warn: (message: string) => void },
): Promise<GateResult | undefined> {
  const sample = (e: ListingEntry) => sampleEntropy((e as ListingEntry & { abs: string }).abs);
  if (await stat(baseline).then(() => true, () => false)) {
    try {
      const report = await compareListings(readBaseline(baseline), scanListing(entries), sample);
      return { report, verdict: judgeChanges(report, policy), comparedWith: 'the last accepted backup of these sources' };
    } catch (e) {
      if (!(e instanceof BaselineDamagedError)) throw e;
      const aside = await setAside(baseline, opts.now, { code: 'baseline-damaged', what: 'the gate baseline', rebuilt: 'the next accepted backup writes a new one' });
      opts.warn(`${e.message}: it was moved to ${aside}; the next accepted backup writes a new one${fallbackSnapshot ? `, and this one is compared with snapshot ${fallbackSnapshot.id}` : ''}`);
    }
  }
  if (!fallbackSnapshot) return undefined; // the first backup: nothing to compare with
  const report = await compareListings(manifestListing(fallbackSnapshot), scanListing(entries), sample);
  return { report, verdict: judgeChanges(report, policy), comparedWith: `snapshot ${fallbackSnapshot.id}` };
}
