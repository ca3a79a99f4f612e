// GFS retention, restic's ApplyPolicy in spirit: one pure function from a drive's snapshots
// and the rules to what is kept (with every rule that keeps it) and what may go.
import { isoWeek, snapshotDate } from './calendar.js';
import { fitOnly, type Retention } from './policy.js';

export interface RetentionResult {
  /** id → the rules that keep it, e.g. ["last 3", "monthly 2026-11"]. */
  keep: Map<string, string[]>;
  /** Ids no rule keeps, oldest first. */
  remove: string[];
}

type Rule = { name: string; count: number; bucket: (id: string) => string };

/** `ids` may be in any order; the newest snapshot is always kept, whatever the rules say. */
export function applyRetention(ids: string[], r: Retention): RetentionResult {
  const newestFirst = [...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const keep = new Map<string, string[]>();
  if (fitOnly(r)) {
    // Fit mode alone: every snapshot stays until a backup needs its room (core/make-room.ts).
    for (const id of newestFirst) keep.set(id, ['fit: kept while there is room']);
    return { keep, remove: [] };
  }
  const add = (id: string, why: string) => keep.set(id, [...(keep.get(id) ?? []), why]);
  newestFirst.slice(0, Math.max(1, r.keepLast)).forEach((id, i) => add(id, i === 0 && r.keepLast < 1 ? 'newest' : `last ${Math.max(1, r.keepLast)}`));
  const rules: Rule[] = [
    { name: 'daily', count: r.daily, bucket: (id) => snapshotDate(id) },
    { name: 'weekly', count: r.weekly, bucket: (id) => isoWeek(snapshotDate(id)) },
    { name: 'monthly', count: r.monthly, bucket: (id) => snapshotDate(id).slice(0, 7) },
    { name: 'yearly', count: r.yearly, bucket: (id) => snapshotDate(id).slice(0, 4) },
  ];
  for (const rule of rules) {
    const seen = new Set<string>();
    for (const id of newestFirst) {
      if (seen.size >= rule.count) break;
      const b = rule.bucket(id);
      if (seen.has(b)) continue;
      seen.add(b); // the newest snapshot of each bucket stands for it
      add(id, `${rule.name} ${b}`);
    }
  }
  const remove = newestFirst.filter((id) => !keep.has(id)).reverse();
  return { keep, remove };
}
