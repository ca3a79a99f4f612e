// The backup decision (core/backup-decision.ts): which drive a backup writes, and the refusals
// that keep the air gap. The CLI's e2e tests run the same rules through real folders.
import { describe, expect, it } from 'vitest';
import { decideBackup } from '../../src/core/backup-decision.js';
import { planRotation } from '../../src/core/planner.js';
import { DEFAULT_RETENTION, type Policy } from '../../src/core/policy.js';

const policy: Policy = {
  drives: [
    { name: 'A', role: 'home', retention: DEFAULT_RETENTION },
    { name: 'B', role: 'offsite', retention: DEFAULT_RETENTION },
    { name: 'C', role: 'home', retention: DEFAULT_RETENTION },
  ],
  cadence: { kind: 'daily' }, scheme: 'round-robin', offline: 1, epoch: '2026-01-01', alerts: { rotationDays: 30, verifyDays: 90 },
};
const TODAY = '2026-01-01'; // slot 0 of a daily round-robin: drive A is due
const decide = (connected: string[], extra: { requested?: string; allowConnected?: boolean } = {}) =>
  decideBackup({ policy, plan: planRotation({ policy, drives: [], connected, today: TODAY }), drives: [], connected, ...extra });
const refusalCode = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no refusal';
};

describe('core/backup-decision', () => {
  it('writes the due drive when it alone is connected', () => {
    expect(decide(['A'])).toEqual({ write: true, target: 'A', notes: [] });
  });

  it('refuses when the due drive is missing, or another rotation drive stands in for it', () => {
    expect(refusalCode(() => decide([]))).toBe('due-drive-missing');
    expect(refusalCode(() => decide(['C']))).toBe('not-due-drive');
  });

  it('never breaks the air gap: the offsite drive connected beside the target is refused, unless --allow-connected (with a note)', () => {
    expect(refusalCode(() => decide(['A', 'B']))).toBe('air-gap');
    const allowed = decide(['A', 'B'], { allowConnected: true });
    expect(allowed).toMatchObject({ write: true, target: 'A' });
    expect(allowed.write && allowed.notes.join('\n')).toMatch(/B connected \(--allow-connected\): the air gap is not kept/);
  });

  it('--drive names another drive: written, with a note that it is not the due one (case-insensitive)', () => {
    const d = decide(['c'.toUpperCase()], { requested: 'c' });
    expect(d).toMatchObject({ write: true, target: 'c' });
    expect(d.write && d.notes[0]).toMatch(/^C is not the due drive \(A is\)/);
  });
});
