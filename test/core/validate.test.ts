// The validation layer under every file airgap reads: the cases where a schema library's
// defaults differ from what airgap needs (caught when zod was replaced by valibot).
import { describe, expect, it } from 'vitest';
import { check, isoUtc, object, parse, strictObject, v, whole } from '../../src/core/validate.js';

describe('core/validate', () => {
  it('refuses an array where an object belongs (valibot alone reads [] as an object of defaults)', () => {
    const s = object({ a: v.optional(v.number(), 1) });
    expect(check(s, [])).toMatchObject({ ok: false, path: [], message: 'expected an object' });
    expect(check(strictObject({ x: v.optional(v.string()) }), { y: [] })).toMatchObject({ ok: false });
    expect(check(s, {})).toEqual({ ok: true, value: { a: 1 } });
  });

  it('names the field of the first problem, with array indexes as numbers', () => {
    const s = object({ drives: v.array(object({ name: v.string() })) });
    expect(check(s, { drives: [{ name: 'A' }, { name: 2 }] })).toMatchObject({ ok: false, path: ['drives', 1, 'name'] });
    expect(() => parse(s, { drives: [{}] })).toThrow(/^drives\.0\.name: /);
  });

  it('takes whole numbers in the safe range only (1e400 parses to Infinity)', () => {
    for (const bad of [JSON.parse('1e400'), 2.5, -1, 2 ** 53, Number.NaN]) expect(check(whole(0), bad).ok, String(bad)).toBe(false);
    expect(check(whole(0), 2 ** 53 - 1).ok).toBe(true);
  });

  it('takes UTC timestamps of real days only, and never runs a later check on a refused value', () => {
    expect(check(isoUtc(), '2026-03-02T09:00:00.000Z').ok).toBe(true);
    expect(check(isoUtc(), '2024-02-29T00:00:00Z').ok).toBe(true);
    // What readers of format 1 have always taken (zod's default datetime): no seconds, any fraction.
    for (const ok of ['2026-03-02T09:00Z', '2026-03-02T09:00:00.1234567891Z']) expect(check(isoUtc(), ok).ok, ok).toBe(true);
    for (const bad of ['2026-02-30T09:00:00Z', '2026-13-01T00:00:00Z', '2026-03-02T09:00:00+01:00', 'not a date', '']) {
      expect(check(isoUtc(), bad).ok, bad).toBe(false);
    }
  });
});
