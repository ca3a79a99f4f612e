// The few-files lookup (restore/manifest-lookup.ts) answers exactly what the whole manifest index
// answers for the paths it finds, and gives up (undefined) rather than answer differently: a
// folder, a path with entries under it, a path missing, a path that is also another line's link
// target, names with escapes, the header's column names, lines across its read chunks.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatManifestLineV2, MANIFEST_COLUMNS_V2, MANIFEST_HEADER_V2, type ManifestEntry } from '../../src/layout/manifest.js';
import { ManifestIndex } from '../../src/restore/manifest-index.js';
import { lookupFiles } from '../../src/restore/manifest-lookup.js';
import { mulberry32 } from '../helpers/prng.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ID = '2026-01-01T090000Z';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-lookup-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function manifestFile(entries: ManifestEntry[], name = 'MANIFEST.tsv'): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, `${MANIFEST_HEADER_V2}\n${MANIFEST_COLUMNS_V2}\n${entries.map((e) => formatManifestLineV2({ ...e, offset: e.offset ?? 0 })).join('')}`);
  return p;
}

const file = (path: string, extra: Partial<ManifestEntry> = {}): ManifestEntry =>
  ({ type: 'file', path, mode: 0o644, uid: 1, gid: 1, size: path.length, mtime: 7, sha256: sha(path), offset: 512 * path.length, ...extra });

/** What the whole index says of these paths' rows, in the lookup's terms. */
const rowsOf = (index: ManifestIndex, paths: string[]) => paths.map((p) => {
  const i = index.find(p);
  return i < 0 ? undefined : [index.path(i), index.type(i), index.size(i), index.sha256(i), index.link(i), index.in(i), index.offset(i)];
});

describe('lookupFiles', () => {
  it('finds files and hard links (with their first copy) exactly as the whole index does', async () => {
    const p = await manifestFile([
      { type: 'dir', path: 'd', mode: 0o755, uid: 1, gid: 1, size: 0, mtime: 7, offset: 0 },
      file('d/a.txt', { in: ID }),
      file('d/tab\there'),
      file('d/new\nline'),
      file('d/back\\slash'),
      { type: 'symlink', path: 'd/link', mode: 0o777, uid: 1, gid: 1, size: 0, mtime: 7, link: 'd/b.txt', offset: 4096 },
      file('d/b.txt'),
      { type: 'hardlink', path: 'd/h', mode: 0o644, uid: 1, gid: 1, size: 7, mtime: 7, sha256: sha('d/a.txt'), link: 'd/a.txt', offset: 8192 },
      file('mode'),
    ]);
    const whole = await ManifestIndex.load(p, [2]);
    for (const paths of [['d/a.txt'], ['d/tab\there', 'd/new\nline', 'd/back\\slash'], ['d/b.txt'], ['./d/b.txt/'], ['mode'], ['d/h']]) {
      const few = await lookupFiles(p, paths);
      expect(few, paths.join()).toBeDefined();
      const clean = paths.map((x) => x.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
      expect(rowsOf(few!, clean)).toEqual(rowsOf(whole, clean));
    }
    // A hard link brings its first copy's line, as selection() restores it too.
    const h = await lookupFiles(p, ['d/h']);
    expect(Array.from({ length: h!.length }, (_, i) => h!.path(i))).toEqual(['d/a.txt', 'd/h']);
  });

  it('gives up on a folder, a path with entries under it, a missing path, a v1 manifest, too many paths', async () => {
    const p = await manifestFile([file('x'), file('x/y'), file('z'), { type: 'dir', path: 'f', mode: 0o755, uid: 1, gid: 1, size: 0, mtime: 7, offset: 0 }], 'odd.tsv');
    for (const paths of [['x'], ['f'], ['nope'], ['z', 'nope']]) expect(await lookupFiles(p, paths), paths.join()).toBeUndefined();
    expect(await lookupFiles(p, ['z'])).toBeDefined();
    expect(await lookupFiles(p, Array.from({ length: 17 }, () => 'z'))).toBeUndefined();
    const v1 = join(dir, 'v1.tsv');
    await writeFile(v1, '# airgap manifest v1\n# type\tmode\tuid\tgid\tsize\tmtime\tsha256\tpath\tlink\n' + `f\t0644\t1\t1\t1\t7\t${sha('z')}\tz\t\n`);
    expect(await lookupFiles(v1, ['z'])).toBeUndefined();
  });

  it('matches the whole index on a large random manifest, across its read chunks', async () => {
    const rnd = mulberry32(20260401);
    const entries: ManifestEntry[] = [];
    // ~10 MB: several 4 MiB reads, lines cut at their edges.
    for (let i = 0; i < 60_000; i++) entries.push(file(`dir${i % 50}/${'n'.repeat(Math.floor(rnd() * 40))}${i}.txt`, rnd() < 0.5 ? { in: ID } : {}));
    const p = await manifestFile(entries, 'big.tsv');
    const whole = await ManifestIndex.load(p, [2]);
    // The lines that a 4 MiB read (the lookup's) cuts in two, and some others at random.
    const cut: string[] = [];
    let at = Buffer.byteLength(`${MANIFEST_HEADER_V2}\n${MANIFEST_COLUMNS_V2}\n`);
    for (const e of entries) {
      const end = at + Buffer.byteLength(formatManifestLineV2({ ...e, offset: e.offset! }));
      if (Math.floor(at / (4 << 20)) !== Math.floor((end - 1) / (4 << 20))) cut.push(e.path);
      at = end;
    }
    expect(cut.length).toBeGreaterThan(0);
    expect(rowsOf((await lookupFiles(p, cut))!, cut)).toEqual(rowsOf(whole, cut));
    for (let round = 0; round < 20; round++) {
      const paths = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => entries[Math.floor(rnd() * entries.length)]!.path);
      const few = await lookupFiles(p, paths);
      expect(few).toBeDefined();
      expect(rowsOf(few!, paths)).toEqual(rowsOf(whole, paths));
    }
  });
});
