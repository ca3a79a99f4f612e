// The weekly scenario's results: their types, the figures derived from the measured steps (the
// medians, the extrapolation to a 500 GB source on a 1 TB drive, the ratios against restic and
// the issue's targets), and their rendering as Markdown tables.
import { markdownTable, mb, median, type TargetResult } from './report.js';
import type { WeekChange } from './weekly-changes.js';

export interface Step {
  seconds: number;
  cpuSeconds: number | null;
  peakRssMb: number | null;
}

export interface SnapshotStep extends Step {
  /** `du -sb` of the tool's folder on the target, after minus before. */
  addedBytes: number;
  /** The target file system's used blocks (statfs), after minus before: includes ext4's own metadata. */
  fsAddedBytes: number;
}

export interface ToolResult {
  key: string;
  label: string;
  snapshots: SnapshotStep[];
  verify: Step | null;
  verifyLabel: string;
  restore: Step;
  restoreLabel: string;
  /** The restored tree has the source's names and bytes (diff -r, untimed). */
  restoreMatches: boolean;
  restoreDiff?: string;
}

export interface Derived {
  tool: string;
  firstSeconds: number;
  firstCpuSeconds: number | null;
  firstPeakRssMb: number | null;
  firstBytes: number;
  /** Median over the four weekly snapshots. */
  weeklySeconds: number;
  weeklyCpuSeconds: number | null;
  weeklyPeakRssMb: number | null;
  weeklyAddedBytes: number;
  weeklyAddedMin: number;
  weeklyAddedMax: number;
  /** Snapshots of a 500 GB source on a 1 TB drive (the formula in FORMULA); null: unbounded. */
  snapshotsOn1TB: number | null;
}

export interface SetResult {
  key: string;
  name: string;
  description: string;
  files: number;
  dirs: number;
  contentBytes: number;
  generateSeconds: number;
  target: { kind: string; note: string };
  airgapFormat: number;
  changes: WeekChange[];
  tools: ToolResult[];
  missingTools: string[];
  derived: Derived[];
  targets: TargetResult[];
}

const TB = 1e12;
const SOURCE = 500e9;

export const FORMULA =
  'snapshots on 1 TB = (1 TB − F × 500 GB / B) / (W × 500 GB / B) + 1, rounded down; F = bytes the first (full) backup added to the target, W = median bytes added per weekly snapshot, B = the set\'s source bytes';

/** The extrapolation of FORMULA; null when a weekly snapshot adds nothing (no bound). */
export function snapshotsOn1TB(firstBytes: number, weeklyBytes: number, sourceBytes: number): number | null {
  const k = SOURCE / sourceBytes;
  if (firstBytes * k > TB) return 0;
  if (weeklyBytes <= 0) return null;
  return (TB - firstBytes * k) / (weeklyBytes * k) + 1;
}

function orNull(xs: (number | null)[], f: (v: number[]) => number): number | null {
  const v = xs.filter((x): x is number => x != null);
  return v.length ? f(v) : null;
}

function derive(t: ToolResult, sourceBytes: number): Derived {
  const [first, ...weeks] = t.snapshots;
  const added = weeks.map((s) => s.addedBytes);
  const weeklyAddedBytes = median(added);
  return {
    tool: t.key,
    firstSeconds: first!.seconds,
    firstCpuSeconds: first!.cpuSeconds,
    firstPeakRssMb: first!.peakRssMb,
    firstBytes: first!.addedBytes,
    weeklySeconds: median(weeks.map((s) => s.seconds)),
    weeklyCpuSeconds: orNull(weeks.map((s) => s.cpuSeconds), median),
    weeklyPeakRssMb: orNull(weeks.map((s) => s.peakRssMb), (v) => Math.max(...v)),
    weeklyAddedBytes,
    weeklyAddedMin: Math.min(...added),
    weeklyAddedMax: Math.max(...added),
    snapshotsOn1TB: snapshotsOn1TB(first!.addedBytes, weeklyAddedBytes, sourceBytes),
  };
}

/** The issue's targets: airgap against restic, measured side by side in this run. */
function targets(key: string, d: Derived[]): TargetResult[] {
  const airgap = d.find((x) => x.tool === 'airgap')!;
  const restic = d.find((x) => x.tool === 'restic');
  const ratio = (f: (x: Derived) => number): number | null => (restic && f(restic) > 0 ? Math.round((f(airgap) / f(restic)) * 1000) / 1000 : null);
  const note = restic ? undefined : 'restic not installed';
  const atMost = (name: string, value: number | null, limit: number): TargetResult => ({ name, target: `≤ ${limit}`, value, met: value == null ? null : value <= limit, ...(note ? { note } : {}) });
  const out = [atMost('weekly backup time / restic', ratio((x) => x.weeklySeconds), 0.5)];
  const bytes = ratio((x) => x.weeklyAddedBytes);
  if (key === 'M') out.push({ name: 'bytes added per week / restic', target: '–', value: bytes, met: null, note: 'no target for this set' });
  else out.push(atMost('bytes added per week / restic', bytes, 2));
  const fit = airgap.snapshotsOn1TB;
  out.push({ name: 'airgap snapshots of 500 GB on 1 TB', target: '≥ 30', value: fit == null ? null : Math.floor(fit), met: fit == null ? true : fit >= 30, ...(fit == null ? { note: 'unbounded: weekly snapshots added nothing' } : {}) });
  out.push(atMost('first full backup time / restic', ratio((x) => x.firstSeconds), 0.7));
  return out;
}

export function deriveSetResult(r: Omit<SetResult, 'derived' | 'targets'>): SetResult {
  const derived = r.tools.map((t) => derive(t, r.contentBytes));
  return { ...r, derived, targets: targets(r.key, derived) };
}

// ---------------------------------------------------------------------------------------------

const num = (x: number | null, digits: number): string => (x == null ? '?' : x.toFixed(digits));

export function setHeading(s: SetResult): string {
  return `(${s.key}) ${s.name}: ${s.description} — ${s.files.toLocaleString('en-US')} files, ${s.dirs.toLocaleString('en-US')} folders, ${mb(s.contentBytes)} MB`;
}

export function backupTable(s: SetResult): string {
  const rows = s.derived.map((d) => {
    const label = s.tools.find((t) => t.key === d.tool)!.label;
    const fit = d.snapshotsOn1TB == null ? '∞' : String(Math.floor(d.snapshotsOn1TB));
    return [
      label,
      d.firstSeconds.toFixed(2),
      num(d.firstCpuSeconds, 2),
      num(d.firstPeakRssMb, 1),
      d.weeklySeconds.toFixed(2),
      num(d.weeklyCpuSeconds, 2),
      num(d.weeklyPeakRssMb, 1),
      mb(d.firstBytes),
      `${mb(d.weeklyAddedBytes)} (${mb(d.weeklyAddedMin)}–${mb(d.weeklyAddedMax)})`,
      fit,
    ];
  });
  const header = ['tool', 'first s', 'first CPU s', 'first RSS MB', 'weekly s (median)', 'weekly CPU s', 'weekly RSS MB', 'first MB added', 'weekly MB added (median, min–max)', '500 GB snapshots on 1 TB'];
  return markdownTable(header, rows, [false, true, true, true, true, true, true, true, true, true]);
}

export function checkTable(s: SetResult): string {
  const rows = s.tools.map((t) => [
    t.label,
    t.verifyLabel,
    t.verify ? t.verify.seconds.toFixed(2) : '–',
    t.verify ? num(t.verify.peakRssMb, 1) : '–',
    t.restoreLabel,
    t.restore.seconds.toFixed(2),
    num(t.restore.peakRssMb, 1),
    t.restoreMatches ? 'yes' : 'NO',
  ]);
  return markdownTable(['tool', 'full verify', 'verify s', 'verify RSS MB', 'restore of the newest', 'restore s', 'restore RSS MB', 'restored = source'], rows, [false, false, true, true, false, true, true, false]);
}

export function weeklyTargetsTable(s: SetResult): string {
  const rows = s.targets.map((t) => [t.name, t.target, t.value == null ? '–' : Number.isInteger(t.value) ? String(t.value) : t.value.toFixed(2), t.met == null ? (t.note ?? 'n/a') : t.met ? 'met' : 'missed']);
  return markdownTable(['target (airgap)', 'goal', 'measured', ''], rows, [false, false, true, false]);
}

export function changesLine(s: SetResult): string {
  const weeks = s.changes.map((c) => `${c.modified} modified, ${c.added} added, ${c.deleted} deleted${c.inPlaceBytes ? `, ${mb(c.inPlaceBytes)} MB edited in place` : ''} (${((100 * c.bytesWritten) / s.contentBytes).toFixed(2)} % of the set written)`);
  return `Weekly change: ${weeks.map((w, i) => `week ${i + 1}: ${w}`).join('; ')}.`;
}

export function setReport(s: SetResult): string {
  const notes = [`Target: ${s.target.note}.`, changesLine(s)];
  if (s.airgapFormat === 1) notes.push('airgap writes on-drive format 1: every weekly snapshot is a full copy.');
  if (s.missingTools.length) notes.push(`Not installed: ${s.missingTools.join(', ')} (apt-get install -y restic borgbackup).`);
  return [`### ${setHeading(s)}`, notes.join('\n'), backupTable(s), checkTable(s), weeklyTargetsTable(s), `_${FORMULA}; B = ${mb(s.contentBytes)} MB here._`].join('\n\n');
}
