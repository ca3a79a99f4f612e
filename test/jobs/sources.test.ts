// jobs/sources.ts: one top-level folder per source, named after it, clashes numbered; the name of
// format 2's changed-blocks folder (.airgap-delta) is never a source's.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceRoots } from '../../src/jobs/sources.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-sources-'));
  for (const d of ['a/docs', 'b/docs', 'c/.airgap-delta', 'd/.AIRGAP-DELTA']) await mkdir(join(dir, d), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sourceRoots', () => {
  it('names clashes -2, -3, …, and never takes .airgap-delta (in any case)', async () => {
    const roots = await sourceRoots(['a/docs', 'b/docs', 'c/.airgap-delta', 'd/.AIRGAP-DELTA'].map((d) => join(dir, d)));
    expect(roots.map((r) => r.root)).toEqual(['docs', 'docs-2', '.airgap-delta-2', '.AIRGAP-DELTA-3']);
  });
});
