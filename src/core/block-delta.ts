// Fixed-block deltas of large files changed in place (issue 16, docs/delta-experiment.md and
// /work/delta-spec.md): which 1 MiB blocks of a file changed since the snapshot before, whether
// storing only those is worth it, and which stored bytes make up the file again at the end of a
// chain. Pure: the caller hashes the blocks (a snapshot's BLOCKS file keeps the lists), writes and
// reads the tarball members; this module only decides and models.
//
// The model of a restore is the stock one of RESTORE.txt, link by link in chain order: a `dd` that
// truncates or extends the file to the link's size, then one `dd conv=notrunc` per member at its
// block. `airgap restore` and `verify --deep` stream the same result instead (contentRanges), so
// the two must agree: the tests hold them to it over random histories of a file.

/** 1 MiB: the unit of change. Block k covers bytes [k·BLOCK_SIZE, min((k+1)·BLOCK_SIZE, size)). */
export const BLOCK_SIZE = 1 << 20;
/**
 * Only files of at least this size (the new size) are delta'd. For bytes alone a delta pays from
 * about 4 MiB (docs/delta-experiment.md); 16 MiB keeps the files that get `dd` lines in RESTORE.txt
 * to the big ones (a mailbox, a database, an image), and MAX_DD_LINES bounds the rest. It was
 * 64 MiB until the weekly bench's 50 MB mailbox showed what that cost: 60 MB a week.
 */
export const DELTA_MIN_SIZE = 16 * 1024 * 1024;
/** More runs of changed blocks than this: store whole, so a link stays a handful of `dd` lines. */
export const MAX_RUNS = 64;
/** More than this share of the new file's blocks changed: store whole (the delta saves little). */
export const MAX_CHANGED_SHARE = 0.5;
/** A run is cut into members of at most this many blocks: PowerShell reads a member into memory. */
export const MAX_MEMBER_BLOCKS = 64;
/** At most this many `dd` lines per snapshot (per link of a chain): past it, large files are stored whole. */
export const MAX_DD_LINES = 1000;
/** A block's hash: raw SHA-256. */
export const HASH_BYTES = 32;

/** The number of blocks of a file of `size` bytes (a 0-byte file has none). */
export const blockCount = (size: number): number => Math.ceil(size / BLOCK_SIZE);

/** A file's block list: its size and the hash of each block, in order (blockCount(size) × HASH_BYTES bytes). */
export interface BlockList {
  size: number;
  hashes: Uint8Array;
}

/** Blocks [first, first + count) of a file. */
export interface Run {
  first: number;
  count: number;
}

export type DeltaPlan =
  /** Store the file whole; `reason` is for a person ("smaller than 16 MiB"). */
  | { kind: 'whole'; reason: string }
  /**
   * Store only the changed blocks: `runs` are the maximal runs of changed blocks, `members` the
   * same blocks cut into tarball members of at most MAX_MEMBER_BLOCKS, both in block order.
   * `runs` may be empty: with the same size, the content is the same (the caller carries the file
   * instead); with a smaller size, the file was cut at a block boundary and the link only
   * truncates (its truncating `dd`, no member).
   */
  | { kind: 'delta'; runs: Run[]; members: Run[]; changedBlocks: number };

/** Thrown by applyDelta and contentRanges when links cannot come from one file's history: damage. */
export class DeltaLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeltaLinkError';
  }
}

const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const wellFormed = (list: BlockList): boolean =>
  Number.isSafeInteger(list.size) && list.size >= 0 && list.hashes.length === blockCount(list.size) * HASH_BYTES;

function sameHash(a: Uint8Array, b: Uint8Array, k: number): boolean {
  for (let i = k * HASH_BYTES, end = i + HASH_BYTES; i < end; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Cuts a run into members of at most MAX_MEMBER_BLOCKS blocks, in order. */
function cut(run: Run): Run[] {
  const members: Run[] = [];
  for (let first = run.first, end = run.first + run.count; first < end; first += MAX_MEMBER_BLOCKS) {
    members.push({ first, count: Math.min(MAX_MEMBER_BLOCKS, end - first) });
  }
  return members;
}

/**
 * Whether to store the new version of a file as the blocks that changed since `old` (the list of
 * the content the chain holds), and which. Block k of the new file changed when the old file has
 * no block k or its hash differs; blocks past the new end are gone, not changed. A last partial
 * block that grew or shrank has another hash, so the hashes alone cover a change of size.
 */
export function planDelta(old: BlockList, now: BlockList): DeltaPlan {
  const whole = (reason: string): DeltaPlan => ({ kind: 'whole', reason });
  // The size first: a small file has no block list worth checking (the writer keeps none).
  if (now.size < DELTA_MIN_SIZE) return whole(`smaller than ${DELTA_MIN_SIZE / BLOCK_SIZE} MiB`);
  // A list that does not fit its size is damage (a cut BLOCKS file, a wrong offset): whole is safe.
  if (!wellFormed(now)) return whole('its block list does not match its size');
  if (!wellFormed(old)) return whole('its previous block list does not match its size');
  const count = blockCount(now.size);
  const oldCount = blockCount(old.size);
  const runs: Run[] = [];
  let changed = 0;
  for (let k = 0; k < count; k++) {
    if (k < oldCount && sameHash(old.hashes, now.hashes, k)) continue;
    changed++;
    const last = runs.at(-1);
    if (last && last.first + last.count === k) last.count++;
    else runs.push({ first: k, count: 1 });
  }
  // The share before the runs: when both are over, "most of it changed" is what a person expects.
  if (changed > MAX_CHANGED_SHARE * count) return whole(`more than half of its blocks changed (${grouped(changed)} of ${grouped(count)})`);
  if (runs.length > MAX_RUNS) return whole(`more than ${MAX_RUNS} runs of changed blocks (${grouped(runs.length)})`);
  return { kind: 'delta', runs, members: runs.flatMap(cut), changedBlocks: changed };
}

/** What a link says of the file: its size after the link, and the members it stored. */
interface LinkShape {
  size: number;
  members: readonly Run[];
}

/** A link's members must be what planDelta makes: 1 to 64 blocks each, in order, apart, inside the file. */
function checkLink(link: LinkShape, i: number): void {
  if (!Number.isSafeInteger(link.size) || link.size < 0) throw new DeltaLinkError(`link ${i + 1}: ${link.size} is not a file size`);
  const count = blockCount(link.size);
  let next = 0;
  for (const m of link.members) {
    const ok = Number.isSafeInteger(m.first) && Number.isSafeInteger(m.count) && m.count >= 1 && m.count <= MAX_MEMBER_BLOCKS
      && m.first >= next && m.first + m.count <= count;
    if (!ok) {
      throw new DeltaLinkError(`link ${i + 1}: blocks ${m.first}+${m.count} are not 1 to ${MAX_MEMBER_BLOCKS} blocks of its ${grouped(count)}, after the blocks before them`);
    }
    next = m.first + m.count;
  }
}

/**
 * The reference model of a stock restore (RESTORE.txt): from the base (the file's last whole
 * copy), each link in order sets the file's size (cut, or extended with zeros as `dd` leaves a
 * hole), then writes each member's body at its first block. `bytes` gives a member's body, which
 * must be exactly min(count·BLOCK_SIZE, size − first·BLOCK_SIZE) bytes (any other size is damage).
 * Returns a new array (possibly a view of a larger one); never changes `base`. Memory: the whole
 * file, so for tests and small files.
 */
export function applyDelta(base: Uint8Array, links: readonly (LinkShape & { bytes: (m: Run) => Uint8Array })[]): Uint8Array {
  links.forEach(checkLink);
  // One buffer for the whole run, as `dd` works on one file: filling memory is what costs here.
  // Its bytes past the current size stay zero, so that growing the file reads as a hole.
  const file = new Uint8Array(Math.max(base.length, ...links.map((l) => l.size)));
  file.set(base);
  let size = base.length;
  links.forEach((link, i) => {
    if (link.size < size) file.fill(0, link.size, size);
    size = link.size;
    for (const m of link.members) {
      const body = link.bytes(m);
      const expected = Math.min(m.count * BLOCK_SIZE, link.size - m.first * BLOCK_SIZE);
      if (body.length !== expected) throw new DeltaLinkError(`link ${i + 1}: the member of block ${m.first} holds ${body.length} bytes, not ${expected}`);
      file.set(body, m.first * BLOCK_SIZE);
    }
  });
  return file.subarray(0, size);
}

/** Bytes [start, end) of the final file, read from the body of one member (or the base) at `at`. */
export interface ContentRange {
  start: number;
  end: number;
  /** Index of the link whose member holds these bytes; -1: the base (the file's last whole copy). */
  link: number;
  /** Index of that member in the link's `members`; -1 for the base. */
  member: number;
  /** Where the bytes start in that body: `start` in the base, start − first·BLOCK_SIZE in a member. */
  at: number;
}

/** The member of `members` (in block order) that holds block k, by bisection; -1 when none does. */
function memberAt(members: readonly Run[], k: number): number {
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = members[mid]!;
    if (k < m.first) hi = mid - 1;
    else if (k >= m.first + m.count) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Where each byte of the file at the end of `links` comes from, so that a reader can stream it
 * without building it: ranges covering [0, size) in order, each from the LAST link with a member
 * holding its block, else from the base. `size` is the final size (the last link's, or the base's
 * when there are no links). This equals applyDelta for links that planDelta made from one file's
 * versions; for others (a link cut the file and a later one grew it again without storing the
 * blocks in between, which would read as zeros) it throws DeltaLinkError, because the manifest that
 * lists them is damaged. The caller still checks that the base's body is long enough.
 */
export function contentRanges(links: readonly LinkShape[], size: number): ContentRange[] {
  links.forEach(checkLink);
  if (!Number.isSafeInteger(size) || size < 0) throw new DeltaLinkError(`${size} is not a file size`);
  const last = links.at(-1);
  if (last && last.size !== size) throw new DeltaLinkError(`the last link leaves the file at ${grouped(last.size)} bytes, not ${grouped(size)}`);
  const blocks = blockCount(size);
  // Every member's edges cut [0, blocks) into pieces that each come wholly from one source.
  const edges = new Set([0, blocks]);
  for (const link of links) {
    for (const m of link.members) {
      if (m.first >= blocks) continue;
      edges.add(m.first);
      edges.add(Math.min(m.first + m.count, blocks));
    }
  }
  const cuts = [...edges].sort((a, b) => a - b);
  // floor[i]: the smallest size of links i, i+1, …: each link's truncating dd drops what lies past
  // its size, so the bytes of link i (or of the base, i = 0) last only below it.
  const floor: number[] = new Array<number>(links.length + 1).fill(Infinity);
  for (let i = links.length - 1; i >= 0; i--) floor[i] = Math.min(links[i]!.size, floor[i + 1]!);
  const ranges: ContentRange[] = [];
  for (let c = 0; c + 1 < cuts.length; c++) {
    const k = cuts[c]!;
    let link = links.length - 1;
    let member = -1;
    for (; link >= 0; link--) if ((member = memberAt(links[link]!.members, k)) >= 0) break;
    const start = k * BLOCK_SIZE;
    const end = Math.min(cuts[c + 1]! * BLOCK_SIZE, size);
    const lasts = floor[Math.max(link, 0)]!;
    if (end > lasts) throw new DeltaLinkError(`bytes ${grouped(Math.max(start, lasts))} to ${grouped(end)} were cut off by a link and never stored again`);
    const prev = ranges.at(-1);
    if (prev && prev.link === link && prev.member === member && prev.end === start) {
      prev.end = end;
      continue;
    }
    const at = link < 0 ? start : start - links[link]!.members[member]!.first * BLOCK_SIZE;
    ranges.push({ start, end, link, member, at });
  }
  return ranges;
}
