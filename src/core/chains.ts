// Snapshot chains on one drive (on-drive format 2, docs/FORMAT.md): a full snapshot holds every
// file; an incremental one holds only what changed since its base, the snapshot before it on the
// same drive. A snapshot is restorable when its whole chain (its full, then each increment up to
// it) is on the drive. These are the rules that keep it so: what a snapshot needs, what depends on
// a snapshot, what retention must keep along with what it chose, and when the next snapshot
// starts a new chain. Pure: the caller gives what is on the drive.

export interface ChainSnapshot {
  id: string;
  /** The snapshot this one builds on; absent for a full (and for every format-1 snapshot). */
  base?: string;
  /** Bytes on the drive (its tarball and manifests). */
  bytes: number;
  complete: boolean;
  /** The last verification found damage in it. */
  damaged?: boolean;
}

/**
 * The chain a snapshot needs, oldest first (its full first, itself last), or undefined when a
 * link is missing, incomplete, or loops: then the snapshot cannot be restored from this drive.
 */
export function chainOf(snapshots: readonly ChainSnapshot[], id: string): string[] | undefined {
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let cur = byId.get(id); cur; cur = cur.base === undefined ? undefined : byId.get(cur.base)) {
    if (!cur.complete || seen.has(cur.id)) return undefined;
    seen.add(cur.id);
    chain.push(cur.id);
    if (cur.base === undefined) return chain.reverse();
  }
  return undefined;
}

/**
 * Of the snapshots asked to be pruned together, those that may go: not one that a snapshot staying
 * on the drive builds on, however the list was made. `held` names, for each one kept back, the
 * staying snapshots that build on it. Whatever is removed, every staying snapshot keeps its chain.
 */
export function prunableTogether(snapshots: readonly ChainSnapshot[], asked: readonly string[]): { prune: string[]; held: Map<string, string[]> } {
  const going = new Set(asked);
  const held = new Map<string, string[]>();
  const prune = asked.filter((id) => {
    const staying = dependantsOf(snapshots, id).filter((d) => !going.has(d));
    if (staying.length) held.set(id, staying);
    return !staying.length;
  });
  return { prune, held };
}

/** Every snapshot whose chain runs through `id` (itself excluded): what damage to `id` takes with it. */
export function dependantsOf(snapshots: readonly ChainSnapshot[], id: string): string[] {
  const children = new Map<string, string[]>();
  for (const s of snapshots) if (s.base !== undefined) children.set(s.base, [...(children.get(s.base) ?? []), s.id]);
  const out: string[] = [];
  const queue = [...(children.get(id) ?? [])];
  const seen = new Set<string>([id]);
  while (queue.length) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out.sort();
}

/**
 * What must stay on the drive so that every snapshot retention keeps can still be restored: the
 * kept ones and every snapshot of their chains. A kept snapshot whose chain is already broken
 * keeps what is left of it (the pieces may still be salvaged); it is named in `broken`.
 */
export function keepWithBases(snapshots: readonly ChainSnapshot[], keep: Iterable<string>): { keep: Set<string>; broken: string[] } {
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const out = new Set<string>();
  const broken: string[] = [];
  for (const id of keep) {
    if (!byId.has(id)) continue;
    if (!chainOf(snapshots, id)) broken.push(id);
    const seen = new Set<string>();
    for (let cur = byId.get(id); cur && !seen.has(cur.id); cur = cur.base === undefined ? undefined : byId.get(cur.base)) {
      seen.add(cur.id);
      out.add(cur.id);
    }
  }
  return { keep: out, broken: broken.sort() };
}

export interface ChainPolicy {
  /** At most this many snapshots in one chain (the full included) before a new full. */
  maxLength: number;
  /** A new full once the chain's increments together weigh this share of its full. */
  maxIncrementShare: number;
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = { maxLength: 12, maxIncrementShare: 0.5 };

export type NextSnapshot =
  | { kind: 'full'; reason: string }
  | { kind: 'incremental'; base: string; chain: string[]; reason: string };

export interface NextSnapshotInput {
  /** The snapshots on this drive, of any format, oldest first. */
  snapshots: readonly ChainSnapshot[];
  policy: ChainPolicy;
  /** `backup --full`. */
  forceFull?: boolean;
  /** Ids of snapshots that are format 1 (never a base: they carry no member offsets). */
  formatOne?: ReadonlySet<string>;
  /**
   * The format of each snapshot whose snapshot.json reads, and the format the next one is written
   * in: a chain never mixes formats (format 3's RESTORE.txt extracts every tarball of its chain
   * with tar -z, a format 2 one without), so a different one starts a new full.
   */
  formats?: ReadonlyMap<string, number>;
  format?: number;
  /**
   * Whether a new full copy would fit in the drive's free space (undefined: not known). The
   * policy's limits (length, increments' weight) keep chains short for the restore's sake; they
   * never stop the backups of a drive that cannot hold a second full: the chain goes on instead.
   */
  fullFits?: boolean;
}

/** Whether the next snapshot on this drive is a new full or an increment of the newest, and why. */
export function nextSnapshot(input: NextSnapshotInput): NextSnapshot {
  const { snapshots, policy } = input;
  if (input.forceFull) return { kind: 'full', reason: 'a full snapshot was asked for (--full)' };
  const newest = [...snapshots].reverse().find((s) => s.complete);
  if (!newest) return { kind: 'full', reason: 'the first snapshot on this drive' };
  if (input.formatOne?.has(newest.id)) return { kind: 'full', reason: `the newest snapshot (${newest.id}) is format 1, which an increment cannot build on` };
  const newestFormat = input.formats?.get(newest.id);
  if (input.format !== undefined && newestFormat !== undefined && newestFormat !== input.format) {
    return { kind: 'full', reason: `the newest snapshot (${newest.id}) is format ${newestFormat} and this one is format ${input.format}: a chain never mixes formats` };
  }
  const chain = chainOf(snapshots, newest.id);
  if (!chain) return { kind: 'full', reason: `the chain of the newest snapshot (${newest.id}) is not whole on this drive` };
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const damaged = chain.filter((id) => byId.get(id)!.damaged);
  if (damaged.length) return { kind: 'full', reason: `the chain holds a snapshot that failed verification (${damaged.join(', ')})` };
  const increment: NextSnapshot = { kind: 'incremental', base: newest.id, chain, reason: `builds on ${newest.id} (chain of ${chain.length})` };
  const full = byId.get(chain[0]!)!;
  const increments = chain.slice(1).reduce((n, id) => n + byId.get(id)!.bytes, 0);
  const limit = chain.length >= policy.maxLength
    ? `the chain is ${chain.length} snapshots long (at most ${policy.maxLength})`
    : full.bytes > 0 && increments >= policy.maxIncrementShare * full.bytes
      ? `the chain's increments weigh ${Math.round((increments / full.bytes) * 100)} % of its full (a new full from ${Math.round(policy.maxIncrementShare * 100)} %)`
      : undefined;
  if (limit === undefined) return increment;
  if (input.fullFits === false) return { ...increment, reason: `${limit}, but a new full does not fit in the free space: ${increment.reason}` };
  return { kind: 'full', reason: limit };
}
