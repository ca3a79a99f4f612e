// Capacity in the plan: the next snapshot's size against the target's free space (and what the
// backup will do when it is short, core/make-room.ts), each drive's forecast, and the early
// warning when a drive is too small for its retention rules at the size of the sources.
import { backupDaysAfter, dayNumber, toDate } from './calendar.js';
import { driveIndexForSlot, fitOnly, type Retention } from './policy.js';
import { humanBytes } from './human-bytes.js';
import { applyRetention } from './retention.js';
import { DEFAULT_CHAIN_POLICY, nextSnapshot } from './chains.js';
import type { Forecast, Plan, PlanInput, PlanSnapshot } from './plan-model.js';

export function planCapacity(input: PlanInput, plan: Plan): void {
  const all = input.drives.flatMap((d) => d.snapshots.filter((s) => s.complete));
  const recent = [...all].sort((a, b) => b.id.localeCompare(a.id)).slice(0, 5);
  const next = plan.target ? nextEstimate(input, plan.target) : undefined;
  const estimate = next?.bytes;
  const perSnapshot = recent.length ? Math.ceil(recent.reduce((n, s) => n + s.bytes, 0) / recent.length) : estimate;
  if (next?.kind) plan.capacity.kind = next.kind;
  if (estimate !== undefined) plan.capacity.estimate = estimate;
  const target = input.drives.find((d) => d.name === plan.target);
  if (target?.capacity && estimate !== undefined) {
    const free = target.capacity.free;
    const freeAfterPrune = free + plan.prune.reduce((n, p) => n + p.bytes, 0);
    plan.capacity = { estimate, free, freeAfterPrune, fits: free >= estimate, ...(next?.kind ? { kind: next.kind } : {}) };
    const fit = input.policy.drives.find((d) => d.name === plan.target)?.retention.fit === true;
    if (plan.due && free < estimate) {
      const short = `${plan.target} has ${humanBytes(free)} free, the snapshot needs about ${humanBytes(estimate)}`;
      plan.warnings.push(freeAfterPrune >= estimate
        ? `${short}: the backup first removes what retention drops anyway, oldest first, until it fits (up to ${humanBytes(freeAfterPrune - free)}: airgap prune ${plan.target} --dry-run)`
        : fit
          ? `${short}: the backup first removes the oldest snapshots until it fits (fit mode; never the drive's newest or the newest verified copy)`
          : `${plan.target} cannot hold the next snapshot (about ${humanBytes(estimate)}) even after what retention allows removing (${humanBytes(freeAfterPrune)} would be free): keep fewer snapshots ("fit": true removes the oldest as needed) or use a larger drive`);
    }
  }
  for (const d of input.policy.drives) {
    const c = input.drives.find((x) => x.name === d.name);
    const f: Forecast = { drive: d.name };
    if (c?.capacity && perSnapshot) {
      const steady = heldUpperBound(d.retention);
      const held = c.snapshots.filter((s) => s.complete).length;
      f.free = c.capacity.free;
      f.perSnapshot = perSnapshot;
      f.more = Math.floor(c.capacity.free / perSnapshot);
      f.enoughForPolicy = f.more > 0 && held + f.more >= steady; // no room left is never "enough"
      if (!f.enoughForPolicy) f.fullAround = nthDueDate(input, d.name, f.more + 1);
    }
    plan.forecast.push(f);
    const small = c?.capacity ? driveSizeWarning(input, d.name, c.capacity.total) : undefined;
    if (small) plan.warnings.push(small);
  }
}

/**
 * The size of the sources, as the newest full snapshot on any drive (format 1, or a format 2
 * full) holds them, else as measured (`sourceBytes`); undefined before either is known.
 */
export function fullSize(input: Pick<PlanInput, 'drives' | 'sourceBytes'>): number | undefined {
  let newest: { id: string; bytes: number } | undefined;
  for (const d of input.drives) for (const s of d.snapshots) if (s.complete && s.base === undefined && (!newest || s.id > newest.id)) newest = s;
  return newest?.bytes ?? input.sourceBytes;
}

/** Formats 2 and 3 write chains (3 is 2 with its tarballs block-gzipped); 1, or none said, whole copies. */
const chained = (input: Pick<PlanInput, 'policy'>): boolean => (input.policy.format ?? 1) >= 2;

/**
 * The next snapshot's size on `target`, with 10 % to spare. Format 1 writes a whole copy: as
 * large as the newest snapshot or the sources. Format 2 writes an increment or a new full, as
 * core/chains.ts decides for the drive: a full is as large as the newest full (or the sources);
 * an increment as large as the largest of the target's recent increments (it covers the same
 * span of the rotation), else of any drive's (a rejected SUSPECT one is no guide); with none
 * yet, unknown. An increment holds what
 * changed since the drive's last snapshot, which only the backup's own scan measures: the plan
 * says so rather than promise that a large import fits.
 */
export function nextEstimate(input: PlanInput, target: string): { bytes?: number; kind?: 'full' | 'increment' } {
  const spare = (n: number | undefined) => (n !== undefined && n > 0 ? Math.ceil((n * 11) / 10) : undefined);
  if (!chained(input)) {
    const all = input.drives.flatMap((d) => d.snapshots.filter((s) => s.complete));
    const lastSize = [...all].sort((a, b) => a.id.localeCompare(b.id)).at(-1)?.bytes;
    return { bytes: spare(Math.max(lastSize ?? 0, input.sourceBytes ?? 0)) };
  }
  const own = [...(input.drives.find((d) => d.name === target)?.snapshots ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  // As the backup decides it (snapshot/chain-base.ts): a format-1 newest, or one in another format
  // than the policy's (after a change of `format`), starts a new full.
  const formats = new Map(own.flatMap((s) => (s.format === undefined ? [] : [[s.id, s.format] as const])));
  const formatOne = new Set([...formats].filter(([, f]) => f === 1).map(([id]) => id));
  const kind = nextSnapshot({ snapshots: own, policy: input.policy.chain ?? DEFAULT_CHAIN_POLICY, formats, formatOne, format: input.policy.format }).kind;
  if (kind === 'full') return { bytes: spare(Math.max(fullSize(input) ?? 0, input.sourceBytes ?? 0)), kind: 'full' };
  const increments = (snaps: PlanSnapshot[]) => snaps.filter((s) => s.complete && !s.rejected && s.base !== undefined).sort((a, b) => b.id.localeCompare(a.id)).slice(0, 3).map((s) => s.bytes);
  const mine = increments(own);
  const seen = mine.length ? mine : increments(input.drives.flatMap((d) => d.snapshots));
  return { bytes: seen.length ? spare(Math.max(...seen)) : undefined, kind: 'increment' };
}

/** The room a snapshot of `full` bytes of sources takes, with a margin for growth; n of them. */
const room = (full: number, n: number) => Math.ceil((full * n * 11) / 10); // 10 % more, in whole bytes

/**
 * How many full copies of the sources a drive must have room for, so that backups never stop
 * on it for want of room. Format 1 keeps whole copies: the most its rules ever hold at once,
 * plus the one being written. Format 2 (`chains`) needs one full, and a second to start a new
 * chain beside the old one. Fit mode removes the oldest as needed but never the drive's newest
 * (core/make-room.ts): it too needs room for two.
 */
export function copiesNeeded(input: Pick<PlanInput, 'policy' | 'today'>, name: string, r: Retention, chains: boolean): number {
  return chains || fitOnly(r) ? 2 : heldAtMost(input, name, r) + 1;
}

/**
 * Warned early (issue 17 §2), by `plan`, and by `label` before the first backup: a drive whose
 * whole size (`total`) cannot hold what its rules keep at the sources' size (`full`: one full
 * snapshot). See copiesNeeded for what each case needs.
 */
export function sizeWarning(input: Pick<PlanInput, 'policy' | 'today'>, name: string, r: Retention, total: number, full: number | undefined, chains: boolean): string | undefined {
  if (!full) return undefined;
  if (total < room(full, 1)) return `${name} (${humanBytes(total)}) cannot hold even one full snapshot of the sources (about ${humanBytes(room(full, 1))}): use a larger drive`;
  if (chains) {
    return total < room(full, 2)
      ? `${name} (${humanBytes(total)}) cannot hold two full snapshots (about ${humanBytes(room(full, 2))}): its chain of increments can never start afresh, so one damaged full would take every snapshot on it; a larger drive is safer`
      : undefined;
  }
  if (fitOnly(r)) {
    return total < room(full, 2)
      ? `${name} (${humanBytes(total)}) cannot hold two full snapshots (about ${humanBytes(room(full, 2))}): fit mode never removes a drive's newest snapshot to make room, so backups there stop once it holds one; use a larger drive`
      : undefined;
  }
  if (total >= room(full, heldUpperBound(r) + 1)) return undefined; // room for every rule's pick, no need to simulate
  const held = copiesNeeded(input, name, r, false);
  return total < room(full, held)
    ? `${name} (${humanBytes(total)}) is too small for its retention: the rules keep up to ${held - 1} snapshots, ${held} while a backup writes, about ${humanBytes(room(full, held))} at the sources' size; backups will stop when it is full: keep fewer ("retention" in the config), set "fit": true to remove the oldest as needed, or use a larger drive`
    : undefined;
}

/** What a drive of `total` bytes needs, from what the plan input knows (its chains, the sources' size). */
export function driveSizeWarning(input: PlanInput, name: string, total: number): string | undefined {
  const d = input.policy.drives.find((x) => x.name === name);
  if (!d) return undefined;
  // Format 2 keeps chains of increments; a drive already holding one is judged by chains even
  // under a format 1 config (its increments stay until their chain is pruned).
  const chains = chained(input) || input.drives.find((x) => x.name === name)?.snapshots.some((s) => s.base !== undefined) === true;
  return sizeWarning(input, name, d.retention, total, fullSize(input), chains);
}

/** The room each drive needs at the sources' size (`full`), for `init` to say back. */
export function roomNeeded(input: Pick<PlanInput, 'policy' | 'today'>, name: string, full: number): { copies: number; bytes: number } | undefined {
  const d = input.policy.drives.find((x) => x.name === name);
  if (!d) return undefined;
  const copies = copiesNeeded(input, name, d.retention, chained(input));
  return { copies, bytes: room(full, copies) };
}

/**
 * The most snapshots the rules keep on one drive at once, over ten years of this rotation's
 * backup days (overlapping rules count once). What the rules keep only shrinks as newer
 * snapshots come (GFS keeps the newest of each bucket), so the count grows until the longest
 * window is full and then only wobbles as buckets turn over: the last few days of the horizon
 * give the most, each with one pass of the rules over every date.
 */
export function heldAtMost(input: Pick<PlanInput, 'policy' | 'today'>, name: string, r: Retention): number {
  if (fitOnly(r)) return 1;
  // A property of the rotation, not of the day (the phase moves it by one at most): worked out
  // once per policy object and drive, however many days a schedule plans.
  const known = heldCache.get(input.policy)?.get(name);
  if (known !== undefined) return known;
  const most = simulateHeld(input, name, r);
  heldCache.set(input.policy, (heldCache.get(input.policy) ?? new Map<string, number>()).set(name, most));
  return most;
}

const heldCache = new WeakMap<object, Map<string, number>>();

function simulateHeld(input: Pick<PlanInput, 'policy' | 'today'>, name: string, r: Retention): number {
  const ids = [...dueDates(input, name)].map((d) => `${d}T120000Z`);
  let most = 1;
  for (let end = ids.length; end > 0 && end > ids.length - 3; end--) most = Math.max(most, applyRetention(ids.slice(0, end), r).keep.size);
  return most;
}

/** The most the rules could keep if no two rules ever kept the same snapshot (no simulation). */
const heldUpperBound = (r: Retention): number => Math.max(1, r.keepLast) + r.daily + r.weekly + r.monthly + r.yearly;

/** How far a capacity forecast looks ahead: beyond ten years it is not a forecast. */
const FORECAST_DAYS = 3653;

/** The date of a drive's n-th future backup (1 = next), within the forecast horizon. */
function nthDueDate(input: PlanInput, name: string, n: number): string | undefined {
  let found = 0;
  for (const date of dueDates(input, name)) if (++found === n) return date;
  return undefined;
}

/** A drive's future backup days, within the forecast horizon. */
function* dueDates(input: Pick<PlanInput, 'policy' | 'today'>, name: string): Generator<string> {
  const { policy } = input;
  const names = policy.drives.map((d) => d.name);
  const idx = names.indexOf(name);
  const horizon = dayNumber(input.today) + FORECAST_DAYS;
  let days = 0;
  for (const { day, slot } of backupDaysAfter(policy.cadence, policy.epoch, input.today)) {
    if (day > horizon) return;
    days++;
    // oldest-first: each drive's turn comes once per round of the rotation.
    const mine = policy.scheme === 'oldest-first' ? days % names.length === 0 : driveIndexForSlot(policy.scheme, slot, names.length) === idx;
    if (mine) yield toDate(day);
  }
}
