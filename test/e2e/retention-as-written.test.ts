// Retention as written (issue 17 §2), through the built CLI: `init` says the rules back and
// writes them out; a config that gives {"keepLast": 2} keeps two snapshots, not two plus the
// GFS defaults; an empty retention is a config error.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
let sb: Sandbox;
let src: string;
let config: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a.txt'), 'hello\n');
  config = join(sb.dir, 'config.json');
  sb.env.AIRGAP_CONFIG = config;
});
afterEach(() => sb.cleanup());

const snapshots = async (name: string) => (await readdir(join(sb.drive(name), 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();

async function writeConfig(retention: unknown, format: 1 | 2 = 1): Promise<void> {
  await writeFile(config, JSON.stringify({
    // Format 1: every snapshot stands alone, so the count kept is the rules' alone (format 2 also
    // keeps what a kept increment builds on: the next test).
    version: 1, format, sources: [src], drives: { rotation: [{ name: 'A' }] }, cadence: 'daily',
    policy: { offline: 0, start: '2026-03-01', ...(retention === undefined ? {} : { retention }) },
  }));
}

/** One backup a day for `days` days from 2026-03-01. */
async function dailyBackups(days: number): Promise<void> {
  for (let d = 1; d <= days; d++) {
    const r = await runChecked(sb, ['backup'], { AIRGAP_NOW: `2026-03-${String(d).padStart(2, '0')}T10:00:00Z` });
    expect(r.code, show(r)).toBe(0);
  }
}

describe('retention as written', () => {
  it('init says the default rules back and writes them into the config', async () => {
    const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--yes'], { AIRGAP_NOW: '2026-03-01T10:00:00Z' });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('  keeps:   the last 3, and the newest of each of the last 7 days, 5 weeks, 12 months and 10 years on each drive ("policy.retention" in the config; a rule left out is off: docs/rotation.md)');
    expect(JSON.parse(await readFile(config, 'utf8')).policy.retention).toEqual({ keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 });
  });

  it('{"keepLast": 2} keeps the last two snapshots, not the unset daily/weekly/monthly/yearly defaults too', async () => {
    await writeConfig({ keepLast: 2 });
    await labelledDrive(sb, 'A');
    await dailyBackups(5);
    expect(await snapshots('A')).toEqual(['2026-03-04T100000Z', '2026-03-05T100000Z']);
  });

  it('format 2, {"keepLast": 2}: the last two, and the snapshots they build on, no more', async () => {
    await writeConfig({ keepLast: 2 }, 2);
    await labelledDrive(sb, 'A');
    await dailyBackups(5);
    const r = await runChecked(sb, ['list', 'A', '--json']);
    expect(r.code, show(r)).toBe(0);
    const listed = (JSON.parse(r.stdout) as { snapshots: { id: string; base?: string }[] }).snapshots;
    // What the rule keeps, plus the chain each of those needs, computed from the drive's own list.
    const baseOf = new Map(listed.map((s) => [s.id, s.base]));
    const needed = new Set<string>();
    for (const kept of ['2026-03-04T100000Z', '2026-03-05T100000Z']) {
      for (let id: string | undefined = kept; id; id = baseOf.get(id)) needed.add(id);
    }
    expect(listed.map((s) => s.id).sort()).toEqual([...needed].sort());
    expect(listed.every((s) => !s.base || baseOf.has(s.base)), 'every kept increment has its base').toBe(true);
  });

  it('no retention in the config: the defaults (seven dailies keep all five)', async () => {
    await writeConfig(undefined);
    await labelledDrive(sb, 'A');
    await dailyBackups(5);
    expect(await snapshots('A')).toHaveLength(5);
  });

  it('an empty retention is a config error naming the field, with a hint', async () => {
    await writeConfig({});
    const r = await runChecked(sb, ['plan']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: .*policy\.retention.*name at least one rule \(keepLast, daily, weekly, monthly, yearly\), or leave retention out for the defaults/m);
    expect(r.stderr).toMatch(/^hint: /m);
  });
});
