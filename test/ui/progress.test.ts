// The backup's ETA (ui/progress.ts etaSeconds): weighted by bytes and files, and absent while it
// would only be a guess (issue 17 §5: "the progress ETA is sane from the start").
import { describe, expect, it } from 'vitest';
import { backupProgressText, etaSeconds } from '../../src/ui/progress.js';

const MB = 1024 * 1024;

describe('etaSeconds', () => {
  it('says nothing in the first seconds or the first 1 % of the work', () => {
    expect(etaSeconds({ entries: 10, totalEntries: 1000, bytes: 50 * MB, totalBytes: 100 * MB }, 2)).toBeUndefined();
    expect(etaSeconds({ entries: 1, totalEntries: 100_000, bytes: 1000, totalBytes: 50_000 * MB }, 30)).toBeUndefined();
    expect(etaSeconds({ entries: 0, totalEntries: 10, bytes: 0, totalBytes: MB }, 10)).toBeUndefined();
  });

  it('small files first, one large file left: minutes, not the hours a byte rate promises', () => {
    // 10,000 files of 1 KiB took 60 s; one 1 GiB file is left.
    const p = { entries: 10_000, totalEntries: 10_001, bytes: 10_000 * 1024, totalBytes: 10_000 * 1024 + 1024 * MB };
    const byBytes = (60 * (p.totalBytes - p.bytes)) / p.bytes; // what the old line said
    expect(byBytes).toBeGreaterThan(6000); // 1.7 hours
    const eta = etaSeconds(p, 60)!;
    expect(eta).toBeGreaterThan(60); // a large file still takes time
    expect(eta).toBeLessThan(180);
  });

  it('a uniform tree: the share of the work left, at the pace so far', () => {
    const eta = etaSeconds({ entries: 500, totalEntries: 1000, bytes: 50 * MB, totalBytes: 100 * MB }, 40)!;
    expect(eta).toBeCloseTo(40, 5);
    expect(etaSeconds({ entries: 1000, totalEntries: 1000, bytes: 100 * MB, totalBytes: 100 * MB }, 80)).toBe(0);
  });

  it('the progress line shows the ETA only once it means something', () => {
    const p = { entries: 500, totalEntries: 1000, bytes: 50 * MB, totalBytes: 100 * MB, current: 'docs/a.txt' };
    expect(backupProgressText(p, 1)).not.toContain('ETA');
    expect(backupProgressText(p, 40)).toContain(' · ETA 0:40 · docs');
  });
});
