// The rotation schedule as a printable HTML page: A4 portrait, one quarter of weekly rows per
// sheet, with a box to tick on each line.
import type { Schedule, ScheduleRow } from '../core/schedule.js';
import { airGapRules, describeScheme, driveOf, prunePhrase, rangeLine, returnPhrase, weekdayName, whereKept } from './schedule-phrases.js';

/** Rows per printed sheet: a quarter of weekly backups. */
const ROWS_PER_SHEET = 13;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `@page { size: A4 portrait; margin: 12mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #000; background: #fff; font: 10pt/1.3 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.sheet { break-after: page; page-break-after: always; }
.sheet:last-child { break-after: auto; page-break-after: auto; }
@media screen {
  body { background: #e8e8e8; }
  .sheet { width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 12mm 14mm; background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
}
header { margin-bottom: 4mm; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
.range { font-size: 10pt; margin: 0 0 1.5mm; }
.how { margin: 0 0 1.5mm; }
.legend { margin: 0; padding: 0; list-style: none; }
.legend li { display: inline-block; margin-right: 6mm; }
.legend b { font-size: 12pt; }
.warning { border: 1pt solid #000; padding: 1.5mm 2mm; margin: 2mm 0 0; font-weight: 600; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; }
th { text-align: left; font-size: 8pt; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; padding: 1mm 2mm; border-bottom: 1.5pt solid #000; }
td { height: 15mm; padding: .5mm 2mm; border-bottom: .5pt solid #888; vertical-align: middle; }
tr { break-inside: avoid; page-break-inside: avoid; }
col.c-done { width: 14mm; } col.c-date { width: 31mm; } col.c-drive { width: 50mm; } col.c-away { width: 45mm; }
.tick { display: inline-block; width: 7mm; height: 7mm; border: 1.5pt solid #000; background: #fff; vertical-align: middle; }
.weekday { display: block; font-size: 8pt; text-transform: uppercase; letter-spacing: .04em; }
.date { font-size: 11pt; font-weight: 600; white-space: nowrap; }
.drive { display: block; font-size: 20pt; font-weight: 800; line-height: 1; overflow-wrap: anywhere; }
.note { display: block; font-size: 7.5pt; line-height: 1.25; }
.away, .after { font-size: 9pt; }
.away b { font-size: 10.5pt; }
footer { margin-top: 4mm; font-size: 9pt; }
footer h2 { font-size: 10pt; margin: 0 0 1mm; }
footer ul { margin: 0; padding-left: 5mm; }
.empty { font-size: 12pt; margin: 8mm 0; }
`;

function htmlRow(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  const from = d?.role === 'offsite' ? `<span class="note">bring back from ${escapeHtml(d.location ?? 'offsite')}</span>` : '';
  const away = [
    ...row.offsite.map((n) => `<b>${escapeHtml(n)}</b> offsite`),
    ...row.offline.map((n) => `<b>${escapeHtml(n)}</b> offline`),
  ].join('<br>') || 'no other drive';
  const after = [prunePhrase(row).replace(/^then /, ''), returnPhrase(s, row).replace(/^then /, '')].filter(Boolean).map(escapeHtml).join('<br>');
  return [
    '<tr>',
    '<td><span class="tick"></span></td>',
    `<td><span class="weekday">${weekdayName(row.date)}</span><span class="date">${escapeHtml(row.date)}</span></td>`,
    `<td><span class="drive">${escapeHtml(row.drive)}</span>${from}<span class="note">snapshot of ${escapeHtml(row.snapshot)}</span></td>`,
    `<td class="away">${away}</td>`,
    `<td class="after">${after}</td>`,
    '</tr>',
  ].join('');
}

function htmlSheet(s: Schedule, rows: ScheduleRow[], index: number, sheets: number): string {
  const out: string[] = ['<section class="sheet">', '<header>', '<h1>airgap rotation schedule</h1>'];
  const part = sheets > 1 && rows.length
    ? `Sheet ${index + 1} of ${sheets}: ${escapeHtml(rows[0]!.date)} to ${escapeHtml(rows.at(-1)!.date)} · whole schedule ${escapeHtml(rangeLine(s))}`
    : escapeHtml(rangeLine(s));
  out.push(`<p class="range">${part}</p>`, `<p class="how"><b>How it works:</b> ${escapeHtml(describeScheme(s))}.</p>`);
  if (s.drives.length) {
    out.push(`<ul class="legend">${s.drives.map((d) => `<li><b>${escapeHtml(d.name)}</b> ${escapeHtml(whereKept(d))}</li>`).join('')}</ul>`);
  }
  if (index === 0) for (const w of s.warnings) out.push(`<p class="warning">Warning: ${escapeHtml(w)}</p>`);
  out.push('</header>');
  if (rows.length === 0) out.push(`<p class="empty">No backup day falls between ${escapeHtml(s.from)} and ${escapeHtml(s.until)}.</p>`);
  else {
    out.push(
      '<table>',
      '<colgroup><col class="c-done"><col class="c-date"><col class="c-drive"><col class="c-away"><col class="c-after"></colgroup>',
      '<thead><tr><th>Done</th><th>Date</th><th>Bring and connect</th><th>Keep away</th><th>Afterwards</th></tr></thead>',
      '<tbody>',
      ...rows.map((r) => htmlRow(s, r)),
      '</tbody>',
      '</table>',
    );
  }
  out.push('<footer>', '<h2>The air gap</h2>', '<ul>');
  for (const r of airGapRules(s)) out.push(`<li>${escapeHtml(r)}</li>`);
  out.push('<li>Tick the box of each line when it is done.</li>', '</ul>', '</footer>', '</section>');
  return out.join('\n');
}

export function renderScheduleHtml(s: Schedule): string {
  const sheets: ScheduleRow[][] = [];
  for (let i = 0; i < s.rows.length; i += ROWS_PER_SHEET) sheets.push(s.rows.slice(i, i + ROWS_PER_SHEET));
  if (sheets.length === 0) sheets.push([]);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>airgap rotation schedule ${escapeHtml(s.from)} to ${escapeHtml(s.until)}</title>`,
    '<style>',
    CSS.trimEnd(),
    '</style>',
    '</head>',
    '<body>',
    ...sheets.map((rows, i) => htmlSheet(s, rows, i, sheets.length)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
