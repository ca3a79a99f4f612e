// Room for the next snapshot on a full drive (issue 17 §2): which snapshots a backup may remove
// *before* it writes, and whether that is enough. Pure: the caller gives the drive's snapshots,
// what retention already allows removing, the protected ones and the sizes.
//
// Two sources of room, in this order:
// 1. what the retention rules drop anyway (they would go right after the write): oldest first,
//    and only as many as the new snapshot needs, since it is not yet written and verified;
// 2. fit mode only ("fit": true in the retention): the oldest snapshots beyond the rules, as
//    Time Machine does, never a protected one.
// Both go chain by chain: a snapshot is removed only together with every snapshot that builds on
// it (core/chains.ts), so no snapshot left on the drive ever misses its base, even if the run
// stops between two removals (they happen newest first).
import { dependantsOf, type ChainSnapshot } from './chains.js';

export interface RoomInput {
  /** Bytes the new snapshot needs, with its margin. */
  need: number;
  free: number;
  /** The drive's complete snapshots. */
  snapshots: readonly (ChainSnapshot & { bytes: number })[];
  /** What retention allows removing (the planner's prune list, itself chain-safe and protected). */
  allowed: readonly { snapshot: string; reason: string }[];
  /** Fit mode: beyond the rules, the oldest first. */
  fit: boolean;
  /** Never removed, in fit mode either: the drive's newest, its newest verified, the newest verified anywhere. */
  protect: ReadonlySet<string>;
}

export interface RoomPlan {
  /** Oldest first (remove them newest first). */
  remove: { snapshot: string; bytes: number; reason: string }[];
  freed: number;
  /** free + freed ≥ need. */
  enough: boolean;
  /** All retention allows (for the message when even that is not enough). */
  allowedBytes: number;
}

export function roomPlan(input: RoomInput): RoomPlan {
  const { snapshots, need, free } = input;
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const chosen = new Map<string, { snapshot: string; bytes: number; reason: string }>();
  let freed = 0;
  const enough = () => free + freed >= need;
  /** Takes `id` with everything built on it, if all of that may go; false otherwise. */
  const take = (id: string, may: (x: string) => boolean, reason: (x: string) => string): boolean => {
    const group = [id, ...dependantsOf(snapshots, id)].filter((x) => !chosen.has(x));
    if (!group.every((x) => byId.has(x) && may(x))) return false;
    for (const x of group) {
      const bytes = byId.get(x)!.bytes;
      chosen.set(x, { snapshot: x, bytes, reason: reason(x) });
      freed += bytes;
    }
    return true;
  };
  const allowedReason = new Map(input.allowed.map((a) => [a.snapshot, a.reason]));
  const allowedBytes = input.allowed.reduce((n, a) => n + (byId.get(a.snapshot)?.bytes ?? 0), 0);
  for (const id of [...allowedReason.keys()].sort()) {
    if (enough()) break;
    take(id, (x) => allowedReason.has(x), (x) => allowedReason.get(x)!);
  }
  if (input.fit) {
    const oldestFirst = snapshots.map((s) => s.id).sort();
    for (const id of oldestFirst) {
      if (enough()) break;
      if (chosen.has(id)) continue;
      take(id, (x) => !input.protect.has(x), () => 'fit: the oldest, to make room for the new snapshot');
    }
  }
  const remove = [...chosen.values()].sort((a, b) => a.snapshot.localeCompare(b.snapshot));
  return { remove, freed, enough: enough(), allowedBytes };
}
