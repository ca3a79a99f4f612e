// Pure renderers: data in, text out. No I/O, so every screen can be tested exactly.
import type { ListedDrive, ListRow } from '../jobs/list.js';
import { humanBytes } from '../core/human-bytes.js';
import type { SnapshotMeta, SourceProblem } from '../layout/format.js';
import { escapeField } from '../layout/manifest.js';
import { plural } from '../core/plural.js';
import { leftoverNote, type RunInProgress } from '../core/status-model.js';

export const bytes = humanBytes;

const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text that came from a drive (snapshot ids, names from SHA256SUMS, member paths, messages that
 * quote them) made safe to print: control characters escaped as MANIFEST.tsv escapes them (\t,
 * \n, \r, \xNN), and C1 controls, bidi controls, zero-width characters, the byte order mark and
 * lone surrogates as \u{…}, so that a file on a drive cannot drive or fool the terminal.
 * Backslashes stay as they are: this is for reading, never parsed back. JSON output keeps the
 * real strings.
 */
export function displayText(s: string): string {
  return s.replace(UNSAFE_TEXT, (c) => {
    const n = c.charCodeAt(0);
    if (n < 0x20 || n === 0x7f) return escapeField(c);
    return `\\u{${n.toString(16).toUpperCase()}}`;
  });
}

export function renderProblems(problems: SourceProblem[], limit = 50): string {
  if (problems.length === 0) return '';
  // Paths escaped like MANIFEST.tsv: a newline in a name must not forge a second line.
  const lines = problems.slice(0, limit).map((p) => `  ${p.kind.padEnd(10)} ${escapeField(p.path)}: ${p.message}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more (see --json)`);
  return `${plural(problems.length, 'path')} not backed up as they were:\n${lines.join('\n')}\n`;
}

export function renderBackupSummary(meta: SnapshotMeta, dir: string, seconds: number): string {
  const c = meta.counts;
  const rate = seconds > 0 ? ` (${bytes(meta.bytes.tarball / seconds)}/s)` : '';
  return [
    `Snapshot ${meta.id} written to drive ${meta.drive.name}`,
    `  ${plural(c.files, 'file')}, ${plural(c.dirs, 'folder')}, ${plural(c.symlinks, 'symlink')}, ${plural(c.hardlinks, 'hard link')} · ${bytes(meta.bytes.content)} of content`,
    ...(meta.kind ? [chainLine(meta)] : []),
    `  tarball ${bytes(meta.bytes.tarball)} in ${seconds.toFixed(1)} s${rate}`,
    `  sha256 ${meta.tarball.sha256}`,
    `  ${dir}`,
    '',
  ].join('\n');
}

/** Format 2 (or 3): a full, or an increment with what it carries from its chain. */
function chainLine(meta: SnapshotMeta): string {
  const carried = meta.carried ?? { files: 0, bytes: 0 };
  const f = meta.formatVersion;
  if (meta.kind === 'full') return `  format ${f}, FULL: starts a chain (its tarball holds every file)`;
  return `  format ${f}, INCREMENTAL on ${meta.base} (chain of ${meta.chain?.length}): ${plural(carried.files, 'unchanged file')} (${bytes(carried.bytes)}) carried from the chain, ${meta.counts.files - carried.files} stored`;
}

export function renderList(drive: { name: string; path: string }, rows: ListRow[], leftovers: string[], warnings: string[] = [], run?: RunInProgress): string {
  const out = [`Drive ${drive.name} (${drive.path})`];
  if (rows.length === 0) out.push('  no snapshots yet');
  else {
    out.push(`  ${'SNAPSHOT'.padEnd(22)} ${'STATE'.padEnd(10)} ${'FILES'.padStart(8)} ${'SIZE'.padStart(10)}  NOTE`);
    for (const r of rows) {
      out.push(`  ${r.id.padEnd(22)} ${r.state.padEnd(10)} ${(r.files?.toString() ?? '-').padStart(8)} ${(r.bytes !== undefined ? bytes(r.bytes) : '-').padStart(10)}  ${r.note ?? ''}`.trimEnd());
    }
  }
  if (run && leftovers.length) out.push(`  (${displayText(leftoverNote(drive.name, leftovers, run))})`);
  else for (const l of leftovers) out.push(`  (${displayText(l)}: unfinished backup, not a snapshot; the next backup removes it)`);
  for (const w of warnings) out.push(`  warning: ${displayText(w)}`);
  return out.join('\n') + '\n';
}

/** One drive of `airgap list`: links and unknown entries under airgap/ are named as such, never followed. */
export function renderListedDrive(d: ListedDrive): string {
  return renderList({ name: d.drive.name, path: d.drive.path }, d.snapshots, d.leftovers.filter((l) => !d.twins.includes(l)), d.warnings, d.inProgress);
}
