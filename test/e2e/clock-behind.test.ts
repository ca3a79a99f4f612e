// A computer whose clock is behind the drive's newest snapshot (a dead clock battery, a time zone
// taken for UTC). A format 2 snapshot builds on the drive's newest one and a chain runs oldest
// first by date: one dated before its base could never be read back. The backup refuses before
// it reads or writes anything, says why and what to do, and the drive is as it was.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoCrash, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
let drive: string;
const at = (iso: string) => { sb.env.AIRGAP_NOW = iso; };

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, { 'a.txt': { file: 'one\n' }, d: { dir: { 'b.txt': { file: 'two\n' } } } });
  drive = await labelledDrive(sb, 'A');
});
afterAll(async () => sb?.cleanup());

describe('a clock behind the drive', () => {
  it('refuses a format 2 backup dated before the drive\'s newest snapshot (exit 4, error + hint, nothing written); with the clock right it builds on it', async () => {
    at('2026-06-10T09:00:00Z');
    const first = await sb.run('backup', '--drive', 'A', '--source', src);
    expect(first.code, first.stderr).toBe(0);
    const before = (await readdir(join(drive, 'airgap'))).sort();

    at('2026-06-03T09:00:00Z');
    const behind = await sb.run('backup', '--drive', 'A', '--source', src);
    expectNoCrash('clock behind', behind);
    expect(behind.code, behind.stderr).toBe(4);
    expect(behind.stderr).toContain("error: this computer's clock says 2026-06-03T090000Z, but drive A already holds a snapshot from 2026-06-10T090000Z");
    expect(behind.stderr).toMatch(/\nhint: set this computer's clock right/);
    expect((await readdir(join(drive, 'airgap'))).sort()).toEqual(before);

    at('2026-06-17T09:00:00Z');
    const next = await sb.run('backup', '--drive', 'A', '--source', src);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('INCREMENTAL on 2026-06-10T090000Z');
    const v = await sb.run('verify', 'A');
    expect(v.code, v.stdout).toBe(0);
  });
});
