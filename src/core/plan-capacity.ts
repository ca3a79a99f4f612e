// Capacity in the plan: the next snapshot's size against the target's free space (and what the
// backup will do when it is short, core/make-room.ts), each drive's forecast, and the early
// warning when a drive is too small for its retention rules at the size of the sources.
import { backupDaysAfter, dayNumber, toDate } from './calendar.js';
import { driveIndexForSlot, fitOnly, type Retention } from './policy.js';
import { humanBytes } from './human-bytes.js';
import { applyRetention } from './retention.js';
import type { Forecast, Plan, PlanInput } from './plan-model.js';

export function planCapacity(input: PlanInput, plan: Plan): void {
  const all = input.drives.flatMap((d) => d.snapshots.filter((s) => s.complete));
  const lastSize = [...all].sort((a, b) => a.id.localeCompare(b.id)).at(-1)?.bytes;
  const basis = Math.max(lastSize ?? 0, input.sourceBytes ?? 0);
  const estimate = basis > 0 ? Math.ceil(basis * 1.1) : undefined;
  const recent = [...all].sort((a, b) => b.id.localeCompare(a.id)).slice(0, 5);
  const perSnapshot = recent.length ? Math.ceil(recent.reduce((n, s) => n + s.bytes, 0) / recent.length) : estimate;
  if (estimate !== undefined) plan.capacity.estimate = estimate;
  const target = input.drives.find((d) => d.name === plan.target);
  if (target?.capacity && estimate !== undefined) {
    const free = target.capacity.free;
    const freeAfterPrune = free + plan.prune.reduce((n, p) => n + p.bytes, 0);
    plan.capacity = { estimate, free, freeAfterPrune, fits: free >= estimate };
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
  let full: number | undefined; // the sources' size, looked up once, only when a drive's size is known
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
    const small = c?.capacity ? tooSmall(input, d.name, d.retention, c.capacity.total, full ??= fullSize(input)) : undefined;
    if (small) plan.warnings.push(small);
  }
}

/**
 * The size of the sources, as the newest full snapshot on any drive (format 1, or a format 2
 * full) holds them; undefined before there is one.
 */
function fullSize(input: PlanInput): number | undefined {
  let newest: { id: string; bytes: number } | undefined;
  for (const d of input.drives) for (const s of d.snapshots) if (s.complete && s.base === undefined && (!newest || s.id > newest.id)) newest = s;
  return newest?.bytes ?? input.sourceBytes;
}

/**
 * Warned early (issue 17 §2): a drive whose whole size cannot hold what its retention keeps at
 * the sources' size. Format 1 keeps whole copies: the most the rules ever hold at once, plus the
 * one being written. Format 2 (a drive with increments) needs one full copy, and a second one to
 * start a new chain beside the old.
 */
function tooSmall(input: PlanInput, name: string, r: Retention, total: number, full: number | undefined): string | undefined {
  if (!full) return undefined;
  const size = (n: number) => Math.ceil(full * 1.1 * n);
  const chains = input.drives.find((d) => d.name === name)?.snapshots.some((s) => s.base !== undefined) === true;
  if (total < size(1)) return `${name} (${humanBytes(total)}) cannot hold even one full snapshot of the sources (about ${humanBytes(size(1))}): use a larger drive`;
  if (chains) {
    return total < size(2)
      ? `${name} (${humanBytes(total)}) cannot hold two full snapshots (about ${humanBytes(size(2))}): its chain of increments can never start afresh, so one damaged full would take every snapshot on it; a larger drive is safer`
      : undefined;
  }
  if (fitOnly(r)) return undefined; // fit mode keeps what fits
  if (total >= size(heldUpperBound(r) + 1)) return undefined; // room for every rule's pick, no need to simulate
  const held = heldAtMost(input, name, r) + 1;
  return total < size(held)
    ? `${name} (${humanBytes(total)}) is too small for its retention: the rules keep up to ${held - 1} snapshots, ${held} while a backup writes, about ${humanBytes(size(held))} at the sources' size; backups will stop when it is full: keep fewer ("retention" in the config), set "fit": true to remove the oldest as needed, or use a larger drive`
    : undefined;
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
