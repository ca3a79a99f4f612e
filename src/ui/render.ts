// Pure renderers: data in, text out. No I/O, so every screen can be tested exactly.
import prettyBytes from 'pretty-bytes';
import type { SnapshotMeta, SourceProblem } from '../core/format.js';
import { escapeField } from '../core/manifest.js';

export const bytes = (n: number) => prettyBytes(n, { maximumFractionDigits: 1 });

export function renderProblems(problems: SourceProblem[], limit = 50): string {
  if (problems.length === 0) return '';
  // Paths escaped like MANIFEST.tsv: a newline in a name must not forge a second line.
  const lines = problems.slice(0, limit).map((p) => `  ${p.kind.padEnd(10)} ${escapeField(p.path)}: ${p.message}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more (see --json)`);
  return `${problems.length} path(s) not backed up as they were:\n${lines.join('\n')}\n`;
}

export function renderBackupSummary(meta: SnapshotMeta, dir: string, seconds: number): string {
  const c = meta.counts;
  const rate = seconds > 0 ? ` (${bytes(meta.bytes.tarball / seconds)}/s)` : '';
  return [
    `Snapshot ${meta.id} written to drive ${meta.drive.name}`,
    `  ${c.files} files, ${c.dirs} folders, ${c.symlinks} symlinks, ${c.hardlinks} hard links · ${bytes(meta.bytes.content)} of content`,
    `  tarball ${bytes(meta.bytes.tarball)} in ${seconds.toFixed(1)} s${rate}`,
    `  sha256 ${meta.tarball.sha256}`,
    `  ${dir}`,
    '',
  ].join('\n');
}

export interface ListRow {
  id: string;
  state: 'complete' | 'incomplete' | 'damaged';
  createdAt?: string;
  files?: number;
  bytes?: number;
  problems?: number;
  note?: string;
}

export function renderList(drive: { name: string; path: string }, rows: ListRow[], leftovers: string[]): string {
  const out = [`Drive ${drive.name} (${drive.path})`];
  if (rows.length === 0) out.push('  no snapshots yet');
  else {
    out.push(`  ${'SNAPSHOT'.padEnd(22)} ${'STATE'.padEnd(10)} ${'FILES'.padStart(8)} ${'SIZE'.padStart(10)}  NOTE`);
    for (const r of rows) {
      out.push(`  ${r.id.padEnd(22)} ${r.state.padEnd(10)} ${(r.files?.toString() ?? '-').padStart(8)} ${(r.bytes !== undefined ? bytes(r.bytes) : '-').padStart(10)}  ${r.note ?? ''}`.trimEnd());
    }
  }
  for (const l of leftovers) out.push(`  (${l}: unfinished backup, not a snapshot; the next backup removes it)`);
  return out.join('\n') + '\n';
}
