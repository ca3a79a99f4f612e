// The rotation schedule as plain text: a checklist to print or keep in a terminal, one line a day.
import type { Schedule } from '../core/schedule.js';
import { airGapRules, bringPhrase, describeScheme, othersPhrase, prunePhrase, rangeLine, returnPhrase, weekdayName, whereKept } from './schedule-phrases.js';

export function renderScheduleText(s: Schedule): string {
  const out: string[] = [`airgap rotation schedule: ${rangeLine(s)}`, ''];
  out.push(`How it works: ${describeScheme(s)}.`, '');
  out.push('Drives:');
  if (s.drives.length === 0) out.push('  (none configured)');
  const width = Math.max(0, ...s.drives.map((d) => d.name.length));
  for (const d of s.drives) out.push(`  ${d.name.padEnd(width)}  ${whereKept(d)}`);
  for (const w of s.warnings) out.push(`warning: ${w}`);
  out.push('');
  if (s.rows.length === 0) out.push(`No backup day falls between ${s.from} and ${s.until}.`);
  for (const row of s.rows) {
    const what = [`${bringPhrase(s, row)} and connect it (receives the snapshot of ${row.snapshot})`, prunePhrase(row)].filter(Boolean).join(', ');
    const after = returnPhrase(s, row);
    out.push(`[ ] ${weekdayName(row.date).padEnd(9)} ${row.date}  ${what}; ${othersPhrase(row)}${after ? `; ${after}` : ''}`);
  }
  out.push('', 'The air gap:');
  for (const r of airGapRules(s)) out.push(`  - ${r}`);
  out.push('  - Tick each line when it is done.');
  return out.join('\n') + '\n';
}
