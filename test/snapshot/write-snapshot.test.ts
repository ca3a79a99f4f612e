// writeSnapshot's refusals leave nothing behind that could be mistaken for a snapshot.
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeSnapshot, type WriteSnapshotInput } from '../../src/snapshot/write-snapshot.js';
import { makeTree } from '../helpers/tree.js';
import { writeInputFor } from '../helpers/write-input.js';
import { readManifestV2 } from '../helpers/v2-lists.js';

let dir: string;
let input: WriteSnapshotInput;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-ws-'));
  await makeTree(join(dir, 'src'), { 'a.txt': 'a', sub: { dir: { 'b.txt': 'b' } } });
  input = await writeInputFor(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: { code: string; exitCode: number }) => e);

describe('writeSnapshot', () => {
  it('names the snapshot after the clock and writes the documented files', async () => {
    const r = await writeSnapshot(input);
    expect(r.id).toBe('2026-11-21T093000Z');
    expect((await readdir(r.dir)).sort()).toEqual(['2026-11-21T093000Z.tar', 'FILES.sha256', 'MANIFEST.tsv', 'SHA256SUMS', 'snapshot.json']);
    const again = await writeSnapshot(input);
    expect(again.id).toBe('2026-11-21T093000Z-2');
    expect(!again.dryRun && again.meta.previous?.id).toBe('2026-11-21T093000Z');
  });

  it('a drive whose airgap folder vanished is "drive removed" (exit 4)', async () => {
    await rm(join(dir, 'drive'), { recursive: true });
    expect(await fail(writeSnapshot(input))).toMatchObject({ code: 'drive-removed', exitCode: 4 });
  });

  it('--strict refuses a source with a special file and writes nothing', async () => {
    execFileSync('mkfifo', [join(dir, 'src', 'pipe')]);
    expect(await fail(writeSnapshot({ ...input, strict: true }))).toMatchObject({ code: 'strict', exitCode: 4 });
    expect(await readdir(input.airgapDir)).toEqual([]);
    const ok = await writeSnapshot(input);
    expect(ok.problems).toEqual([expect.objectContaining({ kind: 'special', path: join(dir, 'src', 'pipe') })]);
  });

  it('a cancelled backup (Ctrl+C) exits 130 and leaves nothing', async () => {
    const ctl = new AbortController();
    ctl.abort();
    expect(await fail(writeSnapshot({ ...input, signal: ctl.signal }))).toMatchObject({ code: 'cancelled', exitCode: 130 });
    expect(await readdir(input.airgapDir)).toEqual([]);
  });

  it('a cancel during the archive removes the unfinished snapshot', async () => {
    await makeTree(join(dir, 'src', 'many'), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'x'.repeat(i)])));
    const ctl = new AbortController();
    const err = await fail(writeSnapshot({ ...input, signal: ctl.signal, onProgress: (p) => { if (p.entries < 200) ctl.abort(); } }));
    expect(err).toMatchObject({ code: 'cancelled' });
    expect(await readdir(input.airgapDir)).toEqual([]);
  });

  it('format 2: past the snapshot\'s dd-line budget, a large file changed in place is stored whole', async () => {
    const MiB = 1 << 20;
    for (const f of ['a.bin', 'b.bin']) await writeFile(join(dir, 'src', f), randomBytes(17 * MiB));
    const first = await writeSnapshot({ ...input, format: 2 });
    expect(first.dryRun).toBe(false);
    for (const f of ['a.bin', 'b.bin']) {
      const fh = await open(join(dir, 'src', f), 'r+');
      await fh.write(randomBytes(100), 0, 100, 5 * MiB + 10); // one block each
      await fh.close();
    }
    // a.bin takes 2 lines (its size, its one block): within 3; b.bin would make 4.
    const next = await writeSnapshot({ ...input, format: 2, chainOptions: { maxDdLines: 3 } });
    const lines = (await readManifestV2(next.dir)).split('\n');
    const fields = (name: string) => lines.find((l) => l.split('\t')[7] === `src/${name}`)!.split('\t');
    expect(fields('a.bin')[12]).toMatch(/^\.\/1@\d+:17825792:5\+1$/);
    expect(fields('b.bin')[9]).toBe('.'); // whole, in this tarball
    expect(fields('b.bin')[12]).toBe('');
  });
});
