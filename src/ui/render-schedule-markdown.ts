// The rotation schedule as Markdown: the same checklist as tables, for a wiki or a README.
import type { Schedule } from '../core/schedule.js';
import { airGapRules, describeScheme, driveOf, othersPhrase, prunePhrase, rangeLine, returnPhrase, weekdayName, whereKept } from './schedule-phrases.js';

/** Backslash-escapes the Markdown that could break a table cell or change emphasis. */
function md(text: string): string {
  return text.replace(/\r\n|[\r\n]/g, ' ').replace(/[\\`*_[\]<>|~&#]/g, '\\$&');
}

export function renderScheduleMarkdown(s: Schedule): string {
  const out: string[] = ['# airgap rotation schedule', '', `${rangeLine(s)}.`, '', `**How it works:** ${md(describeScheme(s))}.`, ''];
  if (s.drives.length) {
    out.push('| Drive | Kept |', '| --- | --- |');
    for (const d of s.drives) out.push(`| **${md(d.name)}** | ${md(whereKept(d))} |`);
    out.push('');
  }
  for (const w of s.warnings) out.push(`> **Warning:** ${md(w)}`, '');
  if (s.rows.length === 0) out.push(`No backup day falls between ${s.from} and ${s.until}.`, '');
  else {
    out.push('| Done | Date | Bring and connect | Receives the snapshot of | Keep away | Afterwards |', '| --- | --- | --- | --- | --- | --- |');
    for (const row of s.rows) {
      const d = driveOf(s, row.drive);
      const from = d?.role === 'offsite' ? ` (from ${md(d.location ?? 'offsite')})` : '';
      const after = [prunePhrase(row).replace(/^then /, ''), returnPhrase(s, row).replace(/^then /, '')].filter(Boolean).map(md).join('; ');
      out.push(`| [ ] | ${weekdayName(row.date)} ${row.date} | **${md(row.drive)}**${from} | ${row.snapshot} | ${md(othersPhrase(row))} | ${after} |`);
    }
    out.push('');
  }
  out.push('**The air gap:**', '');
  for (const r of airGapRules(s)) out.push(`- ${md(r)}`);
  out.push('- Tick each line when it is done.');
  return out.join('\n') + '\n';
}
