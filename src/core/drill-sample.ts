// Restore drills (issue 19, the "0 errors" of 3-2-1-1-0): which snapshot a drill restores and
// which of its files, as pure choices over what the drive holds and a seeded random stream, so
// that `airgap drill --seed N` repeats a drill exactly and the tests can aim at a file.
// The job (jobs/drill.ts) reads the drive, restores the sample with the restore machinery and
// checks every restored file against the manifest's SHA-256.
import { chainOf } from './chains.js';

/** A seeded random stream in [0, 1): mulberry32 (32-bit state; plenty for a drill's draws). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The largest seed `--seed` takes (seeds are 32-bit). */
export const MAX_DRILL_SEED = 2 ** 32 - 1;

/** What a drill takes by default: 1 % of the files, at least 20, at most 1000 files and 256 MiB. */
export const DRILL_DEFAULTS = { percent: 1, minFiles: 20 } as const;
/** Past 1000 files a format 2 restore reads whole tarballs rather than members at their offsets (restore/extract-at.ts). */
export const MAX_DRILL_FILES = 1000;
/** A drill stays quick on a big snapshot: a few seconds of reading from a USB drive. */
export const MAX_DRILL_BYTES = 256 * 1024 * 1024;
/**
 * Added to each file's size as its weight: a file's chance goes with its size (that is where the
 * bytes are, and where damage lands), and empty and tiny files can still be drawn.
 */
const WEIGHT_FLOOR = 4096;

export interface DrillFile {
  path: string;
  size: number;
}

export interface SampleRule {
  /** At least this share of the files, in percent (0, 100]. */
  percent: number;
  /** At least this many files (fewer only when the snapshot has fewer). */
  minFiles: number;
  /** At most this many bytes in all (MAX_DRILL_BYTES unless a test says otherwise). */
  maxBytes?: number;
}

/** How many files a drill of `total` files aims at: the larger of the share and the minimum, at most MAX_DRILL_FILES. */
export function sampleSize(total: number, rule: SampleRule): number {
  return Math.min(total, MAX_DRILL_FILES, Math.max(rule.minFiles, Math.ceil((total * rule.percent) / 100)));
}

/**
 * A size-weighted random sample without replacement (Efraimidis–Spirakis: each file's key is
 * u^(1/weight), the largest keys win), taken in key order while the bytes stay under the cap; a
 * file that would pass the cap is passed over for smaller ones. When no file fits under the cap
 * at all, the smallest file is the drill: a drill never checks nothing while there are files.
 * Returns indexes into `files`, in the order of `files`.
 */
export function chooseDrillSample(files: readonly DrillFile[], rule: SampleRule, random: () => number): number[] {
  const want = sampleSize(files.length, rule);
  if (want === 0) return [];
  const cap = rule.maxBytes ?? MAX_DRILL_BYTES;
  // log(u)/w orders the files as u^(1/w) does, without underflow for large weights.
  const keys = files.map((f, i) => ({ i, key: Math.log(1 - random()) / (f.size + WEIGHT_FLOOR) }));
  keys.sort((a, b) => b.key - a.key || a.i - b.i);
  const taken: number[] = [];
  let bytes = 0;
  for (const { i } of keys) {
    if (taken.length === want) break;
    const size = files[i]!.size;
    if (bytes + size > cap) continue;
    taken.push(i);
    bytes += size;
  }
  if (taken.length === 0) {
    let smallest = 0;
    for (let i = 1; i < files.length; i++) if (files[i]!.size < files[smallest]!.size) smallest = i;
    taken.push(smallest);
  }
  return taken.sort((a, b) => a - b);
}

export interface DrillCandidate {
  id: string;
  complete: boolean;
  /** SUSPECT (the question open, or rejected as evidence): never drilled, as restore never takes it unnamed. */
  suspect: boolean;
  /** Format 2: the snapshot an increment builds on. */
  base?: string;
  /** Regular files in it (snapshot.json's count); undefined when snapshot.json cannot be read. */
  files?: number;
}

export type DrillChoice =
  | { ok: true; id: string; /** How many snapshots it was drawn from. */ of: number }
  | { ok: false; code: 'no-snapshot-to-drill'; message: string; hint: string };

/**
 * A random complete snapshot that a restore would take: not SUSPECT, with files in it, and
 * (format 2) whose whole chain is on the drive. Each such snapshot is equally likely: a drill
 * should prove old snapshots as well as the newest.
 */
export function chooseDrillSnapshot(snapshots: readonly DrillCandidate[], drive: string, random: () => number): DrillChoice {
  const chains = snapshots.map((s) => ({ id: s.id, complete: s.complete && s.files !== undefined, bytes: 0, ...(s.base !== undefined ? { base: s.base } : {}) }));
  const pool = snapshots.filter((s) => s.complete && s.files !== undefined && s.files > 0 && !s.suspect && chainOf(chains, s.id) !== undefined);
  if (pool.length) return { ok: true, id: pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))]!.id, of: pool.length };
  const why = passedOver(snapshots, chains);
  return {
    ok: false, code: 'no-snapshot-to-drill',
    message: `drive ${drive} holds no complete snapshot a drill can restore${why ? ` (${why})` : ''}`,
    hint: snapshots.some((s) => s.suspect) ? `back up to ${drive} first (a SUSPECT snapshot is never drilled; airgap restore takes one only when named), or drill another drive` : `back up to ${drive} first, or drill another drive: airgap drill <drive>`,
  };
}

/** Why each snapshot was not drawn, counted: "2 incomplete, 1 SUSPECT". */
function passedOver(snapshots: readonly DrillCandidate[], chains: Parameters<typeof chainOf>[0]): string {
  const count = { incomplete: 0, unreadable: 0, SUSPECT: 0, 'without files': 0, 'with a broken chain': 0 };
  for (const s of snapshots) {
    if (!s.complete) count.incomplete++;
    else if (s.files === undefined) count.unreadable++;
    else if (s.suspect) count.SUSPECT++;
    else if (s.files === 0) count['without files']++;
    else if (!chainOf(chains, s.id)) count['with a broken chain']++;
  }
  return Object.entries(count).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
}
