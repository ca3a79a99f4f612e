// The printed rotation schedule (core/schedule.ts) in five forms: plain text, Markdown, a
// printable A4 HTML page, an iCalendar file (RFC 5545) and JSON. Pure: the clock (`generatedAt`)
// and the UID domain are parameters, so every output can be compared byte for byte.
import { addDays, weekdayOf } from '../core/calendar.js';
import type { Schedule, ScheduleRow } from '../core/schedule.js';

type Drive = Schedule['drives'][number];

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const weekdayName = (date: string) => WEEKDAY_NAMES[weekdayOf(date)]!;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** The rotation scheme in plain words. */
export function describeScheme(s: Schedule): string {
  const names = s.drives.map((d) => d.name);
  if (s.scheme === 'round-robin') {
    return names.length > 1
      ? `round robin. The drives take turns in a fixed order: ${names.join(', ')}, then ${names[0]} again`
      : 'round robin. The drives take turns in a fixed order';
  }
  if (s.scheme === 'hanoi') {
    // Mirrors policy.driveIndexForSlot: drive i gets every 2^(i+1)-th backup, the last two every 2^(n-1)-th.
    const every = names.map((n, i) => {
      const period = 2 ** Math.min(i + 1, Math.max(0, names.length - 1));
      return `${n} every ${period === 1 ? 'time' : `${ordinal(period)} time`}`;
    });
    return `Tower of Hanoi. Some drives are used more often than others, so older copies reach further back${every.length ? `: ${every.join(', ')}` : ''}`;
  }
  if (s.scheme === 'oldest-first') return 'oldest first. Each time, the drive holding the oldest copy is brought up to date';
  return s.scheme;
}

const driveOf = (s: Schedule, name: string): Drive | undefined => s.drives.find((d) => d.name === name);

/** Where a drive lives, e.g. "offsite (office)", "at home". */
function whereKept(d: Drive): string {
  const base = d.role === 'offsite' ? 'offsite' : d.role === 'home' ? 'at home' : d.role;
  return d.location ? `${base} (${d.location})` : base;
}

/** "B offsite, C offline": where the other drives must be while the row's drive is written. */
function othersPhrase(row: ScheduleRow): string {
  const parts = [...row.offsite.map((n) => `${n} offsite`), ...row.offline.map((n) => `${n} offline`)];
  return parts.length ? parts.join(', ') : 'no other drive';
}

function prunePhrase(row: ScheduleRow): string {
  return row.prune.length ? `then removes ${plural(row.prune.length, 'old snapshot')} (${row.prune.join(', ')})` : '';
}

/** What to say about bringing the row's drive, e.g. "bring B back from office". */
function bringPhrase(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  if (d?.role === 'offsite') return `bring ${row.drive} back from ${d.location ?? 'offsite'}`;
  return `bring ${row.drive}`;
}

/** After an offsite drive's turn, it goes away again. */
function returnPhrase(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  return d?.role === 'offsite' ? `then take ${row.drive} back ${d.location ? `to ${d.location}` : 'offsite'}` : '';
}

function airGapRules(s: Schedule): string[] {
  const offsite = s.drives.filter((d) => d.role === 'offsite');
  const away = offsite.length
    ? `Offsite drives stay away (${offsite.map((d) => (d.location ? `${d.name}: ${d.location}` : d.name)).join('; ')}) and come back only on their own day.`
    : 'Offsite drives stay away and come back only on their own day.';
  return [
    'Only one drive connected at a time: the one named for the day.',
    'The others unplugged ("offline"), never connected while it is written.',
    away,
  ];
}

const rangeLine = (s: Schedule) => `${s.from} to ${s.until}, ${plural(s.rows.length, 'backup')}`;

// ---------------------------------------------------------------------------------------------
// Plain text

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

// ---------------------------------------------------------------------------------------------
// Markdown

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

// ---------------------------------------------------------------------------------------------
// Printable HTML (A4 portrait, one quarter of weekly rows per sheet)

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

// ---------------------------------------------------------------------------------------------
// iCalendar (RFC 5545)

/** TEXT value escaping (RFC 5545 §3.3.11); control characters other than tab are not allowed. */
export function escapeIcsText(text: string): string {
  return text
    .replace(/[\\;,]/g, '\\$&')
    .replace(/\r\n|[\r\n]/g, '\\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

const utf8Length = (cp: number) => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/** Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 sequence. */
export function foldIcsLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = utf8Length(ch.codePointAt(0)!);
    if (octets + n > 75) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join('\r\n');
}

const icsDate = (date: string) => date.replaceAll('-', '');
const icsStamp = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

function icsDescription(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  const others = [
    ...row.offsite.map((n) => { const o = driveOf(s, n); return `${n} offsite${o?.location ? ` (${o.location})` : ''}`; }),
    ...row.offline.map((n) => `${n} offline (unplugged)`),
  ];
  const lines = [
    d?.role === 'offsite'
      ? `Bring drive ${row.drive} back from ${d.location ?? 'offsite'} and connect it alone: it receives the snapshot of ${row.snapshot}.`
      : `Connect drive ${row.drive} alone: it receives the snapshot of ${row.snapshot}.`,
    `Meanwhile: ${others.length ? others.join(', ') : 'no other drive'}.`,
  ];
  if (row.prune.length) lines.push(`Afterwards airgap removes ${plural(row.prune.length, 'old snapshot')} from ${row.drive} (${row.prune.join(', ')}).`);
  if (d?.role === 'offsite') lines.push(`Then take ${row.drive} back ${d.location ? `to ${d.location}` : 'offsite'}.`);
  lines.push('The air gap: only one drive connected at a time; the others unplugged; offsite drives stay away.');
  return lines.join('\n');
}

export function renderScheduleIcs(s: Schedule, generatedAt: Date, uidDomain: string): string {
  const stamp = icsStamp(generatedAt);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//airgap//rotation schedule//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'X-WR-CALNAME:airgap rotation',
  ];
  for (const row of s.rows) {
    const d = driveOf(s, row.drive);
    const alarm = d?.role === 'offsite'
      ? `Tomorrow: connect airgap drive ${row.drive} (bring it back from ${d.location ?? 'offsite'})`
      : `Tomorrow: connect airgap drive ${row.drive}`;
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeIcsText(`${row.date}-${row.drive}@${uidDomain}`)}`,
      `DTSTAMP:${stamp}`,
      `DTSTART;VALUE=DATE:${icsDate(row.date)}`,
      `DTEND;VALUE=DATE:${icsDate(addDays(row.date, 1))}`,
      `SUMMARY:${escapeIcsText(`airgap: connect drive ${row.drive}`)}`,
      `DESCRIPTION:${escapeIcsText(icsDescription(s, row))}`,
      'TRANSP:TRANSPARENT',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      // All-day events start at local midnight: 9 hours before is 15:00 the day before.
      'TRIGGER:-PT9H',
      `DESCRIPTION:${escapeIcsText(alarm)}`,
      'END:VALARM',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldIcsLine).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// JSON

export function renderScheduleJson(s: Schedule): string {
  return JSON.stringify(s, null, 2) + '\n';
}
