// The rotation schedule as an iCalendar file (RFC 5545): one all-day event per backup day, with
// a reminder the afternoon before, for any calendar application.
import { addDays } from '../core/calendar.js';
import type { Schedule, ScheduleRow } from '../core/schedule.js';
import { driveOf, plural } from './schedule-phrases.js';

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
