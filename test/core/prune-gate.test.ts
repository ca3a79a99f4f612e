// The prune gate and drive-name matching: rules that backup, prune, status and the wizard share.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goodCopy, pruneGate, questionOpen, suspectMark } from '../../src/core/prune-gate.js';
import { byDriveName, sameDriveName } from '../../src/core/drive-name.js';

describe('core/prune-gate', () => {
  it('is open only when no suspect snapshot is unaccepted, and names every one that blocks it', () => {
    const suspect = fc.record({ drive: fc.constantFrom('A', 'B', 'C'), id: fc.string({ minLength: 1, maxLength: 20 }) });
    fc.assert(fc.property(fc.array(suspect, { maxLength: 8 }), (suspects) => {
      const g = pruneGate(suspects);
      expect(g.open).toBe(suspects.length === 0);
      if (!g.open) {
        expect(g.blockedBy).toEqual(suspects);
        for (const s of suspects) expect(g.reason).toContain(`${s.drive}/${s.id}`);
        expect(g.hint).toMatch(/airgap accept .* \(or airgap backup --accept-changes\); once the sources are recovered: airgap reject /);
      }
    }));
  });
});

describe('core/prune-gate: accept and reject (issue 17 §1)', () => {
  it('the prune block is never released for a snapshot that is neither accepted nor rejected', () => {
    const snap = fc.record({
      drive: fc.constantFrom('A', 'B'), id: fc.string({ minLength: 1, maxLength: 8 }),
      suspect: fc.option(fc.boolean(), { nil: undefined }), accepted: fc.option(fc.boolean(), { nil: undefined }), rejected: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(snap, { maxLength: 10 }), (snaps) => {
      const g = pruneGate(snaps.filter(questionOpen).map(({ drive, id }) => ({ drive, id })));
      const undecided = snaps.filter((x) => x.suspect === true && x.accepted !== true && x.rejected !== true);
      expect(g.open).toBe(undecided.length === 0);
      if (!g.open) expect(g.blockedBy).toEqual(undecided.map(({ drive, id }) => ({ drive, id })));
    }));
  });

  it('a flagged snapshot is a good copy only once accepted (or being accepted by --accept-changes, unless rejected)', () => {
    expect(goodCopy({})).toBe(true);
    expect(goodCopy({ suspect: false })).toBe(true);
    expect(goodCopy({ suspect: true })).toBe(false);
    expect(goodCopy({ suspect: true, rejected: true })).toBe(false);
    expect(goodCopy({ suspect: true, accepted: true })).toBe(true);
    expect(goodCopy({ suspect: true }, true)).toBe(true);
    expect(goodCopy({ suspect: true, rejected: true }, true)).toBe(false);
  });
});

describe('core/drive-name', () => {
  it('matches drive names without regard to case, and nothing else', () => {
    const drives = [{ name: 'Office' }, { name: 'B' }];
    expect(byDriveName(drives, 'office')).toBe(drives[0]);
    expect(byDriveName(drives, 'b')).toBe(drives[1]);
    expect(byDriveName(drives, 'Offic')).toBeUndefined();
    expect(sameDriveName('a', 'A')).toBe(true);
    expect(sameDriveName('A', 'A2')).toBe(false);
  });
});

describe('core/prune-gate suspectMark: what list, verify and status say (issue 17 §1)', () => {
  it('accepted is never SUSPECT; rejected stays SUSPECT, marked; an open question is SUSPECT', () => {
    const opt = fc.option(fc.boolean(), { nil: undefined });
    fc.assert(fc.property(opt, opt, opt, (suspect, accepted, rejected) => {
      const mark = suspectMark({ suspect, accepted, rejected });
      if (suspect !== true || accepted === true) expect(mark).toBeUndefined();
      else expect(mark).toBe(rejected === true ? 'rejected' : 'open');
      // Only an open mark holds pruning back; every mark keeps it from being a good copy.
      expect(mark === 'open').toBe(questionOpen({ suspect, accepted, rejected }));
      if (mark) expect(goodCopy({ suspect, accepted, rejected })).toBe(false);
    }));
  });
});
