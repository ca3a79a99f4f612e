// A full drive (issue 17 §2), on a real small drive (tmpfs, 6 MiB): when the next snapshot only
// fits after removing what retention drops anyway, backup removes it first and says so; in fit
// mode it removes the oldest beyond the rules; otherwise it stops before writing, naming the sizes
// and the way out. Each day's source is 1.5 MiB of random bytes (format 1: a whole tarball each).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whyNoMount } from '../helpers/mount.js';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const noMount = whyNoMount();
if (noMount) console.log(`skipping the full-drive tests: ${noMount}`);

let sb: Sandbox;
let mnt: string;
let mounted = false;
let src: string;
let config: string;

beforeEach(async () => {
  sb = await makeSandbox();
  if (noMount) return;
  mnt = sb.drive('T');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { stdio: 'pipe' });
  mounted = true;
  src = join(sb.dir, 'src');
  await mkdir(src);
  config = join(sb.dir, 'config.json');
  sb.env.AIRGAP_CONFIG = config;
});
afterEach(async () => {
  if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
  mounted = false;
  await sb.cleanup();
});

async function writeConfig(retention: unknown): Promise<void> {
  await writeFile(config, JSON.stringify({
    version: 1, format: 1, sources: [src], drives: { rotation: [{ name: 'T' }] }, cadence: 'daily',
    policy: { offline: 0, start: '2026-03-01', retention },
  }));
}

const day = (d: number) => ({ AIRGAP_NOW: `2026-03-0${d}T10:00:00Z` });
const id = (d: number) => `2026-03-0${d}T100000Z`;
const snapshots = async () => (await readdir(join(mnt, 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();

/** Day d's backup of a fresh 1.5 MiB of random bytes. */
async function backupDay(d: number, ...extra: string[]): Promise<CliResult> {
  await writeFile(join(src, 'data.bin'), randomBytes(1536 * 1024));
  return runChecked(sb, ['backup', ...extra], day(d));
}

/** Three days' backups: the drive then holds three snapshots and has room for none more. */
async function fillDrive(): Promise<void> {
  await labelledDrive(sb, 'T');
  for (let d = 1; d <= 3; d++) {
    const r = await backupDay(d);
    expect(r.code, show(r)).toBe(0);
  }
  expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
}

describe.skipIf(noMount)('a full drive', () => {
  it('backup removes what retention drops anyway, first, when only that makes room', async () => {
    await writeConfig({ keepLast: 3 });
    await fillDrive();
    const r = await backupDay(4);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`not enough space on drive T: the snapshot needs about [\\d.]+ MB, the drive has [\\d.]+ MB free: removing 1 old snapshot \\(${id(1)}, [\\d.]+ MB\\) first \\(kept by no rule`));
    expect(await snapshots()).toEqual([id(2), id(3), id(4)]);
    const v = await runChecked(sb, ['verify', 'T']);
    expect(v.code, show(v)).toBe(0);
  });

  it('a dry run says what it would remove first, and removes nothing', async () => {
    await writeConfig({ keepLast: 3 });
    await fillDrive();
    const r = await backupDay(4, '--dry-run');
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain(`would first remove 1 old snapshot (${id(1)}, `);
    expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
  });

  it('when the rules keep every snapshot: stops before writing, with the sizes and the way out', async () => {
    await writeConfig({ keepLast: 5, daily: 7 });
    await fillDrive();
    const r = await backupDay(4);
    expect(r.code, show(r)).toBe(4);
    expect(r.stderr).toMatch(/^error: not enough space on drive T: the snapshot needs about [\d.]+ MB, the drive has [\d.]+ MB free; retention keeps every snapshot on it$/m);
    expect(r.stderr).toMatch(/^hint: keep fewer snapshots \("retention" in .*config\.json, or "fit": true to remove the oldest as needed: docs\/rotation\.md\), free space on the drive, or use a larger drive; nothing was written$/m);
    expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
    expect((await readdir(join(mnt, 'airgap'))).filter((n) => n.startsWith('.partial'))).toEqual([]);
    // The plan says the same, in human sizes, and its forecast does not call a full drive "enough".
    const plan = await runChecked(sb, ['plan'], day(4));
    expect(plan.stdout).toMatch(/^warning: T cannot hold the next snapshot \(about [\d.]+ MB\) even after what retention allows removing \([\d.]+ MB would be free\)/m);
    expect(plan.stdout).toMatch(/^ {2}T {8}full: the next backup there must first remove old snapshots/m);
    expect(plan.stdout).not.toContain('enough for the retention policy');
    // Warned early: the drive's whole size cannot hold what these rules keep at this source size.
    expect(plan.stdout).toMatch(/^warning: T \([\d.]+ MB\) is too small for its retention: the rules keep up to \d+ snapshots, \d+ while a backup writes, about [\d.]+ MB at the sources' size; backups will stop when it is full: keep fewer \("retention" in the config\), set "fit": true to remove the oldest as needed, or use a larger drive$/m);
    // What stays, and the rule that keeps each (text and JSON).
    const dry = await runChecked(sb, ['prune', 'T', '--dry-run'], day(4));
    expect(dry.stdout).toContain(`Kept on T:\n  ${id(3)}  `);
    expect(dry.stdout).toMatch(new RegExp(`^  ${id(1)}  [\\d.]+ MB  last 5, daily 2026-03-01$`, 'm'));
    const json = JSON.parse((await runChecked(sb, ['prune', 'T', '--dry-run', '--json'], day(4))).stdout) as { keep: { snapshot: string; reasons: string[] }[] };
    expect(json.keep.map((k) => k.snapshot)).toEqual([id(3), id(2), id(1)]);
    expect(json.keep[0]!.reasons).toContain('last 5');
  });

  it('--no-prune: stops before writing, and says what removing would have made room for', async () => {
    await writeConfig({ keepLast: 3 });
    await fillDrive();
    const r = await backupDay(4, '--no-prune');
    expect(r.code, show(r)).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^error: .*removing 1 old snapshot \\(${id(1)}, [\\d.]+ MB\\) first would make room, but --no-prune was given$`, 'm'));
    expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
  });

  it('a change like ransomware: no room is made for it; every older snapshot stays', async () => {
    await writeConfig({ keepLast: 3 });
    await labelledDrive(sb, 'T');
    // 24 text files (the gate judges from 20 files up), edited a little each day.
    const text = (d: number, f: number) => `day ${d} file ${f} `.padEnd(64 * 1024, 'lorem ipsum dolor sit amet ');
    for (let d = 1; d <= 3; d++) {
      for (let f = 0; f < 24; f++) await writeFile(join(src, `doc-${f}.txt`), text(f === 0 ? d : 1, f));
      const r = await runChecked(sb, ['backup'], day(d));
      expect(r.code, show(r)).toBe(0);
    }
    expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
    // Every file encrypted in place: the snapshot would need the room of day 1's.
    // Dated the day it happened, as a real one is: the gate tells a changed file by its size and
    // its mtime in whole seconds, and this test runs faster than that.
    const when = new Date('2026-03-04T09:00:00Z');
    for (let f = 0; f < 24; f++) {
      await writeFile(join(src, `doc-${f}.txt`), randomBytes(64 * 1024));
      await utimes(join(src, `doc-${f}.txt`), when, when);
    }
    const r = await runChecked(sb, ['backup'], day(4));
    expect(r.code, show(r)).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^error: not enough space on drive T: .*; removing 1 old snapshot \\(${id(1)}, [\\d.]+ MB\\) first would make room, but the sources changed like ransomware or a broken sync would change them, and older snapshots are never removed to store such a change$`, 'm'));
    expect(r.stderr).toMatch(/^hint: check the files now \(airgap diff T\)/m);
    expect(await snapshots()).toEqual([id(1), id(2), id(3)]);
  });

  it('fit mode: every snapshot stays while there is room, then the oldest goes first', async () => {
    await writeConfig({ fit: true });
    await fillDrive();
    for (const d of [4, 5]) {
      const r = await backupDay(d);
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toContain(`removing 1 old snapshot (${id(d - 3)}, `);
      expect(r.stderr).toContain('(fit: the oldest, to make room for the new snapshot)');
    }
    expect(await snapshots()).toEqual([id(3), id(4), id(5)]);
    const plan = await runChecked(sb, ['plan'], day(6));
    expect(plan.stdout).not.toContain('too small for its retention');
    expect(plan.stdout).toContain('fit mode on T: every snapshot stays while there is room; a backup that needs room removes the oldest first');
  });
});
