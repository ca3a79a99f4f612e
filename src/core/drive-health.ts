// The judgement on a drive's health (issue 19): which smartctl device types to try, and in
// which order; what a reading says against the one before it (a counter that grew, SMART
// failing); the status/remind alert that follows. Pure: readings are parameters.
import { COUNTER_WORDS, decodeSmartExit, type CounterName, type HealthReading } from './smart-report.js';

/**
 * smartctl -d types tried in turn until one reads SMART: smartctl's own guess, SAT (most USB
 * enclosures), then the vendor pass-throughs of the USB bridges smartmontools supports
 * (smartctl(8) -d; smartmontools.org/wiki/USB). Never `usbjmicron,x` nor a usbcypress opcode:
 * the man page warns those may disconnect or damage.
 */
export const SMART_DEVICE_TYPES = ['auto', 'sat', 'usbjmicron', 'usbprolific', 'usbcypress', 'usbsunplus', 'sntjmicron', 'sntasmedia', 'sntrealtek'] as const;

/** Readings kept per drive in the catalog: enough to see a trend, small enough to never matter. */
export const HEALTH_READINGS_KEPT = 20;

/** NVMe critical_warning bits (NVMe base specification, SMART / Health Information log). */
const NVME_WARNINGS = ['spare capacity below its threshold', 'temperature out of range', 'reliability degraded by media or internal errors', 'media placed in read-only mode', 'volatile memory backup failed', 'persistent memory region read-only'];

export type HealthVerdict = 'ok' | 'warning' | 'failing';

export interface HealthJudgement {
  verdict: HealthVerdict;
  /** Why the verdict is not ok, one line each. */
  problems: string[];
  /** What is worth knowing but no reason to replace the drive (smartctl's logs, non-zero counts seen first). */
  notes: string[];
}

/** The counters compared between readings: every failure predictor. NVMe's wear grows with use, it is judged by its level. */
const GROWTH: CounterName[] = ['reallocated', 'reportedUncorrectable', 'commandTimeout', 'pending', 'offlineUncorrectable', 'udmaCrcErrors', 'mediaErrors'];

/**
 * A reading against an earlier one (baselineOf: of the same disk; a disk swapped in the
 * enclosure, seen by its serial, is not compared). Failing: SMART's overall assessment failed, smartctl's bit 3
 * or 4, or an NVMe critical warning. Warning: a failure counter grew, or NVMe wear at 100 %.
 */
export function judgeHealth(current: HealthReading, previous?: HealthReading): HealthJudgement {
  const problems: string[] = [];
  const notes: string[] = [];
  const exit = decodeSmartExit(current.exit);
  let failing = current.passed === false || exit.failing;
  if (current.passed === false) problems.push('SMART overall-health self-assessment: FAILED');
  for (const b of exit.bits) if (b.bit === 3 || b.bit === 4) problems.push(`smartctl: ${b.meaning}`);
  const cw = current.counters.criticalWarning ?? 0;
  if (cw) {
    failing = true;
    problems.push(`NVMe critical warning 0x${cw.toString(16)}: ${NVME_WARNINGS.filter((_, i) => (cw >> i) & 1).join(', ') || 'an unknown bit'}`);
  }
  const comparable = previous && sameDisk(previous, current) ? previous : undefined;
  for (const name of GROWTH) {
    const now = current.counters[name];
    const before = comparable?.counters[name];
    if (now !== undefined && before !== undefined && now > before) problems.push(`${COUNTER_WORDS[name]} grew from ${before} to ${now} since ${comparable!.at.slice(0, 10)}`);
    else if (now && before === undefined) notes.push(`${COUNTER_WORDS[name]}: ${now} (the first reading: an alert comes if it grows)`);
  }
  if ((current.counters.percentageUsed ?? 0) >= 100) problems.push(`NVMe percentage used is ${current.counters.percentageUsed} %: past its rated endurance`);
  // The other bits say something of the disk's logs, or that part of its SMART could not be read: worth knowing, no verdict.
  for (const b of exit.bits) if (b.bit !== 3 && b.bit !== 4) notes.push(`smartctl: ${b.meaning}`);
  if (previous && !comparable) notes.push(`another disk than the last reading's (serial ${previous.serial}, now ${current.serial}): nothing compared`);
  const verdict: HealthVerdict = failing ? 'failing' : problems.length ? 'warning' : 'ok';
  return { verdict, problems, notes };
}

/**
 * The reading a new one is judged against: the drive's earliest kept reading of the same disk
 * (recordHealth never drops the first). Against the earliest, not the last: a counter that grew
 * stays grown when the drive is read again, so the alert stays until the drive is replaced.
 * None of the same disk: the last reading (judgeHealth then says it is another disk), if any.
 */
export function baselineOf(history: readonly HealthReading[], current: HealthReading): HealthReading | undefined {
  return history.find((r) => sameDisk(r, current)) ?? history.at(-1);
}

const sameDisk = (a: HealthReading, b: HealthReading) => !a.serial || !b.serial || a.serial === b.serial;

/** The newest reading judged against its baseline. */
export function judgeHistory(readings: readonly HealthReading[]): HealthJudgement | undefined {
  const last = readings.at(-1);
  return last ? judgeHealth(last, baselineOf(readings.slice(0, -1), last)) : undefined;
}

/** The history with a new reading: the first one always kept (the baseline), then the newest. */
export const withReading = (history: readonly HealthReading[], r: HealthReading): HealthReading[] =>
  history.length < HEALTH_READINGS_KEPT ? [...history, r] : [history[0]!, ...history.slice(-(HEALTH_READINGS_KEPT - 2)), r];

/** Read I/O errors a verify of the drive met, per verify (the newest last). */
export interface ReadErrorRecord { at: string; count: number }

/** The status/remind lines about one drive's health: its newest SMART reading judged, and read errors in its last verify. */
export function driveHealthMessages(drive: string, readings: readonly HealthReading[], readErrors: readonly ReadErrorRecord[]): string[] {
  const out: string[] = [];
  const replace = `copy its role to a new drive before it fails: airgap replace ${drive} <new-drive>`;
  const j = judgeHistory(readings);
  if (j && j.verdict !== 'ok') {
    out.push(`drive ${drive}'s health (${readings.at(-1)!.at.slice(0, 10)}): ${j.verdict === 'failing' ? 'it is failing' : 'it may be failing'}: ${j.problems.join('; ')}; ${replace}`);
  }
  const last = readErrors.at(-1);
  if (last && last.count > 0) {
    const total = readErrors.reduce((n, r) => n + r.count, 0);
    out.push(`drive ${drive} had ${last.count} read ${last.count === 1 ? 'error' : 'errors'} (EIO) in its verify of ${last.at.slice(0, 10)} (${total} in all): check its health (airgap health ${drive}) and ${replace}`);
  }
  return out;
}

/** Read I/O errors among a verify's findings: files the drive failed to read (EIO), not damage in what it read. */
export const readErrorCount = (findings: readonly { errno?: string }[]): number => findings.filter((f) => f.errno === 'EIO').length;
