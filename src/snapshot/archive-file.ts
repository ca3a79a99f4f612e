// What the archive loop (archive.ts) shares with the steps for one regular file: the loop's state,
// and the manifest line of a file stored, or carried forward from the chain (format 2).
import type { ManifestEntry } from '../layout/manifest.js';
import type { SourceProblem } from '../layout/format.js';
import type { HashedWriter } from '../io/hashed-writer.js';
import type { HeaderStat } from './read-source.js';
import type { ReadAhead } from './read-ahead.js';
import type { CarryPlan } from './carry-plan.js';
import type { ScanEntries, ScanEntry } from './scan.js';
import type { ArchiveCounts, ArchiveOptions, ArchiveOutputs } from './archive.js';

/** What the manifest needs of a stored file (a PackedFile is one). */
export interface Stored extends HeaderStat {
  size: number;
  sha256: string;
  entropy: number; // of the first ENTROPY_SAMPLE bytes
}

/** One literal for every manifest entry, so that they all share one hidden class. */
export const manifestEntry = (
  type: ManifestEntry['type'], path: string, mode: number, uid: number, gid: number, size: number, mtime: number,
  sha256: string | undefined, link: string | undefined,
): ManifestEntry => ({ type, path, mode, uid, gid, size, mtime, sha256, link });

/** What the archive loop shares with the step for one regular file. */
export interface Loop {
  out: ArchiveOutputs;
  problems: SourceProblem[];
  opts: ArchiveOptions;
  counts: ArchiveCounts;
  firstCopy: Map<string, { path: string; size: number; sha256: string; entropy: number }>;
  ahead: ReadAhead;
  carry: CarryPlan | undefined;
  tick: (where: string) => void;
  record: (e: ManifestEntry) => Promise<void> | undefined;
  storedWait: Promise<void> | undefined; // what onStored returned for the current entry, to wait for
  blocksOut: HashedWriter | undefined; // the BLOCKS file, once a large file was stored
}

/** The manifest line (and baseline record) of a file just appended to the tarball. */
export function storedFile(loop: Loop, entries: ScanEntries, i: number, e: ScanEntry, stored: Stored, key: string | undefined, blocks?: { offset: number }): Promise<void> | undefined {
  const entry = manifestEntry('file', e.path, stored.mode, stored.uid, stored.gid, stored.size, stored.mtime, stored.sha256, undefined);
  if (blocks) entry.blocks = blocks;
  loop.storedWait = loop.opts.onStored?.(entry, stored.entropy, entries.stamp(i)) ?? undefined;
  if (key !== undefined) loop.firstCopy.set(key, { path: e.path, size: stored.size, sha256: stored.sha256, entropy: stored.entropy });
  loop.counts.files++;
  loop.counts.contentBytes += stored.size;
  return loop.record(entry);
}

/** A file whose content is already in the chain: its manifest line points there; nothing is written. */
export function carriedEntry(loop: Loop, e: ScanEntry, i: number, stamp: string, entropy?: number): ManifestEntry {
  const { counts } = loop, where = loop.carry!.where(i);
  const entry = manifestEntry('file', e.path, e.mode, e.uid, e.gid, e.size, e.mtime, where.sha256, undefined);
  entry.in = where.in;
  entry.offset = where.offset;
  // A large file's block list, and the blocks laid over its copy, go on with it.
  const prior = loop.carry!.prior(i);
  if (prior?.blocks) entry.blocks = prior.blocks;
  if (prior?.delta?.length) {
    entry.delta = prior.delta;
    counts.deltaFiles.push({ path: e.path, mtime: e.mtime, links: prior.delta });
  }
  // The gate's baseline keeps its entropy sample; an unknown one (never sampled) counts as plain.
  loop.storedWait = loop.opts.onStored?.(entry, entropy ?? where.entropy ?? 0, stamp) ?? undefined;
  counts.files++;
  counts.contentBytes += e.size;
  counts.carried.files++;
  counts.carried.bytes += e.size;
  return entry;
}

export const silentChangeMessage = (base: string) =>
  `its content changed while its size, times, inode and device did not: silent corruption of the source, or a program that hides its writes. The new content is stored; the earlier content stays in snapshot ${base}. Check this file before trusting either.`;
