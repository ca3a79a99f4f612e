// The rotation policy, as the planner sees it (the config schema in state/config.ts produces it).
import type { ChainPolicy } from './chains.js';
import type { Cadence } from './calendar.js';

export type Scheme = 'round-robin' | 'hanoi' | 'oldest-first';
export type Role = 'home' | 'offsite';

/** GFS retention: a snapshot is kept when any rule keeps it. */
export interface Retention {
  keepLast: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  /**
   * Fit mode, like Time Machine: when the next snapshot needs room, the backup removes the oldest
   * snapshots first, beyond the rules (never the drive's newest or the newest verified copy). With
   * no rule besides it, every snapshot is kept while there is room.
   */
  fit?: boolean;
}

export interface RotationDrive {
  name: string;
  role: Role;
  location?: string;
  retention: Retention;
}

export interface Policy {
  drives: RotationDrive[];
  cadence: Cadence;
  scheme: Scheme;
  /** How many rotation drives must be disconnected at all times (the air gap). */
  offline: number;
  /** Day 0 of the rotation: slot numbers (round-robin, Tower of Hanoi) count from here. */
  epoch: string;
  alerts: { rotationDays: number; verifyDays: number };
  /** The snapshot format new snapshots are written in (docs/FORMAT.md); 1 when not said. */
  format?: 1 | 2 | 3;
  /** Format 2: when a chain ends and a new full starts (the config's "chain"); the defaults when not said. */
  chain?: ChainPolicy;
}

/** The rules when the config gives none (docs/rotation.md); `airgap init` writes them out. */
export const DEFAULT_RETENTION: Retention = { keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 };
export const RETENTION_RULES = ['keepLast', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/**
 * Retention as written (issue 17 §2): the rules a config gives are the only rules, a rule it
 * leaves out is off (0). Filling the unset ones with their defaults made `{"keepLast": 2}` keep
 * seven dailies, five weeklies, twelve monthlies and ten yearlies as well, so a full drive could
 * never be freed by the setting that says so. No retention at all means the defaults.
 */
export function retentionAsWritten(given: Partial<Retention> | undefined): Retention {
  if (!given) return { ...DEFAULT_RETENTION };
  return {
    keepLast: given.keepLast ?? 0, daily: given.daily ?? 0, weekly: given.weekly ?? 0, monthly: given.monthly ?? 0, yearly: given.yearly ?? 0,
    ...(given.fit ? { fit: true } : {}),
  };
}

/** Fit mode with no rule besides it: nothing is pruned until room is needed. */
export const fitOnly = (r: Retention): boolean => r.fit === true && RETENTION_RULES.every((k) => r[k] === 0);

/** The rules in words, as `init` and the docs say them: "the last 3, and the newest of each of the last 7 days, …". */
export function describeRetention(r: Retention): string {
  const fit = 'as many as fit: when the next snapshot needs room, the oldest go first';
  if (fitOnly(r)) return fit;
  if (r.fit) return `${describeRules(r)}; and ${fit}`;
  return describeRules(r);
}

function describeRules(r: Retention): string {
  const last = r.keepLast < 1 ? 'the newest' : `the last ${r.keepLast}`; // the newest is always kept (core/retention)
  const units: [number, string, string][] = [[r.daily, 'day', 'days'], [r.weekly, 'week', 'weeks'], [r.monthly, 'month', 'months'], [r.yearly, 'year', 'years']];
  const each = units.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  if (!each.length) return `${last}; no daily, weekly, monthly or yearly rules`;
  const list = each.length === 1 ? each[0] : `${each.slice(0, -1).join(', ')} and ${each.at(-1)}`;
  return `${last}, and the newest of each of the last ${list}`;
}
/** A Monday, so that a weekly cadence without a start date falls on Mondays. */
export const DEFAULT_EPOCH = '2024-01-01';

/** Which drive a cadence slot belongs to, for the calendar-driven schemes. */
export function driveIndexForSlot(scheme: Exclude<Scheme, 'oldest-first'>, slot: number, drives: number): number {
  if (drives <= 1) return 0;
  if (scheme === 'round-robin') return ((slot % drives) + drives) % drives;
  // Tower of Hanoi: slot k (1-based) goes to the drive numbered by k's trailing zero bits, so
  // drive 0 gets every 2nd backup, drive 1 every 4th, …, and the last two every 2^(n-1)th.
  let k = slot + 1;
  let tz = 0;
  while (k % 2 === 0 && tz < drives - 1) {
    k /= 2;
    tz++;
  }
  return tz;
}

/** Slots between two backups of the same drive, at most: what "due within its period" means. */
export function schemePeriod(scheme: Scheme, drives: number): number {
  if (scheme === 'hanoi') return 2 ** Math.max(0, drives - 1);
  return drives;
}
