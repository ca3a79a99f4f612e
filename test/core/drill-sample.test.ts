// The restore drill's choices (core/drill-sample.ts): how many files, which ones (size-weighted,
// under a byte cap, repeatable by seed), and which snapshot (one a restore would take).
import { describe, expect, it } from 'vitest';
import { chooseDrillSample, chooseDrillSnapshot, MAX_DRILL_FILES, sampleSize, seededRandom, type DrillCandidate, type DrillFile } from '../../src/core/drill-sample.js';

const files = (sizes: number[]): DrillFile[] => sizes.map((size, i) => ({ path: `f${i}`, size }));
const RULE = { percent: 1, minFiles: 20 };

describe('sampleSize', () => {
  it('the larger of the share and the minimum, never more than the files nor MAX_DRILL_FILES', () => {
    expect(sampleSize(5, RULE)).toBe(5);
    expect(sampleSize(1000, RULE)).toBe(20);
    expect(sampleSize(10_000, RULE)).toBe(100);
    expect(sampleSize(10_001, RULE)).toBe(101); // rounded up
    expect(sampleSize(1_000_000, RULE)).toBe(MAX_DRILL_FILES);
    expect(sampleSize(0, RULE)).toBe(0);
  });
});

describe('seededRandom', () => {
  it('the same seed gives the same stream, in [0, 1); another seed another stream', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const c = seededRandom(43);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10));
  });
});

describe('chooseDrillSample', () => {
  const many = files(Array.from({ length: 500 }, (_, i) => 1000 + i * 37));

  it('as many distinct files as the rule asks, in manifest order, the same for the same seed', () => {
    const pick = chooseDrillSample(many, RULE, seededRandom(7));
    expect(pick).toHaveLength(20);
    expect(new Set(pick).size).toBe(20);
    expect([...pick].sort((a, b) => a - b)).toEqual(pick);
    expect(chooseDrillSample(many, RULE, seededRandom(7))).toEqual(pick);
    expect(chooseDrillSample(many, RULE, seededRandom(8))).not.toEqual(pick);
  });

  it('every file when there are fewer than the minimum; none of none', () => {
    expect(chooseDrillSample(files([5, 0, 9]), RULE, seededRandom(1))).toEqual([0, 1, 2]);
    expect(chooseDrillSample([], RULE, seededRandom(1))).toEqual([]);
  });

  it('size-weighted: a big file is drawn far more often than a small one, and an empty file can be drawn', () => {
    // One file of 1 MiB among 99 of 1 kB and one empty file; one file drawn per seed.
    const set = files([1 << 20, 0, ...Array.from({ length: 99 }, () => 1000)]);
    let big = 0;
    let empty = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const [i] = chooseDrillSample(set, { percent: 0.5, minFiles: 1 }, seededRandom(seed));
      if (i === 0) big++;
      if (i === 1) empty++;
    }
    // Weights: 1 MiB + 4 KiB against 99 × (1000 + 4096) + 4096: the big file about 67 % of the time.
    expect(big).toBeGreaterThan(1200);
    expect(big).toBeLessThan(1500);
    expect(empty).toBeGreaterThan(0);
  });

  it('capped in bytes: files that would pass the cap are passed over for smaller ones', () => {
    const set = files([900, 800, 700, 100, 100, 100, 100]);
    for (let seed = 0; seed < 200; seed++) {
      const pick = chooseDrillSample(set, { percent: 100, minFiles: 7, maxBytes: 1000 }, seededRandom(seed));
      const total = pick.reduce((n, i) => n + set[i]!.size, 0);
      expect(total).toBeLessThanOrEqual(1000);
      expect(pick.length).toBeGreaterThan(0);
    }
  });

  it('when no file fits under the cap, the smallest file is the drill (never nothing)', () => {
    expect(chooseDrillSample(files([5000, 3000, 4000]), { percent: 100, minFiles: 3, maxBytes: 1000 }, seededRandom(3))).toEqual([1]);
  });
});

describe('chooseDrillSnapshot', () => {
  const snap = (id: string, over: Partial<DrillCandidate> = {}): DrillCandidate => ({ id, complete: true, suspect: false, files: 10, ...over });

  it('draws among the complete snapshots that are not SUSPECT, hold files, and whose chain is whole; each one can come up', () => {
    const list = [
      snap('2026-01-01T100000Z'), // a full
      snap('2026-01-02T100000Z', { base: '2026-01-01T100000Z' }),
      snap('2026-01-03T100000Z', { base: '2026-01-02T100000Z', suspect: true }),
      snap('2026-01-04T100000Z', { base: '2026-01-09T100000Z' }), // its base is not on the drive
      snap('2026-01-05T100000Z', { complete: false }),
      snap('2026-01-06T100000Z', { files: 0 }),
      snap('2026-01-07T100000Z', { files: undefined }), // snapshot.json unreadable
      snap('2026-01-08T100000Z', { base: '2026-01-05T100000Z' }), // its base is incomplete
    ];
    const seen = new Set<string>();
    for (let seed = 0; seed < 100; seed++) {
      const c = chooseDrillSnapshot(list, 'A', seededRandom(seed));
      expect(c.ok).toBe(true);
      if (c.ok) {
        expect(c.of).toBe(2);
        seen.add(c.id);
      }
    }
    expect([...seen].sort()).toEqual(['2026-01-01T100000Z', '2026-01-02T100000Z']);
  });

  it('none to take: a usage error naming why each was passed over', () => {
    const c = chooseDrillSnapshot([snap('2026-01-01T100000Z', { suspect: true }), snap('2026-01-02T100000Z', { complete: false })], 'A', seededRandom(1));
    expect(c).toEqual({
      ok: false, code: 'no-snapshot-to-drill',
      message: 'drive A holds no complete snapshot a drill can restore (1 incomplete, 1 SUSPECT)',
      hint: expect.stringContaining('a SUSPECT snapshot is never drilled'),
    });
    expect(chooseDrillSnapshot([], 'B', seededRandom(1))).toMatchObject({ ok: false, message: 'drive B holds no complete snapshot a drill can restore', hint: 'back up to B first, or drill another drive: airgap drill <drive>' });
  });
});
