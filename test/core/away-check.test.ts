// "Verify a drive that was away before changing it" (core/away-check.ts): offsite drives always,
// home drives after more than 7 days unseen, never an empty drive.
import { describe, expect, it } from 'vitest';
import { mustVerifyBeforeWrite } from '../../src/core/away-check.js';

const now = new Date('2026-12-10T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();

describe('mustVerifyBeforeWrite', () => {
  it('an offsite drive is verified even when it was seen an hour ago', () => {
    expect(mustVerifyBeforeWrite({ role: 'offsite', lastSeenAt: daysAgo(1 / 24), snapshots: 2, now })).toBe(true);
  });
  it('a home drive: after more than 7 days away, not at 7 days or less', () => {
    expect(mustVerifyBeforeWrite({ role: 'home', lastSeenAt: daysAgo(7.01), snapshots: 1, now })).toBe(true);
    expect(mustVerifyBeforeWrite({ role: 'home', lastSeenAt: daysAgo(7), snapshots: 1, now })).toBe(false);
    expect(mustVerifyBeforeWrite({ role: 'home', lastSeenAt: daysAgo(3), snapshots: 1, now })).toBe(false);
  });
  it('a drive this host never saw is verified; a drive outside the rotation counts as home', () => {
    expect(mustVerifyBeforeWrite({ snapshots: 1, now })).toBe(true);
    expect(mustVerifyBeforeWrite({ lastSeenAt: daysAgo(30), snapshots: 1, now })).toBe(true);
    expect(mustVerifyBeforeWrite({ lastSeenAt: daysAgo(1), snapshots: 1, now })).toBe(false);
  });
  it('an empty drive has nothing to check', () => {
    expect(mustVerifyBeforeWrite({ role: 'offsite', snapshots: 0, now })).toBe(false);
  });
});
