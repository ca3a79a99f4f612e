import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, toDate } from '../../src/core/calendar.js';
import { RETENTION_RULES, type Retention } from '../../src/core/policy.js';
import { applyRetention } from '../../src/core/retention.js';

const RUNS = { numRuns: 200, seed: 1121 };
const NONE: Retention = { keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
const r = (over: Partial<Retention>): Retention => ({ ...NONE, ...over });
const id = (date: string, time = '120000') => `${date}T${time}Z`;
const kept = (ids: string[], ret: Retention) => Object.fromEntries(applyRetention(ids, ret).keep);

describe('applyRetention: rules', () => {
  it('keepLast only: the newest n, every other snapshot removed oldest first', () => {
    const ids = ['2026-11-01', '2026-11-08', '2026-11-15', '2026-11-22', '2026-11-29'].map((d) => id(d));
    const res = applyRetention(ids, r({ keepLast: 3 }));
    expect(Object.fromEntries(res.keep)).toEqual({
      [id('2026-11-29')]: ['last 3'],
      [id('2026-11-22')]: ['last 3'],
      [id('2026-11-15')]: ['last 3'],
    });
    expect(res.remove).toEqual([id('2026-11-01'), id('2026-11-08')]);
  });

  it('keepLast larger than the history keeps everything', () => {
    const ids = [id('2026-11-01'), id('2026-11-02')];
    const res = applyRetention(ids, r({ keepLast: 10 }));
    expect([...res.keep.keys()].sort()).toEqual(ids);
    expect(res.remove).toEqual([]);
  });

  it('daily: of several snapshots on one day only the newest of the day counts', () => {
    const ids = [
      id('2026-11-21', '080000'),
      id('2026-11-21', '180000'),
      id('2026-11-21', '120000'),
      id('2026-11-20', '230000'),
      id('2026-11-20', '010000'),
      id('2026-11-19', '120000'),
    ];
    const res = applyRetention(ids, r({ daily: 2 }));
    expect(Object.fromEntries(res.keep)).toEqual({
      [id('2026-11-21', '180000')]: ['newest', 'daily 2026-11-21'],
      [id('2026-11-20', '230000')]: ['daily 2026-11-20'],
    });
    expect(res.remove).toEqual([
      id('2026-11-19', '120000'),
      id('2026-11-20', '010000'),
      id('2026-11-21', '080000'),
      id('2026-11-21', '120000'),
    ]);
  });

  it('daily: a sequence suffix (-2) sorts after the plain id of the same second', () => {
    const res = applyRetention([id('2026-11-21', '093000'), `${id('2026-11-21', '093000')}-2`], r({ daily: 1 }));
    expect([...res.keep.keys()]).toEqual(['2026-11-21T093000Z-2']);
    expect(res.remove).toEqual(['2026-11-21T093000Z']);
  });

  it('weekly: ISO weeks, across the year boundary', () => {
    const ids = [
      id('2026-12-27'), // Sunday, 2026-W52
      id('2026-12-28'), // Monday, 2026-W53
      id('2027-01-01'), // Friday, still 2026-W53
      id('2027-01-03'), // Sunday, still 2026-W53
      id('2027-01-04'), // Monday, 2027-W01
    ];
    expect(kept(ids, r({ weekly: 3 }))).toEqual({
      [id('2027-01-04')]: ['newest', 'weekly 2027-W01'],
      [id('2027-01-03')]: ['weekly 2026-W53'],
      [id('2026-12-27')]: ['weekly 2026-W52'],
    });
    expect(applyRetention(ids, r({ weekly: 3 })).remove).toEqual([id('2026-12-28'), id('2027-01-01')]);
  });

  it('monthly: the newest snapshot of each of the newest n months', () => {
    const ids = ['2026-08-30', '2026-09-05', '2026-09-26', '2026-10-03', '2026-10-31', '2026-11-07'].map((d) => id(d));
    expect(kept(ids, r({ monthly: 3 }))).toEqual({
      [id('2026-11-07')]: ['newest', 'monthly 2026-11'],
      [id('2026-10-31')]: ['monthly 2026-10'],
      [id('2026-09-26')]: ['monthly 2026-09'],
    });
  });

  it('yearly: the newest snapshot of each of the newest n years', () => {
    const ids = ['2023-06-01', '2024-01-01', '2024-12-31', '2025-07-04', '2026-02-01', '2026-11-21'].map((d) => id(d));
    const res = applyRetention(ids, r({ yearly: 3 }));
    expect(Object.fromEntries(res.keep)).toEqual({
      [id('2026-11-21')]: ['newest', 'yearly 2026'],
      [id('2025-07-04')]: ['yearly 2025'],
      [id('2024-12-31')]: ['yearly 2024'],
    });
    expect(res.remove).toEqual([id('2023-06-01'), id('2024-01-01'), id('2026-02-01')]);
  });

  it('lists every rule that keeps a snapshot, in rule order', () => {
    const ids = [id('2025-12-31'), id('2026-10-15'), id('2026-11-20'), id('2026-11-21')];
    expect(kept(ids, { keepLast: 2, daily: 2, weekly: 2, monthly: 2, yearly: 2 })).toEqual({
      [id('2026-11-21')]: ['last 2', 'daily 2026-11-21', 'weekly 2026-W47', 'monthly 2026-11', 'yearly 2026'],
      [id('2026-11-20')]: ['last 2', 'daily 2026-11-20'],
      [id('2026-10-15')]: ['weekly 2026-W42', 'monthly 2026-10'],
      [id('2025-12-31')]: ['yearly 2025'],
    });
  });

  it('always keeps the newest, even with keepLast 0 and every count 0', () => {
    const ids = [id('2026-11-07'), id('2026-11-21'), id('2026-11-14')];
    const res = applyRetention(ids, NONE);
    expect(Object.fromEntries(res.keep)).toEqual({ [id('2026-11-21')]: ['newest'] });
    expect(res.remove).toEqual([id('2026-11-07'), id('2026-11-14')]);
    expect(Object.fromEntries(applyRetention([id('2026-11-21')], NONE).keep)).toEqual({ [id('2026-11-21')]: ['newest'] });
  });

  it('keepLast 1 names the rule, not "newest"', () => {
    expect(kept([id('2026-11-20'), id('2026-11-21')], r({ keepLast: 1 }))).toEqual({ [id('2026-11-21')]: ['last 1'] });
  });

  it('an empty history keeps and removes nothing', () => {
    const res = applyRetention([], { keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 });
    expect(res.keep.size).toBe(0);
    expect(res.remove).toEqual([]);
  });
});

// ---- properties --------------------------------------------------------------------------------

const FROM = dayNumber('2022-01-01');
const TO = dayNumber('2028-12-31');
const snapshotId = fc
  .tuple(
    fc.integer({ min: FROM, max: TO }),
    fc.constantFrom('000000', '060000', '093000', '120000', '235959'),
    fc.constantFrom('', '', '', '-2', '-3'),
  )
  .map(([d, t, s]) => `${toDate(d)}T${t}Z${s}`);
const ids = fc.uniqueArray(snapshotId, { maxLength: 60 });
const count = fc.integer({ min: 0, max: 8 });
const retention: fc.Arbitrary<Retention> = fc.record({ keepLast: count, daily: count, weekly: count, monthly: count, yearly: count });

describe('applyRetention: properties', () => {
  it('keep ∪ remove = input, disjoint, the newest kept, remove oldest first, every keep has a reason', () => {
    fc.assert(
      fc.property(ids, retention, (list, ret) => {
        const res = applyRetention(list, ret);
        const keep = [...res.keep.keys()];
        expect(new Set(keep).size).toBe(keep.length);
        expect(new Set(res.remove).size).toBe(res.remove.length);
        expect(keep.filter((k) => res.remove.includes(k))).toEqual([]);
        expect([...keep, ...res.remove].sort()).toEqual([...list].sort());
        if (list.length) expect(res.keep.has([...list].sort().at(-1)!)).toBe(true);
        expect(res.remove).toEqual([...res.remove].sort());
        for (const [, why] of res.keep) expect(why.length).toBeGreaterThan(0);
        // At most one snapshot per rule slot.
        const budget = Math.max(1, ret.keepLast) + ret.daily + ret.weekly + ret.monthly + ret.yearly;
        expect(keep.length).toBeLessThanOrEqual(budget);
      }),
      RUNS,
    );
  });

  it('keeps at least min(n, max(1, keepLast)) snapshots: the newest ones', () => {
    fc.assert(
      fc.property(ids, retention, (list, ret) => {
        const res = applyRetention(list, ret);
        const newest = [...list].sort().reverse().slice(0, Math.max(1, ret.keepLast));
        for (const n of newest) expect(res.keep.has(n)).toBe(true);
      }),
      RUNS,
    );
  });

  it('does not depend on the input order', () => {
    fc.assert(
      fc.property(
        ids.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))),
        retention,
        ([list, shuffled], ret) => {
          const a = applyRetention(list, ret);
          const b = applyRetention(shuffled, ret);
          expect([...b.keep.entries()]).toEqual([...a.keep.entries()]);
          expect(b.remove).toEqual(a.remove);
        },
      ),
      RUNS,
    );
  });

  it('growing a rule count never removes more', () => {
    fc.assert(
      fc.property(ids, retention, fc.constantFrom<(typeof RETENTION_RULES)[number]>(...RETENTION_RULES), (list, ret, rule) => {
        const before = new Set(applyRetention(list, ret).keep.keys());
        const after = applyRetention(list, { ...ret, [rule]: ret[rule] + 1 }).keep;
        for (const k of before) expect(after.has(k)).toBe(true);
      }),
      RUNS,
    );
  });

  it('daily keeps the newest snapshot of each of the newest `daily` days that have one', () => {
    fc.assert(
      fc.property(ids, fc.integer({ min: 1, max: 8 }), (list, daily) => {
        const res = applyRetention(list, { ...NONE, daily });
        const days = [...new Set(list.map((x) => x.slice(0, 10)))].sort().reverse().slice(0, daily);
        for (const d of days) {
          const newestOfDay = list.filter((x) => x.startsWith(d)).sort().at(-1)!;
          expect(res.keep.get(newestOfDay)).toContain(`daily ${d}`);
        }
        // Nothing else on those days, and nothing on older days, is kept by the daily rule.
        for (const [k, why] of res.keep) {
          if (why.some((w) => w.startsWith('daily'))) expect(days).toContain(k.slice(0, 10));
        }
      }),
      RUNS,
    );
  });
});
