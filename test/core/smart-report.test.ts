// smartctl's JSON and exit bits (core/smart-report.ts) and the judgement on them
// (core/drive-health.ts), on the fixtures in fixtures/smartctl (see its README: which are
// captured, which written from smartmontools' documented shape).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineOf, driveHealthMessages, HEALTH_READINGS_KEPT, judgeHealth, judgeHistory, readErrorCount, withReading } from '../../src/core/drive-health.js';
import { decodeSmartExit, parseSmartctl, whyNoSmart, type HealthReading } from '../../src/core/smart-report.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/smartctl', name), 'utf8');
/** A fixture as smartctl answers it: its JSON and the exit code it carries. */
const answer = (name: string) => { const text = fixture(name); return parseSmartctl(text, (JSON.parse(text) as { smartctl: { exit_status: number } }).smartctl.exit_status); };
const reading = (name: string, at: string): HealthReading => {
  const r = answer(name);
  if (!r.ok) throw new Error(`${name} gave no reading`);
  return { ...r.reading, at, type: 'sat' };
};

describe('decodeSmartExit: smartctl(8) EXIT STATUS, bit by bit', () => {
  it('names every bit set, and tells unread (0–2) from failing (3–4)', () => {
    expect(decodeSmartExit(0)).toEqual({ code: 0, bits: [], unread: false, failing: false });
    expect(decodeSmartExit(1).bits.map((b) => b.bit)).toEqual([0]);
    expect(decodeSmartExit(1).unread).toBe(true);
    expect(decodeSmartExit(2).bits[0]!.meaning).toMatch(/device open failed/);
    expect(decodeSmartExit(4).unread).toBe(true);
    expect(decodeSmartExit(8)).toMatchObject({ failing: true, unread: false, bits: [{ bit: 3, meaning: 'SMART status check returned "DISK FAILING"' }] });
    expect(decodeSmartExit(16).failing).toBe(true);
    for (const bit of [5, 6, 7]) expect(decodeSmartExit(1 << bit)).toMatchObject({ failing: false, unread: false, bits: [{ bit }] });
    expect(decodeSmartExit(0b11001010).bits.map((b) => b.bit)).toEqual([1, 3, 6, 7]);
  });
});

describe('parseSmartctl on the fixtures', () => {
  it('ATA healthy: PASSED, the six failure counters at 0, judged ok', () => {
    const r = reading('ata-healthy.json', '2025-11-24T16:00:00.000Z');
    expect(r).toMatchObject({ protocol: 'ATA', model: 'WDC WD40NDZW-11BHJS0', serial: 'WD-WX12A3456789', passed: true, exit: 0 });
    expect(r.counters).toEqual({ reallocated: 0, reportedUncorrectable: 0, commandTimeout: 0, pending: 0, offlineUncorrectable: 0, udmaCrcErrors: 0 });
    expect(judgeHealth(r)).toEqual({ verdict: 'ok', problems: [], notes: [] });
  });

  it('ATA counters growing between two readings of the same disk: a warning naming each', () => {
    const before = reading('ata-sectors-before.json', '2025-10-20T10:00:00.000Z');
    const now = reading('ata-sectors-grown.json', '2025-11-24T16:00:00.000Z');
    expect(now.counters).toMatchObject({ reallocated: 8, pending: 16, offlineUncorrectable: 16, reportedUncorrectable: 3 });
    const j = judgeHealth(now, before);
    expect(j.verdict).toBe('warning');
    expect(j.problems).toEqual([
      'reallocated sectors (ATA 5) grew from 0 to 8 since 2025-10-20',
      'reported uncorrectable errors (ATA 187) grew from 0 to 3 since 2025-10-20',
      'pending sectors (ATA 197) grew from 0 to 16 since 2025-10-20',
      'offline uncorrectable sectors (ATA 198) grew from 0 to 16 since 2025-10-20',
    ]);
    expect(j.notes).toEqual(['smartctl: the device error log has records of errors']);
    // The same counts read again: nothing grew, no warning (the alert is for growth).
    expect(judgeHealth({ ...now, at: '2025-12-01T00:00:00.000Z' }, now).verdict).toBe('ok');
    // Alone (no earlier reading), non-zero counts are a note, not an alert.
    expect(judgeHealth(now).verdict).toBe('ok');
    expect(judgeHealth(now).notes[0]).toMatch(/^reallocated sectors \(ATA 5\): 8 \(the first reading/);
  });

  it('another disk in the enclosure (another serial): nothing compared', () => {
    const before = { ...reading('ata-sectors-before.json', '2025-10-20T10:00:00.000Z'), serial: 'OTHER' };
    const j = judgeHealth(reading('ata-sectors-grown.json', '2025-11-24T16:00:00.000Z'), before);
    expect(j.verdict).toBe('ok');
    expect(j.notes).toContain('another disk than the last reading\'s (serial OTHER, now WD-WXB1A7654321): nothing compared');
  });

  it('ATA SMART failing: FAILED and bits 3, 4 — failing, even with no earlier reading', () => {
    const r = reading('ata-failing.json', '2025-11-24T16:00:00.000Z');
    expect(r).toMatchObject({ passed: false, exit: 24, counters: { reallocated: 2032, pending: 88 } });
    const j = judgeHealth(r);
    expect(j.verdict).toBe('failing');
    expect(j.problems).toEqual(['SMART overall-health self-assessment: FAILED', 'smartctl: SMART status check returned "DISK FAILING"', 'smartctl: prefail attributes at or below their threshold']);
  });

  it('NVMe healthy: the three NVMe counters, judged ok', () => {
    const r = reading('nvme-healthy.json', '2025-11-24T16:00:00.000Z');
    expect(r).toMatchObject({ protocol: 'NVMe', passed: true, counters: { criticalWarning: 0, mediaErrors: 0, percentageUsed: 3 } });
    expect(judgeHealth(r).verdict).toBe('ok');
  });

  it('NVMe critical warning and media errors: failing, the warning bit in words', () => {
    const r = reading('nvme-critical.json', '2025-11-24T16:00:00.000Z');
    expect(r.counters).toEqual({ criticalWarning: 4, mediaErrors: 12, percentageUsed: 17 });
    const j = judgeHealth(r, { ...r, at: '2025-11-01T00:00:00.000Z', passed: true, exit: 0, counters: { criticalWarning: 0, mediaErrors: 2, percentageUsed: 16 } });
    expect(j.verdict).toBe('failing');
    expect(j.problems).toEqual([
      'SMART overall-health self-assessment: FAILED',
      'smartctl: SMART status check returned "DISK FAILING"',
      'NVMe critical warning 0x4: reliability degraded by media or internal errors',
      'NVMe media errors grew from 2 to 12 since 2025-11-01',
    ]);
  });

  it('NVMe worn past 100 %: a warning', () => {
    const r = reading('nvme-healthy.json', '2025-11-24T16:00:00.000Z');
    expect(judgeHealth({ ...r, counters: { ...r.counters, percentageUsed: 104 } }).problems).toEqual(['NVMe percentage used is 104 %: past its rated endurance']);
  });

  it('a USB bridge that hides SMART: no reading, smartctl\'s words kept, told apart as a bridge', () => {
    const r = answer('usb-unknown-bridge.json');
    expect(r).toMatchObject({ ok: false, why: 'no-smart', messages: ['/dev/sdb: Unknown USB bridge [0x152d:0x0578 (0x214)]', 'Please specify device type with the -d option.'] });
    const sat = answer('usb-bridge-sat-refused.json');
    expect(sat.ok).toBe(false);
    if (r.ok || sat.ok) return;
    expect(r.exit.unread).toBe(true);
    expect(whyNoSmart([r, sat])).toBe('bridge');
    expect(whyNoSmart([sat])).toBe('none');
  });

  it('this machine\'s virtual disk (captured): no SMART, and no permission for the pass-through', () => {
    const auto = answer('vm-virtio-auto.json');
    const sat = answer('vm-virtio-sat.json');
    expect(auto).toMatchObject({ ok: false, why: 'no-smart', messages: ['/dev/vda: Unable to detect device type'] });
    expect(sat).toMatchObject({ ok: false, why: 'no-smart', messages: ['Smartctl open device: /dev/vda [SAT] failed: Operation not permitted'] });
    if (auto.ok || sat.ok) return;
    expect(auto.exit.bits.map((b) => b.bit)).toEqual([0]);
    expect(sat.exit.bits.map((b) => b.bit)).toEqual([1]);
    expect(whyNoSmart([auto, sat])).toBe('permission');
    expect(whyNoSmart([auto])).toBe('none');
  });

  it('not JSON, or JSON of another shape: malformed, said so', () => {
    expect(parseSmartctl('smartctl 6.6 ...\n', 1)).toMatchObject({ ok: false, why: 'malformed', messages: [expect.stringMatching(/not JSON/)] });
    expect(parseSmartctl('', 2)).toMatchObject({ ok: false, why: 'malformed', messages: ['smartctl printed nothing'] });
    expect(parseSmartctl(JSON.stringify({ smartctl: {}, smart_status: { passed: 'yes' } }), 0)).toMatchObject({ ok: false, why: 'malformed', messages: [expect.stringMatching(/smart_status\.passed/)] });
  });
});

describe('driveHealthMessages: the status and remind lines', () => {
  const before = reading('ata-sectors-before.json', '2025-10-20T10:00:00.000Z');
  const grown = reading('ata-sectors-grown.json', '2025-11-24T16:00:00.000Z');
  it('a grown counter: one line, with airgap replace', () => {
    expect(driveHealthMessages('B', [before, grown], [])).toEqual([
      "drive B's health (2025-11-24): it may be failing: reallocated sectors (ATA 5) grew from 0 to 8 since 2025-10-20; reported uncorrectable errors (ATA 187) grew from 0 to 3 since 2025-10-20; pending sectors (ATA 197) grew from 0 to 16 since 2025-10-20; offline uncorrectable sectors (ATA 198) grew from 0 to 16 since 2025-10-20; copy its role to a new drive before it fails: airgap replace B <new-drive>",
    ]);
    expect(driveHealthMessages('B', [before], [])).toEqual([]);
    expect(driveHealthMessages('B', [], [])).toEqual([]);
  });
  it('read errors in the last verify: a line; a clean verify since: none', () => {
    expect(driveHealthMessages('A', [], [{ at: '2025-11-01T00:00:00.000Z', count: 2 }, { at: '2025-11-24T00:00:00.000Z', count: 3 }])).toEqual([
      'drive A had 3 read errors (EIO) in its verify of 2025-11-24 (5 in all): check its health (airgap health A) and copy its role to a new drive before it fails: airgap replace A <new-drive>',
    ]);
    expect(driveHealthMessages('A', [], [{ at: '2025-11-01T00:00:00.000Z', count: 2 }, { at: '2025-11-24T00:00:00.000Z', count: 0 }])).toEqual([]);
  });
  it('readErrorCount counts EIO only', () => {
    expect(readErrorCount([{ errno: 'EIO' }, { errno: 'EACCES' }, {}, { errno: 'EIO' }])).toBe(2);
  });
});

describe('the history: judged against the first reading of the same disk, which is always kept', () => {
  const before = reading('ata-sectors-before.json', '2025-10-20T10:00:00.000Z');
  const grown = reading('ata-sectors-grown.json', '2025-11-24T16:00:00.000Z');
  it('read again with the same counts, a grown counter stays grown (the alert does not go away by itself)', () => {
    const again = { ...grown, at: '2025-12-01T00:00:00.000Z' };
    expect(baselineOf([before, grown], again)).toBe(before);
    expect(judgeHistory([before, grown, again])!.verdict).toBe('warning');
    expect(judgeHistory([before])!.verdict).toBe('ok');
    expect(judgeHistory([])).toBeUndefined();
  });
  it('another disk: judged against no reading of its own', () => {
    const other = { ...grown, serial: 'NEW-DISK' };
    expect(baselineOf([before], other)).toBe(before);
    expect(judgeHistory([before, other])!.verdict).toBe('ok');
  });
  it('the cap keeps the first reading and the newest', () => {
    let h: HealthReading[] = [];
    for (let i = 0; i < HEALTH_READINGS_KEPT + 5; i++) h = withReading(h, { ...before, at: `2025-01-${String(i + 1).padStart(2, '0')}T00:00:00.000Z` });
    expect(h).toHaveLength(HEALTH_READINGS_KEPT);
    expect(h[0]!.at).toBe('2025-01-01T00:00:00.000Z');
    expect(h.at(-1)!.at).toBe(`2025-01-${HEALTH_READINGS_KEPT + 5}T00:00:00.000Z`);
    expect(h[1]!.at).toBe('2025-01-07T00:00:00.000Z');
  });
});
