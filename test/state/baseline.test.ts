// The gate baseline on the host (state/baseline.ts): v2 is written with every file's change
// stamp and read back as written; a v1 file (an older airgap's) is still read, without stamps;
// a line that is not one, a bad stamp included, is damage (set aside by the gate, never trusted).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareListings, type ListingEntry } from '../../src/core/change-analysis.js';
import type { ManifestEntry } from '../../src/layout/manifest.js';
import { BaselineDamagedError, BaselineWriter, readBaseline } from '../../src/state/baseline.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-baseline-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SHA = 'ab'.repeat(32);
const STAMP = '5:1700000000.000000042:1700000123.987654321:2049:1311842';
const stored = (path: string, size: number, sha256 = SHA): ManifestEntry => ({ type: 'file', path, mode: 0o644, uid: 1000, gid: 1000, size, mtime: 1_700_000_000, sha256 });

const readAll = async (path: string): Promise<ListingEntry[]> => {
  const out: ListingEntry[] = [];
  for await (const e of readBaseline(path)) out.push(e);
  return out;
};

async function damage(path: string, text: string): Promise<BaselineDamagedError> {
  await writeFile(path, text);
  const err = await readAll(path).then(() => undefined, (e: unknown) => e);
  expect(err, JSON.stringify(text)).toBeInstanceOf(BaselineDamagedError);
  return err as BaselineDamagedError;
}

describe('gate baseline', () => {
  it('v2 round trip: every file with its stamp, tricky paths included', async () => {
    const path = join(dir, 'baselines', 'b.tsv');
    const w = await BaselineWriter.create(path);
    const stamps = [STAMP, '0:-2.500000000:0.000000000:18446744073709551615:9007199254740993', '12:1.000000000:1.999999999:1:1'];
    const files = [stored('src/a.txt', 5), stored('src/tab\there\nnew line\\', 0), stored('src/é/🎉', 12, 'cd'.repeat(32))];
    for (const [i, f] of files.entries()) await w.add(f, [4.2, 0, 7.99][i]!, stamps[i]!);
    await w.commit();
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[0]).toBe('# airgap baseline v2');
    expect(text.split('\n')[1]).toBe(`5\t1700000000\t${SHA}\t4.20\t${STAMP}\tsrc/a.txt`);
    expect(await readAll(path)).toEqual(files.map((f, i) => ({ type: 'file', path: f.path, size: f.size, mtime: f.mtime, sha256: f.sha256, entropy: [4.2, 0, 7.99][i], stamp: stamps[i] })));
  });

  it('reads a v1 file: the same entries, without stamps', async () => {
    const path = join(dir, 'v1.tsv');
    await writeFile(path, `# airgap baseline v1\n5\t1700000000\t${SHA}\t4.20\tsrc/a.txt\n\n0\t1700000001\t${SHA}\t0.00\tsrc/b\\tc\n`);
    const entries = await readAll(path);
    expect(entries).toEqual([
      { type: 'file', path: 'src/a.txt', size: 5, mtime: 1_700_000_000, sha256: SHA, entropy: 4.2 },
      { type: 'file', path: 'src/b\tc', size: 0, mtime: 1_700_000_001, sha256: SHA, entropy: 0 },
    ]);
    expect(entries.every((e) => !('stamp' in e))).toBe(true);
  });

  it('the gate reports the same from a v1 and a v2 baseline of the same files', async () => {
    const v1 = join(dir, 'v1.tsv');
    const v2 = join(dir, 'v2.tsv');
    const lines = [[5, 'src/a', SHA], [7, 'src/b', SHA], [9, 'src/c', 'cd'.repeat(32)]] as const;
    await writeFile(v1, ['# airgap baseline v1', ...lines.map(([s, p, h]) => `${s}\t1700000000\t${h}\t4.20\t${p}`)].join('\n') + '\n');
    await writeFile(v2, ['# airgap baseline v2', ...lines.map(([s, p, h]) => `${s}\t1700000000\t${h}\t4.20\t${STAMP}\t${p}`)].join('\n') + '\n');
    const cur: ListingEntry[] = [{ type: 'file', path: 'src/a', size: 5, mtime: 1_700_000_000 }, { type: 'file', path: 'src/b', size: 8, mtime: 1_700_000_000 }, { type: 'file', path: 'src/d', size: 1, mtime: 1 }];
    const listing = async function* () { yield* cur; };
    const report = (path: string) => compareListings(readBaseline(path), listing(), async () => 4.2);
    const [r1, r2] = [await report(v1), await report(v2)];
    expect(r2).toEqual(r1);
    expect(r1).toMatchObject({ oldFiles: 3, newFiles: 3, added: 1, deleted: 1, modified: 1 });
  });

  it('a bad or missing stamp in a v2 file is damage, named with its line', async () => {
    const path = join(dir, 'b.tsv');
    const line = (stamp: string) => `5\t1700000000\t${SHA}\t4.20\t${stamp}\tsrc/a`;
    for (const bad of ['', 'x', '5:1700000000:1700000123:2049:1311842', '5:1700000000.42:1700000123.987654321:2049:1311842', '5:1700000000.000000042:1700000123.987654321:2049', `${STAMP} `]) {
      const err = await damage(path, `# airgap baseline v2\n${line(STAMP)}\n${line(bad)}\n`);
      expect(err.line).toBe(3);
      expect(err.message).toMatch(/line 3: not a size, time, SHA-256, entropy, change stamp and path/);
    }
    // A v1 line under a v2 header (no stamp), and a v2 line under a v1 header (one field too many).
    expect((await damage(path, `# airgap baseline v2\n5\t1700000000\t${SHA}\t4.20\tsrc/a\n`)).line).toBe(2);
    expect((await damage(path, `# airgap baseline v1\n${line(STAMP)}\n`)).line).toBe(2);
  });

  it('other damage: header, fields, and a path with a bad escape', async () => {
    const path = join(dir, 'b.tsv');
    for (const header of ['# airgap baseline v3', '# airgap baseline', 'PK\u0003\u0004']) {
      expect((await damage(path, `${header}\n5\t1700000000\t${SHA}\t4.20\t${STAMP}\tsrc/a\n`)).message).toMatch(/line 1: not an airgap baseline header/);
    }
    expect((await damage(path, '')).message).toMatch(/line 1: empty/);
    expect((await damage(path, `# airgap baseline v2\n-5\t1700000000\t${SHA}\t4.20\t${STAMP}\tsrc/a\n`)).line).toBe(2);
    expect((await damage(path, `# airgap baseline v2\n5\t1700000000\t${SHA.slice(1)}\t4.20\t${STAMP}\tsrc/a\n`)).line).toBe(2);
    // Before v2, a bad escape threw the manifest's syntax error, which the gate does not set aside.
    expect((await damage(path, `# airgap baseline v2\n5\t1700000000\t${SHA}\t4.20\t${STAMP}\tsrc/a\\q\n`)).message).toMatch(/line 2: bad path: unknown escape \\q/);
    expect((await damage(path, `# airgap baseline v1\n5\t1700000000\t${SHA}\t4.20\tsrc/a\\\n`)).line).toBe(2);
  });
});
