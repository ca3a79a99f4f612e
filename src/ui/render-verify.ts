import type { DriveReport, SnapshotReport } from '../core/findings.js';
import { bytes, displayText as t } from './render.js';
import { plural } from '../core/plural.js';


export function renderVerifyReport(report: DriveReport, seconds: number): string {
  // Ids, names and messages may quote what a damaged drive holds: escaped (t) before they reach the terminal.
  const out: string[] = [`Verifying drive ${t(report.drive.name)} (${t(report.path)})`];
  if (report.snapshots.length === 0) out.push('  no snapshots to verify');
  for (const s of report.snapshots) out.push(...renderSnapshot(s));
  const twins = new Set((report.driveFindings ?? []).filter((f) => f.code === 'rename-leftover').map((f) => f.file));
  for (const l of report.leftovers) if (!twins.has(l)) out.push(leftoverLine(l, report.inProgress));
  for (const f of report.driveFindings ?? []) out.push(`  ${f.severity === 'damage' ? 'DAMAGE' : f.severity}: ${t(f.message)}`);
  const bad = report.snapshots.filter((s) => s.status !== 'ok').length;
  const lost = (report.driveFindings ?? []).filter((f) => f.severity === 'damage').length;
  const read = report.snapshots.reduce((n, s) => n + s.bytesRead, 0);
  const rate = seconds > 0 ? `, ${bytes(read / seconds)}/s` : '';
  out.push(bad === 0 && lost > 0
    ? `DAMAGED: ${plural(lost, 'problem')} with the drive's snapshots (see above); ${plural(report.snapshots.length, 'snapshot')} verified`
    : bad === 0
    ? `OK: ${plural(report.snapshots.length, 'snapshot')} verified (${bytes(read)} read in ${seconds.toFixed(1)} s${rate})`
    : `DAMAGED: ${bad} of ${plural(report.snapshots.length, 'snapshot')} failed verification`);
  return out.join('\n') + '\n';
}

/** A .partial- or .pruning- folder is a leftover only when no live airgap run holds the drive. */
function leftoverLine(name: string, run: DriveReport['inProgress']): string {
  if (!run) return `  note: ${t(name)} is an unfinished backup (not a snapshot); the next backup removes it`;
  const who = `pid ${run.pid} on ${t(run.host)}, since ${t(run.startedAt)}`;
  return `  note: a ${t(run.command)} is in progress (${who}): ${t(name)} is its unfinished work, not a snapshot; verify again when it is done`;
}

function renderSnapshot(s: SnapshotReport): string[] {
  const what = s.deep ? `deep, ${plural(s.membersChecked ?? 0, 'member')}` : 'checksums';
  const size = s.bytes !== undefined ? `, ${plural(s.files ?? 0, 'file')}, ${bytes(s.bytes)}` : '';
  // A sampled snapshot says how much of it was read: "sampled 12 of 240 files, 3.1 MB".
  const sampled = s.sampled && `sampled ${s.sampled.members} of ${plural(s.sampled.of, 'file')}, ${bytes(s.sampled.bytes)}`;
  const lines = [`  ${t(s.id)}  ${s.status.toUpperCase()} (${sampled ?? what + size})`];
  for (const f of s.findings) {
    const tag = f.severity === 'damage' ? 'DAMAGE' : f.severity === 'warning' ? 'warning' : 'note';
    lines.push(`    ${tag}: ${t(f.message)}`);
    // Format 2: the files of later snapshots whose content is damaged here, as paths to check.
    for (const d of f.dependantFiles ?? []) lines.push(`      ${t(d.snapshot)}  ${t(d.path)}`);
    const more = (f.dependantFilesTotal ?? 0) - (f.dependantFiles?.length ?? 0);
    if (more > 0) lines.push(`      … and ${more} more (--json lists the first ${f.dependantFiles!.length})`);
  }
  return lines;
}
