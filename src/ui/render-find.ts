// The find job's result in words: one line per match, how to restore one, and (on stderr) the
// manifests that could not be read, which make "no match" untrustworthy.
import type { FindResult } from '../jobs/find.js';
import { bytes, displayText } from './render.js';
import { plural } from '../core/plural.js';

export function renderFind(r: FindResult): string {
  const out: string[] = [];
  if (r.found.length === 0) {
    const where = r.allSnapshots ? plural(r.searched.length, 'snapshot') : `the latest snapshot${r.searched[0] ? ` (${r.searched[0]})` : ''}`;
    out.push(`No match for ${JSON.stringify(r.pattern)} in ${where} of drive ${r.drive}.${r.allSnapshots ? '' : ' Try --all-snapshots.'}`);
  }
  for (const f of r.found) {
    // Format 2: the tarball a restore of the file reads (its content may be in an earlier snapshot's).
    const blocks = f.blocksIn?.length ? `, its changed blocks in ${f.blocksIn.join(', ')}` : '';
    // Format 3 names the stored file too: `<ID>.tar.gz`, not the `<ID>.tar` a reader would look for.
    const where = f.in === undefined ? '' : `  (in tarball ${f.in}${f.tarball ? `: ${displayText(f.tarball)}` : ''}${blocks})`;
    const mark = r.rejected?.includes(f.snapshot) ? '  SUSPECT (rejected)' : r.suspect.includes(f.snapshot) ? '  SUSPECT' : '';
    out.push(`${f.snapshot}${mark}  ${new Date(f.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ')}  ${bytes(f.size).padStart(9)}  ${f.sha256?.slice(0, 12) ?? (f.type === 'symlink' ? 'symlink     ' : '')}  ${displayText(f.path)}${where}`);
  }
  // A command that runs as printed (the first match, into a new folder), not one with <id> and
  // <path> to fill in: a newcomer copied the placeholders as they were. The path is not last, so
  // that only match lines end with a path.
  // Never a SUSPECT snapshot's copy, when another match exists: it may be a ransomware event's.
  const first = r.found.find((f) => !r.suspect.includes(f.snapshot)) ?? r.found[0];
  const open = r.suspect.filter((id) => !r.rejected?.includes(id));
  const older = r.allSnapshots ? '' : ' (older snapshots: --all-snapshots)';
  if (open.length) out.push(`SUSPECT: ${open.join(', ')}: mass changes that look like ransomware or a broken sync, not accepted; its files may be the damaged ones${older}`);
  if (r.rejected?.length) out.push(`SUSPECT (rejected): ${r.rejected.join(', ')}: kept as evidence of mass changes; its files are likely the damaged ones${older}`);
  if (first) out.push(`Restore the first one with: airgap restore ${r.drive} ${shellQuote(displayText(first.path))} --snapshot ${first.snapshot} --to ~/restored`, '  (--to: a new or empty folder; for another match, put its snapshot and path instead)');
  if (r.truncated) out.push('(only the first 1000 matches are shown)');
  return out.map((l) => l + '\n').join('');
}

/** For stderr: each unreadable manifest as an error, and what to do. Empty when all were read. */
/** A word for a POSIX shell: single-quoted unless plainly safe ('\\'' for a quote inside). */
const shellQuote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

export function renderFindProblems(r: FindResult): string {
  if (r.problems.length === 0) return '';
  const lines = r.problems.map((u) => `error: ${u.file} of snapshot ${u.snapshot} on drive ${r.drive} is damaged or unreadable: ${displayText(u.message)}`);
  lines.push(`hint: run airgap verify ${r.drive} --deep; look for the file on your other drives too: airgap find NAME ${shellQuote(displayText(r.pattern))} --all-snapshots, with NAME each drive's name (airgap status lists them)`);
  return lines.join('\n') + '\n';
}
