// Warned early (issue 17 §2): `init` says the room each drive needs at the sources' size today,
// and `label` and `plan` warn, before any backup, when a drive is too small for its rules. The
// drives are real small filesystems (tmpfs) where mounting is allowed; the sources 3 MiB.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whyNoMount } from '../helpers/mount.js';
import { makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const noMount = whyNoMount();
if (noMount) console.log(`skipping the drive-size tests on real small drives: ${noMount}`);

let sb: Sandbox;
let src: string;
const mounts: string[] = [];
const NOW = { AIRGAP_NOW: '2026-03-02T10:00:00Z' };

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'photos.bin'), randomBytes(3 * 1024 * 1024));
  sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
});
afterEach(async () => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m], { stdio: 'pipe' });
  await sb.cleanup();
});

/** A real drive of `mib` MiB (tmpfs) at the sandbox's drive folder `name`. */
async function smallDrive(name: string, mib: number): Promise<string> {
  const mnt = sb.drive(name);
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', mnt], { stdio: 'pipe' });
  mounts.push(mnt);
  return mnt;
}

async function init(...extra: string[]): Promise<CliResult> {
  const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes', ...extra], NOW);
  expect(r.code, show(r)).toBe(0);
  return r;
}

const TWO_FULLS = /^warning: A \([\d.]+ MB\) cannot hold two full snapshots \(about 6\.\d MB\): its chain of increments can never start afresh/m;

describe('init says the room a drive needs', () => {
  it('format 2 (the default): two full copies at the sources\' size', async () => {
    const r = await init();
    expect(r.stdout).toMatch(/^ {2}room: {4}about 6\.\d MB or more on each drive: the sources are 3\.\d MB today; one full copy, increments after it, and room for a second full to start a new chain$/m);
  });
});

describe.skipIf(noMount)('label and plan warn before the first backup', () => {
  it('a 5 MiB drive for 3 MiB of sources: label warns, the label stands, and plan says it again', async () => {
    await init();
    const mnt = await smallDrive('A', 5);
    const r = await runChecked(sb, ['label', mnt, '--name', 'A', '--yes'], NOW);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('Labelled ');
    expect(r.stdout).toMatch(TWO_FULLS);
    const json = JSON.parse((await runChecked(sb, ['label', mnt, '--name', 'A', '--yes', '--force', '--json'], NOW)).stdout) as { warnings: string[] };
    expect(json.warnings).toHaveLength(1);
    expect(json.warnings[0]).toMatch(/^A \([\d.]+ MB\) cannot hold two full snapshots/);
    const plan = await runChecked(sb, ['plan'], NOW);
    expect(plan.code, show(plan)).toBe(0);
    expect(plan.stdout).toMatch(TWO_FULLS);
  });

  it('format 1 with the default rules: too small for its retention, said with the way out', async () => {
    await init();
    const config = JSON.parse(execFileSync('cat', [sb.env.AIRGAP_CONFIG!]).toString()) as Record<string, unknown>;
    await writeFile(sb.env.AIRGAP_CONFIG!, JSON.stringify({ ...config, format: 1 }));
    const mnt = await smallDrive('A', 8);
    const r = await runChecked(sb, ['label', mnt, '--name', 'A', '--yes'], NOW);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^warning: A \([\d.]+ MB\) is too small for its retention: the rules keep up to \d+ snapshots, \d+ while a backup writes, about [\d.]+ MB at the sources' size; backups will stop when it is full: keep fewer \("retention" in the config\), set "fit": true to remove the oldest as needed, or use a larger drive$/m);
  });

  it('a drive with room: no warning', async () => {
    await init();
    const mnt = await smallDrive('A', 16);
    const r = await runChecked(sb, ['label', mnt, '--name', 'A', '--yes'], NOW);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toContain('warning:');
    expect((await runChecked(sb, ['plan'], NOW)).stdout).not.toContain('cannot hold');
  });
});
