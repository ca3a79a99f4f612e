import { describe, expect, it } from 'vitest';
import {
  compareSnapshotIds,
  isSnapshotId,
  parseSnapshotId,
  SNAPSHOT_ID_RE,
  snapshotIdFor,
} from '../../src/layout/snapshot-id.js';

const AT = new Date('2026-11-21T09:30:00.123Z');

describe('snapshotIdFor', () => {
  it('is the UTC date-time without colons or fractions', () => {
    expect(snapshotIdFor(AT)).toBe('2026-11-21T093000Z');
  });

  it('uses UTC, not the local time zone', () => {
    expect(snapshotIdFor(new Date('2026-01-01T00:00:00+05:00'))).toBe('2025-12-31T190000Z');
  });

  it('truncates, never rounds, the milliseconds', () => {
    expect(snapshotIdFor(new Date('2026-11-21T09:30:59.999Z'))).toBe('2026-11-21T093059Z');
  });

  it('adds a sequence suffix from 2 on; 1 means no suffix', () => {
    expect(snapshotIdFor(AT, 1)).toBe('2026-11-21T093000Z');
    expect(snapshotIdFor(AT, 2)).toBe('2026-11-21T093000Z-2');
    expect(snapshotIdFor(AT, 10)).toBe('2026-11-21T093000Z-10');
  });

  it('never contains ":" (FAT/exFAT/NTFS file names) or other unsafe characters', () => {
    const dates = [
      AT,
      new Date(0),
      new Date('1999-12-31T23:59:59Z'),
      new Date('2038-01-19T03:14:08Z'),
      new Date('2026-02-28T12:34:56.789Z'),
    ];
    for (const d of dates) {
      for (const seq of [1, 2, 37]) {
        const id = snapshotIdFor(d, seq);
        expect(id).not.toContain(':');
        expect(id).toMatch(/^[0-9A-Z-]+$/);
        expect(id).toMatch(SNAPSHOT_ID_RE);
        expect(isSnapshotId(id)).toBe(true);
      }
    }
  });

  it('sorts as text in time order (without suffixes)', () => {
    const times = ['2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', '2026-10-09T00:00:00Z', '2026-11-21T09:30:00Z'];
    const ids = times.map((t) => snapshotIdFor(new Date(t)));
    expect([...ids].reverse().sort()).toEqual(ids);
  });
});

describe('parseSnapshotId', () => {
  it('gives back the moment (whole seconds) and sequence', () => {
    expect(parseSnapshotId('2026-11-21T093000Z')).toEqual({ date: new Date('2026-11-21T09:30:00Z'), sequence: 1 });
    expect(parseSnapshotId('2026-11-21T093000Z-2')).toEqual({ date: new Date('2026-11-21T09:30:00Z'), sequence: 2 });
    expect(parseSnapshotId('2026-11-21T093000Z-9999')?.sequence).toBe(9999);
  });

  it('round-trips snapshotIdFor', () => {
    for (const seq of [1, 2, 3, 10, 123]) {
      const p = parseSnapshotId(snapshotIdFor(AT, seq));
      expect(p).toBeDefined();
      expect(snapshotIdFor(p!.date, p!.sequence)).toBe(snapshotIdFor(AT, seq));
      expect(p!.sequence).toBe(seq);
    }
  });

  it('rejects dates that do not exist instead of rolling them over', () => {
    for (const id of [
      '2026-02-31T093000Z',
      '2026-02-29T093000Z', // 2026 is not a leap year
      '2026-04-31T000000Z',
      '2026-13-01T000000Z',
      '2026-00-10T000000Z',
      '2026-01-00T000000Z',
      '2026-01-01T240000Z',
      '2026-01-01T236000Z',
      '2026-01-01T000060Z',
    ]) {
      expect(parseSnapshotId(id), id).toBeUndefined();
      expect(isSnapshotId(id), id).toBe(false);
    }
    expect(isSnapshotId('2028-02-29T093000Z')).toBe(true); // leap year
  });

  it('rejects malformed strings', () => {
    for (const s of [
      '',
      '2026-11-21',
      '2026-11-21T09:30:00Z', // colons
      '2026-11-21T09:30:00.123Z', // ISO with fraction
      '2026-11-21T093000', // no Z
      '2026-11-21t093000Z',
      '2026-11-21T093000z',
      '2026-11-21 093000Z',
      '2026-11-21T93000Z',
      '2026-11-21T0930000Z',
      '26-11-21T093000Z',
      '2026-1-21T093000Z',
      '2026-11-21T093000Z-0',
      '2026-11-21T093000Z-02',
      '2026-11-21T093000Z-',
      '2026-11-21T093000Z-x',
      '2026-11-21T093000Z-2-3',
      '2026-11-21T093000Z2',
      ' 2026-11-21T093000Z',
      '2026-11-21T093000Z ',
      '2026-11-21T093000Z\n',
      '.partial-2026-11-21T093000Z',
      '2026-11-21T093000Z.tar',
    ]) {
      expect(parseSnapshotId(s), JSON.stringify(s)).toBeUndefined();
      expect(isSnapshotId(s), JSON.stringify(s)).toBe(false);
    }
  });
});

describe('compareSnapshotIds', () => {
  it('orders the numeric suffix numerically: -2 < -10', () => {
    const a = '2026-11-21T093000Z-2';
    const b = '2026-11-21T093000Z-10';
    expect(a > b).toBe(true); // plain text order would get this wrong
    expect(compareSnapshotIds(a, b)).toBeLessThan(0);
    expect(compareSnapshotIds(b, a)).toBeGreaterThan(0);
  });

  it('puts the unsuffixed id first within its second', () => {
    expect(compareSnapshotIds('2026-11-21T093000Z', '2026-11-21T093000Z-2')).toBeLessThan(0);
    expect(compareSnapshotIds('2026-11-21T093000Z-2', '2026-11-21T093000Z')).toBeGreaterThan(0);
  });

  it('is zero for the same id', () => {
    expect(compareSnapshotIds('2026-11-21T093000Z-3', '2026-11-21T093000Z-3')).toBe(0);
  });

  it('sorts a shuffled list chronologically, then by sequence', () => {
    const expected = [
      '2025-12-31T235959Z',
      '2026-01-01T000000Z',
      '2026-01-01T000000Z-2',
      '2026-01-01T000000Z-3',
      '2026-01-01T000000Z-10',
      '2026-01-01T000000Z-11',
      '2026-01-01T000000Z-100',
      '2026-01-01T000001Z',
      '2026-02-01T000000Z',
      '2026-11-21T093000Z',
      '2026-11-21T093000Z-9',
      '2027-01-01T000000Z',
    ];
    const shuffled = [...expected].sort((a, b) => (a.length * 7 + a.charCodeAt(15) * 3) % 11 - (b.length * 7 + b.charCodeAt(15) * 3) % 11);
    expect(shuffled).not.toEqual(expected);
    expect([...shuffled].sort(compareSnapshotIds)).toEqual(expected);
    expect([...expected].reverse().sort(compareSnapshotIds)).toEqual(expected);
  });

  it('a later second beats any sequence number of an earlier one', () => {
    expect(compareSnapshotIds('2026-11-21T093000Z-9999', '2026-11-21T093001Z')).toBeLessThan(0);
  });

  it('falls back to text order for names that are not ids', () => {
    expect(compareSnapshotIds('apple', 'banana')).toBeLessThan(0);
    expect(compareSnapshotIds('banana', 'apple')).toBeGreaterThan(0);
    expect(compareSnapshotIds('same', 'same')).toBe(0);
  });
});
