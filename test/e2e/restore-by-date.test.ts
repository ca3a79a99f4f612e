// `restore --snapshot <date>` (issue 17 §4) through the built CLI: a day takes the newest
// snapshot of that day (UTC, as the ids are), `latest` the newest of all; a day with none is a
// usage error naming the snapshots there are, and nothing is created.
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
let sb: Sandbox;
let src: string;
// Three snapshots: one on the 2nd, two on the 3rd (morning and evening).
const WHEN = ['2026-03-02T09:00:00Z', '2026-03-03T08:00:00Z', '2026-03-03T19:30:00Z'];
const ID = ['2026-03-02T090000Z', '2026-03-03T080000Z', '2026-03-03T193000Z'];

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src);
  await labelledDrive(sb, 'A');
  for (const [i, at] of WHEN.entries()) {
    await writeFile(join(src, 'diary.txt'), `entry ${i}\n`);
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src], { AIRGAP_NOW: at });
    expect(r.code, show(r)).toBe(0);
  }
});
afterAll(() => sb.cleanup());

const restore = (to: string, spec: string) => runChecked(sb, ['restore', 'A', '--to', to, '--snapshot', spec], { AIRGAP_NOW: '2026-03-04T10:00:00Z' });

describe('restore --snapshot <date>', () => {
  it('a day with two snapshots: the newest of that day', async () => {
    const to = join(sb.dir, 'r-3rd');
    const r = await restore(to, '2026-03-03');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`Restored snapshot ${ID[2]}`);
    expect(await readFile(join(to, 'src', 'diary.txt'), 'utf8')).toBe('entry 2\n');
  });

  it('a day with one: that one; latest: the newest of all', async () => {
    const to = join(sb.dir, 'r-2nd');
    const r = await restore(to, '2026-03-02');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`Restored snapshot ${ID[0]}`);
    expect(await readFile(join(to, 'src', 'diary.txt'), 'utf8')).toBe('entry 0\n');
    const latest = await restore(join(sb.dir, 'r-latest'), 'latest');
    expect(latest.stdout).toContain(`Restored snapshot ${ID[2]}`);
  });

  it('a day with none: exit 2, error and hint, nothing created', async () => {
    const to = join(sb.dir, 'r-none');
    const r = await restore(to, '2026-03-01');
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: .*2026-03-01/m);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(await lstat(to).then(() => true, () => false)).toBe(false);
  });
});
