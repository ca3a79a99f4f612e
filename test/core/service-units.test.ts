// The service files as text (core/service-units.ts), their marker (core/service-marker.ts) and
// the arrival decision (core/arrival.ts): pure, so checked here on hostile paths and plans.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decideArrival } from '../../src/core/arrival.js';
import type { Plan } from '../../src/core/planner.js';
import { fileState, withMarker } from '../../src/core/service-marker.js';
import { launchdAgents, parseTimeOfDay, schtasksCommands, systemdUnits, systemdWord, xmlText } from '../../src/core/service-units.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const spec = { node: '/usr/bin/node', bin: '/opt/air gap/bin/airgap.js', config: '/home/me/50% "of" $HOME\\x.json', at: { hour: 9, minute: 5 } };

describe('service files', () => {
  it('an ExecStart word survives spaces, quotes, backslashes, % and $ (systemd would expand the last two)', () => {
    expect(systemdWord('/home/me/50% "of" $HOME\\x.json')).toBe('"/home/me/50%% \\"of\\" $$HOME\\\\x.json"');
    const watch = systemdUnits(spec).find((u) => u.name === 'airgap-watch.service')!.body;
    expect(watch).toContain('ExecStart="/usr/bin/node" "/opt/air gap/bin/airgap.js" "watch" "--config" "/home/me/50%% \\"of\\" $$HOME\\\\x.json"\n');
  });

  it('the timer runs daily at the time given and catches up a missed day; remind\'s 33-63 are success', () => {
    const [remind, timer] = systemdUnits(spec);
    expect(timer!.body).toMatch(/^OnCalendar=\*-\*-\* 09:05:00$/m);
    expect(timer!.body).toMatch(/^Persistent=true$/m);
    expect(remind!.body).toMatch(/^SuccessExitStatus=33 34 .* 63$/m);
  });

  it('a path with a newline is refused, not written into a unit (it would start a setting of its own)', () => {
    expect(() => systemdUnits({ ...spec, config: '/tmp/x\nExecStartPre=/bin/rm -rf ~' })).toThrow(/control character/);
    expect(() => launchdAgents({ ...spec, bin: '/tmp/\u0007' })).toThrow(/control character/);
  });

  it('plists escape XML, and the schtasks commands quote every path', () => {
    expect(xmlText(`a&b<c>"d"'e`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&apos;e');
    const [remind] = launchdAgents({ ...spec, config: '/x/<a&b>.json' });
    expect(remind!.body).toContain('<string>/x/&lt;a&amp;b&gt;.json</string>');
    expect(remind!.body).toMatch(/<key>Hour<\/key>\n\s+<integer>9<\/integer>\n\s+<key>Minute<\/key>\n\s+<integer>5<\/integer>/);
    expect(schtasksCommands(spec)[0]).toBe('schtasks /Create /F /TN "airgap remind" /SC DAILY /ST 09:05 /TR "\\"/usr/bin/node\\" \\"/opt/air gap/bin/airgap.js\\" remind --config \\"/home/me/50% "of" $HOME\\x.json\\""');
  });

  it('times of day', () => {
    expect(parseTimeOfDay('7:05')).toEqual({ hour: 7, minute: 5 });
    expect(parseTimeOfDay('23:59')).toEqual({ hour: 23, minute: 59 });
    for (const bad of ['24:00', '9', '09:60', ' 09:00', '09:00:00']) expect(parseTimeOfDay(bad)).toBeUndefined();
  });
});

describe('the marker', () => {
  const body = systemdUnits(spec)[1]!.body;
  const plist = launchdAgents(spec)[0]!.body;

  it('as written: current; airgap would write otherwise: outdated; edited: edited; no marker: foreign; none: absent', () => {
    const written = withMarker(body, sha);
    expect(written.split('\n')[0]).toMatch(/^# airgap-generated sha256=[0-9a-f]{64}: /);
    expect(fileState(written, body, sha)).toBe('current');
    expect(fileState(written, body.replace('09:05', '10:00'), sha)).toBe('outdated');
    expect(fileState(written.replace('09:05', '07:00'), body, sha)).toBe('edited');
    expect(fileState(written + '\n', body, sha)).toBe('edited');
    expect(fileState(body, body, sha)).toBe('foreign');
    expect(fileState(undefined, body, sha)).toBe('absent');
  });

  it('in a plist: an XML comment after the declaration, without "--" (not allowed in XML comments)', () => {
    const written = withMarker(plist, sha);
    const line = written.split('\n')[1]!;
    expect(line).toMatch(/^<!-- airgap-generated sha256=[0-9a-f]{64}: .* -->$/);
    expect(line.slice(4, -3)).not.toContain('--');
    expect(fileState(written, plist, sha)).toBe('current');
  });
});

describe('what an arrival does', () => {
  const plan = (p: Partial<Plan>) => ({ due: false, ...p }) as Plan;
  it('the due drive: notify that it is due, or back it up; another drive: not due, with its day; not ours: nothing', () => {
    const due = plan({ due: true, target: 'A', targetDate: '2026-11-21' });
    expect(decideArrival({ name: 'a', rotationName: 'A', plan: due, onArrival: 'notify' })).toEqual({ action: 'notify', drive: 'A', due: true });
    expect(decideArrival({ name: 'A', rotationName: 'A', plan: due, onArrival: 'backup' })).toEqual({ action: 'backup', drive: 'A' });
    expect(decideArrival({ name: 'B', rotationName: 'B', plan: due, dueOn: '2026-11-28', onArrival: 'backup' }))
      .toEqual({ action: 'notify', drive: 'B', due: false, dueOn: '2026-11-28', next: { drive: 'A', date: '2026-11-21' } });
    // The target, but its day has not come: never written by an arrival.
    expect(decideArrival({ name: 'A', rotationName: 'A', plan: plan({ due: false, target: 'A', targetDate: '2026-11-28' }), dueOn: '2026-11-28', onArrival: 'backup' }))
      .toMatchObject({ action: 'notify', due: false, dueOn: '2026-11-28' });
    expect(decideArrival({ name: 'X', plan: due, onArrival: 'backup' })).toMatchObject({ action: 'none' });
  });
});
