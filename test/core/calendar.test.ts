import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayNumber,
  daysBetween,
  isBackupDay,
  isDate,
  isoWeek,
  lastBackupDay,
  nextBackupDay,
  slotIndex,
  toDate,
  weekdayOf,
  type Cadence,
} from '../../src/core/calendar.js';

const RUNS = { numRuns: 200, seed: 20261121 };

/** Day numbers of 1900-01-01 … 2199-12-31, well inside what Date handles without quirks. */
const MIN_DAY = -25_567;
const MAX_DAY = 83_665;
const day = fc.integer({ min: MIN_DAY, max: MAX_DAY });

/** Independent weekday: the platform's own UTC calendar, not weekdayOf's arithmetic. */
const utcWeekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

const cadence: fc.Arbitrary<Cadence> = fc.oneof(
  fc.constant<Cadence>({ kind: 'daily' }),
  fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }).map((days): Cadence => ({ kind: 'weekdays', days })),
);

/** Independent backup-day test, on the platform's weekday. */
const onCadence = (c: Cadence, date: string) => c.kind === 'daily' || c.days.includes(utcWeekday(date));

describe('dayNumber / toDate', () => {
  it('has day 0 at the Unix epoch and counts across leap days', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayNumber('1969-12-31')).toBe(-1);
    expect(dayNumber('2000-03-01') - dayNumber('2000-02-28')).toBe(2); // 2000 is a leap year
    expect(dayNumber('1900-03-01') - dayNumber('1900-02-28')).toBe(1); // 1900 is not
    expect(dayNumber('2024-01-01')).toBe(19_723);
    expect(toDate(19_723)).toBe('2024-01-01');
  });

  it('rejects anything that is not YYYY-MM-DD', () => {
    for (const bad of ['2026-1-01', '2026-01-01T00:00:00Z', '', '20260101', 'next week']) {
      expect(() => dayNumber(bad), bad).toThrow(/not a date/);
    }
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('2028-02-29')).toBe(true);
    expect(isDate('2026-13-01')).toBe(false);
  });

  it('round-trips: toDate(dayNumber(d)) = d and dayNumber(toDate(n)) = n', () => {
    fc.assert(
      fc.property(day, (n) => {
        const d = toDate(n);
        expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(dayNumber(d)).toBe(n);
        expect(toDate(dayNumber(d))).toBe(d);
        expect(isDate(d)).toBe(true);
      }),
      RUNS,
    );
  });

  it('addDays and daysBetween agree with the day numbers', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: -5000, max: 5000 }), (n, k) => {
        const d = toDate(n);
        expect(addDays(d, k)).toBe(toDate(n + k));
        expect(daysBetween(d, addDays(d, k))).toBe(k);
      }),
      RUNS,
    );
  });
});

describe('weekdayOf', () => {
  it('knows some fixed dates', () => {
    expect(weekdayOf('2026-11-21')).toBe(6); // Saturday
    expect(weekdayOf('2024-01-01')).toBe(1); // Monday (DEFAULT_EPOCH)
    expect(weekdayOf('1970-01-01')).toBe(4); // Thursday
    expect(weekdayOf('1969-12-28')).toBe(0); // Sunday, before day 0
    expect(weekdayOf('2000-02-29')).toBe(2); // Tuesday
  });

  it('agrees with Date#getUTCDay, also before 1970', () => {
    fc.assert(
      fc.property(day, (n) => {
        const d = toDate(n);
        expect(weekdayOf(d)).toBe(utcWeekday(d));
      }),
      RUNS,
    );
  });
});

describe('isoWeek', () => {
  it('knows the year-boundary cases', () => {
    expect(isoWeek('2026-01-01')).toBe('2026-W01'); // a Thursday
    expect(isoWeek('2027-01-01')).toBe('2026-W53'); // a Friday of a 53-week year
    expect(isoWeek('2024-12-30')).toBe('2025-W01'); // a Monday that belongs to the next year
    expect(isoWeek('2026-11-21')).toBe('2026-W47');
    expect(isoWeek('2021-01-03')).toBe('2020-W53'); // a Sunday
    expect(isoWeek('2021-01-04')).toBe('2021-W01');
    expect(isoWeek('2008-12-29')).toBe('2009-W01');
    expect(isoWeek('2010-01-03')).toBe('2009-W53');
    expect(isoWeek('2023-01-01')).toBe('2022-W52');
  });

  /** ISO 8601 from the textbook formula: week = ⌊(ordinal − weekday + 10) / 7⌋, then fix the ends. */
  function referenceIsoWeek(date: string): string {
    const d = new Date(`${date}T00:00:00Z`);
    const y = d.getUTCFullYear();
    const ordinal = (d.getTime() - Date.UTC(y, 0, 1)) / 86_400_000 + 1;
    const wd = d.getUTCDay() || 7;
    const weeksIn = (year: number) => {
      const p = (yy: number) => (yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400)) % 7;
      return p(year) === 4 || p(year - 1) === 3 ? 53 : 52;
    };
    let week = Math.floor((ordinal - wd + 10) / 7);
    let year = y;
    if (week < 1) {
      year = y - 1;
      week = weeksIn(year);
    } else if (week > weeksIn(y)) {
      year = y + 1;
      week = 1;
    }
    return `${year}-W${String(week).padStart(2, '0')}`;
  }

  it('agrees with the textbook formula', () => {
    fc.assert(
      fc.property(day, (n) => {
        const d = toDate(n);
        expect(isoWeek(d)).toBe(referenceIsoWeek(d));
      }),
      RUNS,
    );
  });

  it('gives the 7 days Monday … Sunday one key, and the next Monday another', () => {
    fc.assert(
      fc.property(day, (n) => {
        const monday = addDays(toDate(n), -((weekdayOf(toDate(n)) + 6) % 7));
        const key = isoWeek(monday);
        for (let i = 1; i < 7; i++) expect(isoWeek(addDays(monday, i))).toBe(key);
        expect(isoWeek(addDays(monday, 7))).not.toBe(key);
      }),
      RUNS,
    );
  });
});

describe('cadence', () => {
  const saturdays: Cadence = { kind: 'weekdays', days: [6] };

  it('lastBackupDay / nextBackupDay on a weekly Saturday cadence', () => {
    expect(isBackupDay(saturdays, '2026-11-21')).toBe(true);
    expect(isBackupDay(saturdays, '2026-11-22')).toBe(false);
    expect(lastBackupDay(saturdays, '2026-11-21')).toBe('2026-11-21'); // a backup day is its own last
    expect(lastBackupDay(saturdays, '2026-11-20')).toBe('2026-11-14');
    expect(lastBackupDay(saturdays, '2026-11-25')).toBe('2026-11-21');
    expect(nextBackupDay(saturdays, '2026-11-21')).toBe('2026-11-28'); // strictly after
    expect(nextBackupDay(saturdays, '2026-11-20')).toBe('2026-11-21');
    expect(nextBackupDay(saturdays, '2026-12-31')).toBe('2027-01-02');
  });

  it('lastBackupDay / nextBackupDay on daily and multi-day cadences', () => {
    expect(lastBackupDay({ kind: 'daily' }, '2026-11-21')).toBe('2026-11-21');
    expect(nextBackupDay({ kind: 'daily' }, '2026-11-21')).toBe('2026-11-22');
    const monWedFri: Cadence = { kind: 'weekdays', days: [1, 3, 5] };
    expect(lastBackupDay(monWedFri, '2026-11-22')).toBe('2026-11-20'); // Sunday → Friday
    expect(nextBackupDay(monWedFri, '2026-11-20')).toBe('2026-11-23'); // Friday → Monday
    expect(nextBackupDay(monWedFri, '2026-11-23')).toBe('2026-11-25');
  });

  it('lastBackupDay is the latest backup day ≤ date; nextBackupDay the first one > date', () => {
    fc.assert(
      fc.property(cadence, day, (c, n) => {
        const d = toDate(n);
        const last = lastBackupDay(c, d);
        const next = nextBackupDay(c, d);
        expect(onCadence(c, last)).toBe(true);
        expect(onCadence(c, next)).toBe(true);
        expect(last <= d).toBe(true);
        expect(next > d).toBe(true);
        for (let x = dayNumber(last) + 1; x <= n; x++) expect(onCadence(c, toDate(x))).toBe(false);
        for (let x = n + 1; x < dayNumber(next); x++) expect(onCadence(c, toDate(x))).toBe(false);
      }),
      RUNS,
    );
  });

  it('slotIndex: fixed values from the default epoch', () => {
    // 2024-01-01 is a Monday; the first Saturday is 2024-01-06 (slot 0).
    expect(slotIndex(saturdays, '2024-01-01', '2024-01-06')).toBe(0);
    expect(slotIndex(saturdays, '2024-01-01', '2024-01-07')).toBe(1);
    expect(slotIndex(saturdays, '2024-01-01', '2024-01-13')).toBe(1);
    expect(slotIndex(saturdays, '2024-01-01', '2026-11-21')).toBe(150);
    expect(slotIndex({ kind: 'daily' }, '2024-01-01', '2024-01-01')).toBe(0);
    expect(slotIndex({ kind: 'daily' }, '2024-01-01', '2025-01-01')).toBe(366);
  });

  it('slotIndex counts the backup days in [epoch, date) (brute force; negative before the epoch)', () => {
    fc.assert(
      fc.property(
        cadence,
        fc.integer({ min: dayNumber('2020-01-01'), max: dayNumber('2030-12-31') }),
        fc.integer({ min: -400, max: 1500 }),
        (c, epochDay, offset) => {
          const epoch = toDate(epochDay);
          const date = toDate(epochDay + offset);
          let count = 0;
          if (offset >= 0) for (let x = epochDay; x < epochDay + offset; x++) count += onCadence(c, toDate(x)) ? 1 : 0;
          else for (let x = epochDay + offset; x < epochDay; x++) count -= onCadence(c, toDate(x)) ? 1 : 0;
          expect(slotIndex(c, epoch, date)).toBe(count);
        },
      ),
      RUNS,
    );
  });

  it('consecutive backup days have consecutive slots', () => {
    fc.assert(
      fc.property(cadence, fc.integer({ min: dayNumber('2024-01-01'), max: dayNumber('2030-12-31') }), (c, n) => {
        const epoch = '2024-01-01';
        const d = lastBackupDay(c, toDate(n));
        expect(slotIndex(c, epoch, nextBackupDay(c, d))).toBe(slotIndex(c, epoch, d) + 1);
      }),
      RUNS,
    );
  });
});
