// The words every form of the printed rotation schedule shares (render-schedule.ts): how the
// scheme works, where each drive is kept, what to bring, keep away and do afterwards on a day.
// One source for the phrases, so that the text, Markdown, HTML and iCalendar forms never disagree.
import { weekdayOf } from '../core/calendar.js';
import type { Schedule, ScheduleRow } from '../core/schedule.js';

type Drive = Schedule['drives'][number];

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const weekdayName = (date: string) => WEEKDAY_NAMES[weekdayOf(date)]!;

import { plural } from '../core/plural.js';
export { plural };

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

export const driveOf = (s: Schedule, name: string): Drive | undefined => s.drives.find((d) => d.name === name);

/** Where a drive lives, e.g. "offsite (office)", "at home". */
export function whereKept(d: Drive): string {
  const base = d.role === 'offsite' ? 'offsite' : d.role === 'home' ? 'at home' : d.role;
  return d.location ? `${base} (${d.location})` : base;
}

/** "B offsite, C offline": where the other drives must be while the row's drive is written. */
export function othersPhrase(row: ScheduleRow): string {
  const parts = [...row.offsite.map((n) => `${n} offsite`), ...row.offline.map((n) => `${n} offline`)];
  return parts.length ? parts.join(', ') : 'no other drive';
}

export function prunePhrase(row: ScheduleRow): string {
  return row.prune.length ? `then removes ${plural(row.prune.length, 'old snapshot')} (${row.prune.join(', ')})` : '';
}

/** What to say about bringing the row's drive, e.g. "bring B back from office". */
export function bringPhrase(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  if (d?.role === 'offsite') return `bring ${row.drive} back from ${d.location ?? 'offsite'}`;
  return `bring ${row.drive}`;
}

/** After an offsite drive's turn, it goes away again. */
export function returnPhrase(s: Schedule, row: ScheduleRow): string {
  const d = driveOf(s, row.drive);
  return d?.role === 'offsite' ? `then take ${row.drive} back ${d.location ? `to ${d.location}` : 'offsite'}` : '';
}

export function airGapRules(s: Schedule): string[] {
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

export const rangeLine = (s: Schedule) => `${s.from} to ${s.until}, ${plural(s.rows.length, 'backup')}`;
