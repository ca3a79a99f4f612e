// Result types of the backup benchmark and their rendering as Markdown tables (printed, and
// pasted as they are into docs/performance.md).

export interface RunRecord {
  seconds: number;
  /** Peak RSS in MB (10^6 bytes), or null when it could not be measured. */
  peakRssMb: number | null;
  /** User + system CPU seconds of the command and the children it waited for (GNU time only). */
  cpuSeconds?: number | null;
}

export interface Ratio {
  /** Key of the reference command. */
  reference: string;
  referenceLabel: string;
  /** This command's median time over the reference's median time. */
  value: number;
}

export interface CommandResult {
  key: string;
  label: string;
  group: 'backup' | 'verify' | 'restore';
  status: 'ok' | 'not installed';
  argv?: string[];
  warmup?: RunRecord;
  runs: RunRecord[];
  medianSeconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  /** The largest peak RSS of the timed runs, MB. */
  peakRssMb?: number | null;
  /** Size of x.tar over the median time, MB/s. */
  mbPerSecond?: number;
  ratios: Ratio[];
}

export interface TargetResult {
  name: string;
  /** e.g. "≤ 1.25" */
  target: string;
  value: number | null;
  met: boolean | null;
  note?: string;
}

export interface DatasetResult {
  key: string;
  name: string;
  description: string;
  files: number;
  dirs: number;
  symlinks: number;
  contentBytes: number;
  tarBytes: number;
  generateSeconds: number;
  results: CommandResult[];
  targets: TargetResult[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1);
}

export function markdownTable(header: string[], body: string[][], right: boolean[]): string {
  // A literal | inside a cell would end it.
  const rows = body.map((r) => r.map((cell) => cell.replace(/\|/g, '\\|')));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (right[c] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function datasetHeading(d: DatasetResult): string {
  const parts = [`${d.files.toLocaleString('en-US')} files`, `${d.dirs.toLocaleString('en-US')} folders`];
  if (d.symlinks) parts.push(`${d.symlinks} symlinks`);
  return `(${d.key}) ${d.name}: ${d.description} — ${parts.join(', ')}, ${mb(d.contentBytes)} MB of content, x.tar ${mb(d.tarBytes)} MB`;
}

export function resultsTable(d: DatasetResult): string {
  const rows = d.results.map((r) => {
    if (r.status !== 'ok') return [r.label, r.status, '', '', '', ''];
    return [
      r.label,
      r.medianSeconds!.toFixed(3),
      `${r.minSeconds!.toFixed(2)}–${r.maxSeconds!.toFixed(2)}`,
      r.ratios.map((x) => `${x.value.toFixed(2)}× ${x.referenceLabel}`).join(', '),
      r.mbPerSecond!.toFixed(0),
      r.peakRssMb == null ? '?' : r.peakRssMb.toFixed(1),
    ];
  });
  return markdownTable(['command', 'median s', 'min–max s', 'ratio (time)', 'MB/s', 'peak RSS MB'], rows, [false, true, true, false, true, true]);
}

export function targetsTable(d: DatasetResult): string {
  const rows = d.targets.map((t) => [
    t.name,
    t.target,
    t.value == null ? '–' : t.value.toFixed(2),
    t.met == null ? (t.note ?? 'n/a') : t.met ? 'met' : 'missed',
  ]);
  return markdownTable(['target', 'goal', 'measured', ''], rows, [false, false, true, false]);
}
