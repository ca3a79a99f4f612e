import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/calendar.js';
import type { Retention, RotationDrive, Scheme } from '../../src/core/policy.js';
import { buildSchedule, type Schedule } from '../../src/core/schedule.js';
import {
  escapeIcsText,
  foldIcsLine,
  renderScheduleHtml,
  renderScheduleIcs,
  renderScheduleJson,
  renderScheduleMarkdown,
  renderScheduleText,
} from '../../src/ui/render-schedule.js';

const RETENTION: Retention = { keepLast: 2, daily: 0, weekly: 4, monthly: 3, yearly: 1 };
const FROM = '2026-11-21'; // a Saturday
const GENERATED_AT = new Date('2026-11-01T12:00:00.000Z');
const DOMAIN = 'airgap.example';

function schedule(drives: Omit<RotationDrive, 'retention'>[], from = FROM, until = addDays(FROM, 26 * 7), scheme: Scheme = 'round-robin'): Schedule {
  return buildSchedule({
    policy: {
      drives: drives.map((d) => ({ ...d, retention: RETENTION })),
      cadence: { kind: 'weekdays', days: [6] },
      scheme,
      offline: 1,
      epoch: '2024-01-01',
      alerts: { rotationDays: 30, verifyDays: 90 },
    },
    drives: [],
  }, from, until);
}

const FIXED = schedule([
  { name: 'A', role: 'home' },
  { name: 'B', role: 'offsite', location: 'office' },
  { name: 'C', role: 'home' },
]);

// ------------------------------------------------------------------------------------------
// A small RFC 5545 reader, independent of the renderer.

interface Prop { name: string; params: Record<string, string>; value: string }
interface Component { name: string; props: Prop[]; children: Component[] }

const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l, i, all) => i < all.length - 1 || l !== '');

function parseProp(line: string): Prop {
  let i = 0;
  let quoted = false;
  for (; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) break;
  }
  const [name, ...params] = line.slice(0, i).split(';');
  return {
    name: name!.toUpperCase(),
    params: Object.fromEntries(params.map((p) => { const eq = p.indexOf('='); return [p.slice(0, eq).toUpperCase(), p.slice(eq + 1)]; })),
    value: line.slice(i + 1),
  };
}

function parseIcs(ics: string): Component {
  const root: Component = { name: '', props: [], children: [] };
  const stack = [root];
  for (const line of unfold(ics)) {
    const p = parseProp(line);
    const top = stack.at(-1)!;
    if (p.name === 'BEGIN') {
      const c: Component = { name: p.value, props: [], children: [] };
      top.children.push(c);
      stack.push(c);
    } else if (p.name === 'END') {
      expect(top.name, `END:${p.value} closes ${top.name}`).toBe(p.value);
      stack.pop();
    } else top.props.push(p);
  }
  expect(stack).toHaveLength(1);
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}

const unescapeText = (v: string) => v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
const prop = (c: Component, name: string) => c.props.find((p) => p.name === name);
const octets = (s: string) => Buffer.byteLength(s, 'utf8');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkIcsShape(ics: string, s: Schedule): Component[] {
  expect(ics.endsWith('\r\n')).toBe(true);
  expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF everywhere, no bare CR or LF
  const physical = ics.slice(0, -2).split('\r\n');
  for (const line of physical) {
    expect(octets(line), line).toBeLessThanOrEqual(75);
    expect(line).not.toMatch(LONE_SURROGATE);
  }
  const cal = parseIcs(ics);
  expect(cal.name).toBe('VCALENDAR');
  expect(prop(cal, 'VERSION')?.value).toBe('2.0');
  expect(prop(cal, 'PRODID')?.value).toBeTruthy();
  expect(prop(cal, 'CALSCALE')?.value).toBe('GREGORIAN');
  const events = cal.children.filter((c) => c.name === 'VEVENT');
  expect(events).toHaveLength(s.rows.length);
  const uids = new Set<string>();
  events.forEach((e, i) => {
    const row = s.rows[i]!;
    for (const name of ['UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SUMMARY', 'DESCRIPTION']) expect(prop(e, name), `${row.date} ${name}`).toBeDefined();
    const uid = unescapeText(prop(e, 'UID')!.value);
    expect(uid).toBe(`${row.date}-${row.drive}@${DOMAIN}`);
    uids.add(uid);
    expect(prop(e, 'DTSTAMP')!.value).toMatch(/^\d{8}T\d{6}Z$/);
    const start = prop(e, 'DTSTART')!;
    const end = prop(e, 'DTEND')!;
    expect(start.params.VALUE).toBe('DATE');
    expect(end.params.VALUE).toBe('DATE');
    expect(start.value).toBe(row.date.replaceAll('-', ''));
    const iso = (v: string) => `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`;
    expect(iso(end.value)).toBe(addDays(iso(start.value), 1));
    expect(unescapeText(prop(e, 'SUMMARY')!.value)).toBe(`airgap: connect drive ${row.drive}`);
    const alarms = e.children.filter((c) => c.name === 'VALARM');
    expect(alarms).toHaveLength(1);
    expect(prop(alarms[0]!, 'ACTION')?.value).toBe('DISPLAY');
    expect(prop(alarms[0]!, 'TRIGGER')?.value).toMatch(/^-?P(T\d+[HMS])+$|^-?P\d+D/);
    expect(unescapeText(prop(alarms[0]!, 'DESCRIPTION')?.value ?? '')).toContain(row.drive);
  });
  expect(uids.size).toBe(events.length);
  return events;
}

// ------------------------------------------------------------------------------------------

describe('the fixed schedule', () => {
  it('is the one the golden files were made from', () => {
    expect(FIXED.from).toBe('2026-11-21');
    expect(FIXED.until).toBe('2027-05-22');
    expect(FIXED.rows).toHaveLength(27); // both ends included
    expect(FIXED.rows.map((r) => r.drive).join('')).toBe('ABC'.repeat(9));
  });
});

describe('golden files', () => {
  it('text', async () => {
    await expect(renderScheduleText(FIXED)).toMatchFileSnapshot('../../fixtures/golden/schedule/schedule.txt');
  });
  it('markdown', async () => {
    await expect(renderScheduleMarkdown(FIXED)).toMatchFileSnapshot('../../fixtures/golden/schedule/schedule.md');
  });
  it('html', async () => {
    await expect(renderScheduleHtml(FIXED)).toMatchFileSnapshot('../../fixtures/golden/schedule/schedule.html');
  });
  it('ics', async () => {
    await expect(renderScheduleIcs(FIXED, GENERATED_AT, DOMAIN)).toMatchFileSnapshot('../../fixtures/golden/schedule/schedule.ics');
  });
  it('json', async () => {
    await expect(renderScheduleJson(FIXED)).toMatchFileSnapshot('../../fixtures/golden/schedule/schedule.json');
  });
});

describe('renderScheduleText', () => {
  const text = renderScheduleText(FIXED);
  const lines = text.split('\n');

  it('has a "bring" line for every row, with the weekday, the snapshot and where the others are', () => {
    const bringLines = lines.filter((l) => / bring /.test(l));
    expect(bringLines).toHaveLength(FIXED.rows.length);
    for (const row of FIXED.rows) {
      const line = lines.find((l) => l.includes(` ${row.date} `) && l.includes(`bring ${row.drive}`));
      expect(line, row.date).toBeDefined();
      expect(line).toContain('Saturday');
      expect(line).toContain(`(receives the snapshot of ${row.snapshot})`);
      for (const o of row.offsite) expect(line).toContain(`${o} offsite`);
      for (const o of row.offline) expect(line).toContain(`${o} offline`);
      if (row.prune.length) expect(line).toContain(`then removes ${row.prune.length} old snapshot`);
      else expect(line).not.toContain('removes');
    }
  });

  it('says B offsite, C offline when A is written, and fetches the offsite drive on its day', () => {
    expect(lines.find((l) => l.startsWith('[ ]') && l.includes('2026-11-21'))).toContain('B offsite, C offline');
    expect(lines.find((l) => l.startsWith('[ ]') && l.includes('2026-11-28'))).toContain('bring B back from office');
  });

  it('explains the other schemes in plain words', () => {
    const drives = [{ name: 'A', role: 'home' as const }, { name: 'B', role: 'home' as const }, { name: 'C', role: 'offsite' as const }];
    const hanoi = schedule(drives, FROM, addDays(FROM, 7 * 7), 'hanoi');
    expect(renderScheduleText(hanoi)).toContain('Tower of Hanoi. Some drives are used more often than others, so older copies reach further back: A every 2nd time, B every 4th time, C every 4th time.');
    expect(hanoi.rows.filter((r) => r.drive === 'A')).toHaveLength(4);
    expect(renderScheduleText(schedule(drives, FROM, addDays(FROM, 14), 'oldest-first'))).toContain('oldest first. Each time, the drive holding the oldest copy');
  });

  it('explains the scheme, the drives and the air gap', () => {
    expect(text).toContain('round robin');
    expect(text).toMatch(/B\s+offsite \(office\)/);
    expect(text).toContain('Only one drive connected at a time');
    expect(text).toContain('unplugged');
    expect(text).toContain('Offsite drives stay away');
  });
});

describe('renderScheduleMarkdown', () => {
  it('is a table with one tick per row and a constant number of cells, even with pipes in a location', () => {
    const s = schedule([{ name: 'A', role: 'home' }, { name: 'B|x', role: 'offsite', location: 'office | *safe*' }]);
    const md = renderScheduleMarkdown(s);
    const rows = md.split('\n').filter((l) => l.startsWith('| [ ] |'));
    expect(rows).toHaveLength(s.rows.length);
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length).toBe(8); // 6 cells + the outer pipes
    expect(md).toContain('B\\|x');
    expect(md).toContain('office \\| \\*safe\\*');
  });
});

describe('renderScheduleHtml', () => {
  const html = renderScheduleHtml(FIXED);

  it('contains every date and drive name, one tick box per row', () => {
    for (const row of FIXED.rows) expect(html).toContain(row.date);
    for (const d of FIXED.drives) expect(html).toContain(`<span class="drive">${d.name}</span>`);
    expect(html.match(/class="tick"/g)).toHaveLength(FIXED.rows.length);
    expect(html).toMatch(/\.tick\s*\{[^}]*border:[^}]*\}/);
  });

  it('is a printable A4 page without scripts or external resources', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toMatch(/@page\s*\{[^}]*size:\s*A4 portrait;[^}]*margin:/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\bon\w+=/i);
    expect(html).not.toMatch(/<link|<img|\bsrc=|\bhref=|url\(|@import|https?:/i);
  });

  it('puts at most a quarter of weekly rows (13) on each sheet', () => {
    const sheets = html.split('<section class="sheet">').slice(1);
    expect(sheets).toHaveLength(3);
    expect(sheets.map((s) => s.match(/class="tick"/g)?.length)).toEqual([13, 13, 1]);
  });

  it('escapes names and locations', () => {
    const s = schedule([{ name: 'A', role: 'home' }, { name: 'B<i>', role: 'offsite', location: '<b>&"office"' }], FROM, addDays(FROM, 14));
    const out = renderScheduleHtml(s);
    expect(out).toContain('&lt;b&gt;&amp;&quot;office&quot;');
    expect(out).toContain('B&lt;i&gt;');
    expect(out).not.toContain('<b>&"office"');
    expect(out).not.toContain('<i>');
  });
});

describe('renderScheduleIcs', () => {
  const ics = renderScheduleIcs(FIXED, GENERATED_AT, DOMAIN);

  it('is well-formed RFC 5545 with one event per row', () => {
    const events = checkIcsShape(ics, FIXED);
    expect(prop(events[0]!, 'DTSTAMP')!.value).toBe('20261101T120000Z');
  });

  it('describes where the others are and the pruning', () => {
    const events = parseIcs(ics).children.filter((c) => c.name === 'VEVENT');
    FIXED.rows.forEach((row, i) => {
      const text = unescapeText(prop(events[i]!, 'DESCRIPTION')!.value);
      expect(text).toContain(`receives the snapshot of ${row.snapshot}`);
      for (const o of row.offsite) expect(text).toContain(`${o} offsite`);
      for (const o of row.offline) expect(text).toContain(`${o} offline`);
      if (row.prune.length) expect(text).toContain(`removes ${row.prune.length} old snapshot`);
      expect(text.split('\n').length).toBeGreaterThan(1);
    });
  });

  it('round-trips unicode names and locations with commas, semicolons, backslashes and newlines', () => {
    const name = 'Ünïcødé-日本語-💾';
    const location = 'Büro, 3. Stock; Tresor\\links,\nbei Frau Müller 🗄️ — Schließfach №7';
    const s = schedule([{ name, role: 'home' }, { name: 'B', role: 'offsite', location }, { name: 'C,D;E', role: 'home' }], FROM, addDays(FROM, 21));
    const out = renderScheduleIcs(s, GENERATED_AT, DOMAIN);
    const events = checkIcsShape(out, s);
    expect(out.split('\r\n').some((l) => l.startsWith(' '))).toBe(true); // something was folded
    const all = events.map((e) => unescapeText(prop(e, 'DESCRIPTION')!.value)).join('\n');
    expect(all).toContain(`B offsite (${location})`);
    expect(all).toContain(`bring drive B back from ${location}`.replace('bring', 'Bring'));
    expect(all).toContain(`${name} offline`);
    expect(all).toContain('C,D;E offline');
  });

  it('folds by UTF-8 octets, never inside a character', () => {
    const folded = foldIcsLine('X'.repeat(74) + '€' + 'y');
    expect(folded).toBe('X'.repeat(74) + '\r\n €y');
    expect(foldIcsLine('X'.repeat(75))).toBe('X'.repeat(75));
    expect(foldIcsLine('X'.repeat(76))).toBe('X'.repeat(75) + '\r\n X');
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), (a, b) => {
      const line = `DESCRIPTION:${a}${b}`;
      const out = foldIcsLine(line);
      for (const l of out.split('\r\n')) expect(octets(l)).toBeLessThanOrEqual(75);
      expect(out.replace(/\r\n /g, '')).toBe(line);
    }));
  });

  it('escapes TEXT so that unescaping gives the text back', () => {
    expect(escapeIcsText('a\\b;c,d\ne')).toBe('a\\\\b\\;c\\,d\\ne');
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      const clean = s.replace(/\r\n|\r/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
      const escaped = escapeIcsText(s);
      expect(escaped).not.toMatch(/[\r\n]/);
      expect(unescapeText(escaped)).toBe(clean);
    }));
  });
});

describe('renderScheduleJson', () => {
  it('is the schedule itself', () => {
    const out = renderScheduleJson(FIXED);
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toEqual(FIXED);
  });
});

describe('an empty schedule', () => {
  const empty = schedule([{ name: 'A', role: 'home' }], '2026-11-22', '2026-11-27'); // Sunday to Friday
  it('renders in every format without rows', () => {
    expect(empty.rows).toHaveLength(0);
    expect(renderScheduleText(empty)).toContain('No backup day falls between 2026-11-22 and 2026-11-27');
    expect(renderScheduleMarkdown(empty)).not.toContain('[ ]');
    expect(renderScheduleHtml(empty)).not.toContain('class="tick"');
    checkIcsShape(renderScheduleIcs(empty, GENERATED_AT, DOMAIN), empty);
  });
});
