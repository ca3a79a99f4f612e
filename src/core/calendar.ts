// Calendar dates as 'YYYY-MM-DD' strings and day numbers. The planner works on the user's local
// calendar dates (the CLI converts `now`), never on wall-clock time, so it stays pure and exact.

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  return !!m && toDate(dayNumber(s)) === s;
}

/** Days since 1970-01-01. */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return Math.round(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) / 86_400_000);
}

export function toDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export const addDays = (date: string, n: number) => toDate(dayNumber(date) + n);
/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (date: string) => (((dayNumber(date) + 4) % 7) + 7) % 7;
export const daysBetween = (from: string, to: string) => dayNumber(to) - dayNumber(from);

/** The local calendar date of an instant, given the UTC offset in minutes (east positive). */
export function localDate(instant: Date, offsetMinutes: number): string {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** The UTC calendar date of a snapshot id (2026-11-21T093000Z → 2026-11-21). */
export const snapshotDate = (id: string) => id.slice(0, 10);

/** ISO 8601 week key, e.g. 2026-W47, for weekly retention buckets. */
export function isoWeek(date: string): string {
  const day = dayNumber(date);
  const wd = weekdayOf(date) || 7; // Monday=1 … Sunday=7
  const thursday = day + 4 - wd;
  const year = toDate(thursday).slice(0, 4);
  const jan1 = dayNumber(`${year}-01-01`);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export type Cadence = { kind: 'daily' } | { kind: 'weekdays'; days: number[] };

export function isBackupDay(c: Cadence, date: string): boolean {
  return c.kind === 'daily' || c.days.includes(weekdayOf(date));
}

/** The latest backup day on or before `date`. */
export function lastBackupDay(c: Cadence, date: string): string {
  for (let i = 0; i < 7; i++) {
    const d = addDays(date, -i);
    if (isBackupDay(c, d)) return d;
  }
  return date; // unreachable for a valid cadence (at least one weekday)
}

/** The first backup day strictly after `date`. */
export function nextBackupDay(c: Cadence, date: string): string {
  for (let i = 1; i <= 7; i++) {
    const d = addDays(date, i);
    if (isBackupDay(c, d)) return d;
  }
  return addDays(date, 1);
}

/** How many backup days lie in [epoch, date): the slot number of `date` when it is a backup day. */
export function slotIndex(c: Cadence, epoch: string, date: string): number {
  const days = daysBetween(epoch, date);
  if (c.kind === 'daily') return days;
  const weeks = Math.floor(days / 7);
  let n = weeks * c.days.length;
  const startWd = weekdayOf(epoch);
  for (let i = 0; i < days - weeks * 7; i++) if (c.days.includes((startWd + i) % 7)) n++;
  return n;
}

/**
 * The backup days strictly after `date`, in order, each with its slot number, computed
 * incrementally on day numbers (no string work per day: planners walk years ahead).
 */
export function* backupDaysAfter(c: Cadence, epoch: string, date: string): Generator<{ day: number; slot: number }> {
  let day = dayNumber(date) + 1;
  let slot = slotIndex(c, epoch, toDate(day));
  for (;;) {
    const wd = (((day + 4) % 7) + 7) % 7;
    if (c.kind === 'daily' || c.days.includes(wd)) {
      yield { day, slot };
      slot++;
    }
    day++;
  }
}
