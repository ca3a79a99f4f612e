// `airgap log`: the run history, newest first, one line per run — when (UTC), command, drive,
// outcome, exit code, and a few figures (or the error that ended the run).
import type { LoggedRun, LogResult } from '../jobs/log.js';
import { plural } from '../core/plural.js';
import { bytes, displayText } from './render.js';

const MAX_DRIVE_WIDTH = 20;
const MAX_ERROR_CHARS = 100;

const clip = (s: string, n: number) => (Array.from(s).length <= n ? s : `${Array.from(s).slice(0, n - 1).join('')}…`);

/** The figures worth a glance: files, bytes, snapshots checked, what was damaged or pruned, the time. */
export function runFigures(r: LoggedRun): string {
  const f = r.figures ?? {};
  const parts: string[] = [];
  if (f.snapshots !== undefined) parts.push(plural(f.snapshots, 'snapshot'));
  if (f.files !== undefined) parts.push(plural(f.files, 'file'));
  if (f.bytes !== undefined) parts.push(bytes(f.bytes));
  if (f.damaged) parts.push(`${f.damaged} damaged`);
  if (f.pruned !== undefined && (f.pruned > 0 || r.command === 'prune')) parts.push(`${f.pruned} pruned`);
  if (f.seconds !== undefined && !r.error) parts.push(`${f.seconds} s`);
  const text = parts.join(', ');
  if (!r.error) return text;
  const error = `${r.error.code}: ${clip(r.error.message, MAX_ERROR_CHARS)}`;
  return text ? `${text} · ${error}` : error;
}

export function renderLog(result: LogResult): string {
  if (result.runs.length === 0) return `No runs recorded on this host yet (backup, verify, restore, drill, health, prune, accept, reject and the drive decisions adopt, replace, retire and forget are recorded in ${displayText(result.file)}).\n`;
  const drives = result.runs.map((r) => displayText(clip(r.drive ?? '-', MAX_DRIVE_WIDTH)));
  const driveWidth = Math.max(5, ...drives.map((d) => d.length));
  const outcomeWidth = Math.max(7, ...result.runs.map((r) => displayText(r.outcome).length));
  const commandWidth = Math.max(7, ...result.runs.map((r) => displayText(r.command).length));
  const lines = [`${'When (UTC)'.padEnd(19)}  ${'Command'.padEnd(commandWidth)}  ${'Drive'.padEnd(driveWidth)}  ${'Outcome'.padEnd(outcomeWidth)}  Exit  Figures`];
  result.runs.forEach((r, i) => {
    const when = r.at.slice(0, 19).replace('T', ' ');
    lines.push(`${when.padEnd(19)}  ${displayText(r.command).padEnd(commandWidth)}  ${drives[i]!.padEnd(driveWidth)}  ${displayText(r.outcome).padEnd(outcomeWidth)}  ${String(r.exitCode).padStart(4)}  ${displayText(runFigures(r))}`.trimEnd());
  });
  const more = result.total - result.runs.length;
  if (more > 0) lines.push(`(${plural(more, 'older run')} not shown: --limit <N>)`);
  return lines.join('\n') + '\n';
}
