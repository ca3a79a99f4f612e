// What the rotation planner reads and answers (core/planner.ts): the drives as the catalog knows
// them, and the plan with its reasons. Kept apart so that the planner file holds the decisions.
import type { Policy } from './policy.js';

export interface PlanSnapshot {
  id: string;
  bytes: number;
  /** Passed verification (plain or deep) at least once, and never failed since. */
  verified: boolean;
  /** Has SHA256SUMS and a readable snapshot.json; damaged or incomplete ones are never planned with. */
  complete: boolean;
  /** Format 2: the snapshot this increment builds on (none for a full, and for every format-1 snapshot). */
  base?: string;
  /** Its on-drive format, when known: a snapshot in another format than the policy's is never built on. */
  format?: number;
  /**
   * A SUSPECT snapshot rejected as evidence (`airgap reject`): kept on the drive, but not the
   * drive's backup of its day, so the drive is due again for a good one.
   */
  rejected?: boolean;
}

export interface PlanDrive {
  name: string;
  snapshots: PlanSnapshot[];
  lastVerifiedOn?: string; // YYYY-MM-DD
  labelledOn?: string; // YYYY-MM-DD
  capacity?: { total: number; free: number };
}

export interface PlanInput {
  policy: Policy;
  /** What the catalog knows, for every rotation drive it knows; missing drives count as empty. */
  drives: PlanDrive[];
  /** Names of the rotation drives connected right now. */
  connected: string[];
  /** The user's local calendar date. */
  today: string;
  /** Current size of the sources, when known: improves the size estimate. */
  sourceBytes?: number;
}

export interface OfflineDrive {
  drive: string;
  where: 'offline' | 'offsite';
  /** Part of the minimum air gap (policy.offline); the others are simply not needed today. */
  required: boolean;
  reason: string;
}

export interface PruneItem {
  drive: string;
  snapshot: string;
  bytes: number;
  reason: string;
}

/** A snapshot that stays on the target, and why: the retention rules that keep it, or the guard. */
export interface KeptItem {
  snapshot: string;
  bytes: number;
  reasons: string[];
}

export interface Forecast {
  drive: string;
  free?: number;
  perSnapshot?: number;
  /** How many more snapshots fit in the free space. */
  more?: number;
  /** The retention policy's steady state fits in the drive. */
  enoughForPolicy?: boolean;
  fullAround?: string;
}

export interface Plan {
  date: string;
  /** Today is on the cadence. */
  backupDay: boolean;
  /** A snapshot is due (today, or overdue since `targetDate`). */
  due: boolean;
  target?: string;
  /** The date the target's snapshot belongs to (in the past when overdue, in the future when not due). */
  targetDate?: string;
  keepOffline: OfflineDrive[];
  prune: PruneItem[];
  /** What stays on the target, newest first, with why (the prune's other half). */
  keep: KeptItem[];
  /** Pruning never happens before the new snapshot is written and verified. */
  pruneWhen: 'after-write-and-verify';
  next: { drive: string; date: string }[];
  capacity: {
    estimate?: number; free?: number; freeAfterPrune?: number; fits: boolean | 'unknown';
    /** Format 2: whether the next snapshot on the target is a new full or an increment. */
    kind?: 'full' | 'increment';
  };
  forecast: Forecast[];
  warnings: string[];
  reasons: string[];
}

/** The newest complete snapshot a drive holds, by id. */
/** A drive's newest backup: complete, and not rejected evidence. */
export const newest = (d: PlanDrive | undefined) => d?.snapshots.filter((s) => s.complete && !s.rejected).map((s) => s.id).sort().at(-1);
