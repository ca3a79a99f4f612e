// `airgap diff` between two snapshots reads their manifests without verifying them first: a
// manifest that a damaged drive lost is damage naming the snapshot (one error, one hint, exit 3),
// never an internal error with a stack trace (which it was until 2026-12-05). The mapping lives in
// gate/inspect.ts manifestListing, so the gate (a host without a baseline) gets it too.
import { rm, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoCrash, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
let ids: string[];

beforeAll(async () => {
  sb = await makeSandbox();
  await labelledDrive(sb, 'A');
  const src = join(sb.dir, 'src');
  await mkdir(src);
  ids = [];
  for (const [i, text] of ['one', 'two'].entries()) {
    await writeFile(join(src, 'a.txt'), text);
    sb.env.AIRGAP_NOW = new Date(Date.UTC(2026, 5, 1, i, 0, 0)).toISOString();
    const r = await sb.run('backup', '--drive', 'A', '--source', src, '--no-prune');
    expect(r.code, r.stderr).toBe(0);
  }
  ids = (await readdir(join(sb.drive('A'), 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();
  expect(ids).toHaveLength(2);
}, 120_000);

afterAll(() => sb.cleanup());

describe('diff of two snapshots on a damaged drive', () => {
  it('compares two sound snapshots (exit 0)', async () => {
    const r = await sb.run('diff', 'A', ids[0]!, ids[1]!);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a snapshot whose manifest is missing: exit 3, naming the snapshot, with a hint', async () => {
    const dir = join(sb.drive('A'), 'airgap', ids[0]!);
    const manifest = (await readdir(dir)).find((n) => n.startsWith('MANIFEST.tsv'))!;
    await rm(join(dir, manifest));
    const r = await sb.run('diff', 'A', ids[0]!, ids[1]!);
    expectNoCrash('airgap diff', r);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('error: '))).toEqual([`error: the manifest of snapshot ${ids[0]} on drive A cannot be read (it is missing)`]);
    expect(lines.filter((l) => l.startsWith('hint: '))).toHaveLength(1);
  });
});
