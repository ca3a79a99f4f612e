// The early warning's count (core/plan-capacity.ts heldAtMost): the most snapshots the rules keep
// on one drive at once, rules that overlap counted once.
import { describe, expect, it } from 'vitest';
import { heldAtMost, nextEstimate, roomNeeded, sizeWarning } from '../../src/core/plan-capacity.js';
import type { Policy, Retention } from '../../src/core/policy.js';
import type { PlanSnapshot } from '../../src/core/plan-model.js';

const rule = (r: Partial<Retention>): Retention => ({ keepLast: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, ...r });
const policy = (drives: number, retention: Retention): Policy => ({
  drives: Array.from({ length: drives }, (_, i) => ({ name: String.fromCharCode(65 + i), role: 'home' as const, retention })),
  cadence: { kind: 'daily' }, scheme: 'round-robin', offline: 0, epoch: '2024-01-01', alerts: { rotationDays: 14, verifyDays: 30 },
});
const held = (drives: number, r: Partial<Retention>) => heldAtMost({ policy: policy(drives, rule(r)), today: '2026-03-02' }, 'A', rule(r));

describe('heldAtMost', () => {
  it('counts each snapshot once, however many rules keep it', () => {
    expect(held(1, { keepLast: 3 })).toBe(3);
    expect(held(1, { keepLast: 3, daily: 7 })).toBe(7); // the last 3 are among the last 7 days
    expect(held(1, { daily: 7, weekly: 5 })).toBeLessThan(12); // this week's newest is today's
    expect(held(1, { fit: true })).toBe(1); // fit mode: no rule holds anything back
  });

  it('a drive written every third day: the rules count days that have a snapshot (restic\'s reading)', () => {
    expect(held(3, { daily: 7 })).toBe(7); // the last 7 days *with a snapshot*: three weeks of them
    expect(held(3, { daily: 7, weekly: 5 })).toBe(7 + 2); // those span 3 weeks: 2 more weeks
    const defaults = held(3, { keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 });
    expect(defaults).toBeGreaterThan(12 + 3); // at least the monthlies and a few more
    expect(defaults).toBeLessThan(3 + 7 + 5 + 12 + 10); // overlaps counted once
  });
});

describe('the drive size a rotation needs (init, label, plan)', () => {
  const MB = 1_000_000;
  const at = (r: Partial<Retention>, format?: 1 | 2) => ({ policy: { ...policy(3, rule(r)), ...(format ? { format } : {}) }, today: '2026-03-02' });
  const warn = (r: Partial<Retention>, total: number, chains: boolean) => sizeWarning(at(r), 'A', rule(r), total, 100 * MB, chains);

  it('format 2: room for two fulls (a new chain beside the old), whatever the rules keep', () => {
    expect(roomNeeded(at({ keepLast: 3, daily: 7 }, 2), 'A', 100 * MB)).toEqual({ copies: 2, bytes: 220 * MB });
    expect(warn({ keepLast: 3, daily: 7 }, 219 * MB, true)).toMatch(/^A \(219 MB\) cannot hold two full snapshots \(about 220 MB\)/);
    expect(warn({ keepLast: 3, daily: 7 }, 220 * MB, true)).toBeUndefined();
  });

  it('format 1: the most the rules hold at once, plus the one being written', () => {
    const need = roomNeeded(at({ keepLast: 3 }, 1), 'A', 100 * MB);
    expect(need).toEqual({ copies: 4, bytes: 440 * MB });
    expect(warn({ keepLast: 3 }, 439 * MB, false)).toMatch(/^A \(439 MB\) is too small for its retention: the rules keep up to 3 snapshots, 4 while a backup writes, about 440 MB/);
    expect(warn({ keepLast: 3 }, 440 * MB, false)).toBeUndefined();
  });

  it('fit mode: two, since the drive\'s newest is never removed to make room', () => {
    expect(roomNeeded(at({ fit: true }, 1), 'A', 100 * MB)).toEqual({ copies: 2, bytes: 220 * MB });
    expect(warn({ fit: true }, 219 * MB, false)).toMatch(/fit mode never removes a drive's newest snapshot/);
    expect(warn({ fit: true }, 220 * MB, false)).toBeUndefined();
  });

  it('smaller than one copy: said first; unknown sources: nothing said', () => {
    expect(warn({ keepLast: 3 }, 50 * MB, true)).toMatch(/cannot hold even one full snapshot of the sources \(about 110 MB\)/);
    expect(sizeWarning(at({ keepLast: 3 }), 'A', rule({ keepLast: 3 }), 1, undefined, false)).toBeUndefined();
  });
});

describe('the next snapshot\'s size in the plan (nextEstimate)', () => {
  const MB = 1_000_000;
  const snap = (id: string, bytes: number, base?: string): PlanSnapshot => ({ id, bytes, complete: true, verified: true, ...(base ? { base } : {}) });
  const input = (format: 1 | 2 | undefined, snapshots: PlanSnapshot[], others: PlanSnapshot[] = []) => ({
    policy: { ...policy(2, rule({ keepLast: 3 })), ...(format ? { format } : {}) }, today: '2026-03-02', connected: [],
    drives: [{ name: 'A', snapshots }, { name: 'B', snapshots: others }],
  });

  it('format 2, an increment next: as large as the drive\'s own recent increments, not its full', () => {
    const a = [snap('2026-02-01T100000Z', 1000 * MB), snap('2026-02-08T100000Z', 10 * MB, '2026-02-01T100000Z'), snap('2026-02-15T100000Z', 20 * MB, '2026-02-08T100000Z')];
    expect(nextEstimate(input(2, a), 'A')).toEqual({ bytes: 22 * MB, kind: 'increment' });
    // None of its own yet: another drive's; a rejected SUSPECT one is no guide.
    const b = [snap('2026-02-02T100000Z', 1000 * MB), snap('2026-02-09T100000Z', 5 * MB, '2026-02-02T100000Z')];
    expect(nextEstimate(input(2, [a[0]!, { ...snap('2026-02-08T100000Z', 100 * MB, '2026-02-01T100000Z'), rejected: true }], b), 'A')).toEqual({ bytes: 5.5 * MB, kind: 'increment' });
    // None anywhere: unknown, not the full's size.
    expect(nextEstimate(input(2, [a[0]!]), 'A')).toEqual({ bytes: undefined, kind: 'increment' });
  });

  it('format 2, a new full next (first on the drive, or the chain has grown heavy): the full\'s size', () => {
    const other = [snap('2026-02-02T100000Z', 1000 * MB)];
    expect(nextEstimate(input(2, [], other), 'A')).toEqual({ bytes: 1100 * MB, kind: 'full' });
    const heavy = [snap('2026-02-01T100000Z', 1000 * MB), snap('2026-02-08T100000Z', 600 * MB, '2026-02-01T100000Z')];
    expect(nextEstimate(input(2, heavy), 'A')).toEqual({ bytes: 1100 * MB, kind: 'full' });
  });

  it('a newest snapshot in another format than the policy\'s: a new full, as the backup decides', () => {
    const fmt = (s: PlanSnapshot, format: number): PlanSnapshot => ({ ...s, format });
    const two = [fmt(snap('2026-02-01T100000Z', 1000 * MB), 2), fmt(snap('2026-02-08T100000Z', 10 * MB, '2026-02-01T100000Z'), 2)];
    const three = { ...input(2, two), policy: { ...input(2, two).policy, format: 3 as const } };
    expect(nextEstimate(three, 'A')).toEqual({ bytes: 1100 * MB, kind: 'full' }); // config changed from 2 to 3
    expect(nextEstimate(input(2, two), 'A')).toEqual({ bytes: 11 * MB, kind: 'increment' }); // unchanged: the chain goes on
    // A format-1 newest (a drive that was written before format 2) is never a base.
    expect(nextEstimate(input(2, [fmt(snap('2026-02-01T100000Z', 1000 * MB), 1)]), 'A')).toEqual({ bytes: 1100 * MB, kind: 'full' });
  });

  it('format 1: a whole copy, as large as the newest snapshot', () => {
    expect(nextEstimate(input(undefined, [snap('2026-02-01T100000Z', 100 * MB), snap('2026-02-08T100000Z', 200 * MB)]), 'A')).toEqual({ bytes: 220 * MB });
  });
});
