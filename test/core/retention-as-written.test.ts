// Retention as written (issue 17 §2): the rules a config gives are the only rules; no retention
// at all means the documented defaults. Pure: core/policy retentionAsWritten and describeRetention.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, RETENTION_RULES, describeRetention, retentionAsWritten, type Retention } from '../../src/core/policy.js';
import { applyRetention } from '../../src/core/retention.js';
import { toDate } from '../../src/core/calendar.js';

const RUNS = { numRuns: 300, seed: 1717 };
const count = fc.integer({ min: 0, max: 12 });
/** A retention object as a user writes it: any subset of the rules, at least one. */
const given = fc.record({ keepLast: count, daily: count, weekly: count, monthly: count, yearly: count }, { requiredKeys: [] })
  .filter((g) => RETENTION_RULES.some((k) => g[k] !== undefined));
/** Snapshot ids over two years, several a day at times. */
const ids = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 730 }), fc.integer({ min: 0, max: 23 })), { maxLength: 60 })
  .map((xs) => xs.map(([d, h]) => `${toDate(20454 + d)}T${String(h).padStart(2, '0')}0000Z`));

describe('core/policy retentionAsWritten', () => {
  it('no retention given: the documented defaults', () => {
    expect(retentionAsWritten(undefined)).toEqual({ keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 });
    expect(retentionAsWritten(undefined)).toEqual(DEFAULT_RETENTION);
  });

  it('a rule given is that rule; a rule left out is off, never a default', () => {
    fc.assert(fc.property(given, (g) => {
      const r = retentionAsWritten(g);
      for (const k of RETENTION_RULES) expect(r[k]).toBe(g[k] ?? 0);
    }), RUNS);
  });

  it('{"keepLast": n} keeps exactly the newest n (at least the newest), whatever the dates', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), ids, (n, list) => {
      const res = applyRetention(list, retentionAsWritten({ keepLast: n }));
      const newest = [...list].sort().reverse().slice(0, Math.max(1, n));
      expect([...res.keep.keys()].sort()).toEqual(list.length ? newest.sort() : []);
      expect(res.remove.length).toBe(list.length - newest.length);
    }), RUNS);
  });

  it('writing one more rule never prunes a snapshot that was kept without it', () => {
    fc.assert(fc.property(given, fc.constantFrom(...RETENTION_RULES), count, ids, (g, extra, n, list) => {
      const before = new Set(applyRetention(list, retentionAsWritten(g)).keep.keys());
      const after = new Set(applyRetention(list, retentionAsWritten({ ...g, [extra]: Math.max(n, g[extra] ?? 0) })).keep.keys());
      for (const id of before) expect(after.has(id)).toBe(true);
    }), RUNS);
  });
});

describe('core/policy describeRetention', () => {
  it('says the defaults, and only the rules that are on', () => {
    expect(describeRetention(DEFAULT_RETENTION)).toBe('the last 3, and the newest of each of the last 7 days, 5 weeks, 12 months and 10 years');
    expect(describeRetention(retentionAsWritten({ keepLast: 2 }))).toBe('the last 2; no daily, weekly, monthly or yearly rules');
    expect(describeRetention(retentionAsWritten({ weekly: 1 }))).toBe('the newest, and the newest of each of the last 1 week');
    const r: Retention = retentionAsWritten({ keepLast: 4, monthly: 6 });
    expect(describeRetention(r)).toBe('the last 4, and the newest of each of the last 6 months');
  });
});
