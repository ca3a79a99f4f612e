// MANIFEST.tsv version 2 (docs/FORMAT.md): the nine v1 fields, then `in` (the snapshot whose
// tarball holds the content, `.` for this one) and `offset` (the member's first header). A reader
// takes only the versions its snapshot may hold: today's snapshots are format 1, so a v2
// manifest in one of them is damage, never silently read.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatManifestLine, formatManifestLineV2, MANIFEST_COLUMNS_V2, MANIFEST_HEADER, MANIFEST_HEADER_V2, parseManifestLine, parseManifestLineV2, type ManifestEntry,
} from '../../src/layout/manifest.js';
import { ManifestReader } from '../../src/layout/manifest-reader.js';

const SHA = 'ab'.repeat(32);
const file: ManifestEntry = { type: 'file', path: 'docs/a\tb.txt', mode: 0o644, uid: 1000, gid: 1000, size: 5, mtime: 1_700_000_000, sha256: SHA };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-manifest-v2-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function readAll(text: string, versions?: (1 | 2)[]) {
  const path = join(dir, 'MANIFEST.tsv');
  await writeFile(path, text);
  const r = new ManifestReader(path, versions);
  const out: ManifestEntry[] = [];
  for (let e = await r.next(); e; e = await r.next()) out.push(e);
  return { out, version: r.version };
}

describe('manifest v2 lines', () => {
  it('round-trips any entry with where its content is', () => {
    const entry = fc.record({
      path: fc.string({ minLength: 1, maxLength: 40 }),
      size: fc.nat(),
      mtime: fc.nat(),
      offset: fc.nat(1e9).map((n) => n * 512),
      in: fc.option(fc.constantFrom('2026-11-21T093000Z', '2026-11-28T093000Z-2'), { nil: undefined }),
    });
    fc.assert(fc.property(entry, (x) => {
      const e: ManifestEntry & { offset: number } = { ...file, path: x.path, size: x.size, mtime: x.mtime, offset: x.offset, ...(x.in ? { in: x.in } : {}) };
      const line = formatManifestLineV2(e);
      expect(line.endsWith('\n')).toBe(true);
      expect(parseManifestLineV2(line.slice(0, -1))).toEqual(e);
      // The first nine fields are a v1 line, to the byte.
      expect(line.split('\t').slice(0, 9).join('\t')).toBe(formatManifestLine(e).slice(0, -1));
    }));
  });

  it('names a bad in or offset field, and a v1 line is not a v2 line (nor the other way)', () => {
    const v1 = formatManifestLine(file).slice(0, -1);
    expect(() => parseManifestLineV2(`${v1}\t..\t0`)).toThrow(/bad in "\.\."/);
    expect(() => parseManifestLineV2(`${v1}\t../2026-11-21T093000Z\t0`)).toThrow(/bad in/);
    expect(() => parseManifestLineV2(`${v1}\t.\t100`)).toThrow(/bad offset "100" \(a multiple of 512\)/);
    expect(() => parseManifestLineV2(`${v1}\t.\t-512`)).toThrow(/bad offset/);
    expect(() => parseManifestLineV2(v1)).toThrow(/expected 11 or 13 tab-separated fields, found 9/);
    expect(() => parseManifestLine(`${v1}\t.\t0`)).toThrow(/expected 9 tab-separated fields, found 11/);
  });
});

describe('ManifestReader and versions', () => {
  const v2text = `${MANIFEST_HEADER_V2}\n${MANIFEST_COLUMNS_V2}\n${formatManifestLineV2({ ...file, in: '2026-11-21T093000Z', offset: 1024 })}`;

  it('by default reads v1 only: a v2 manifest is named as damage at line 1', async () => {
    await expect(readAll(v2text)).rejects.toThrow('line 1: expected "# airgap manifest v1"');
    const v1 = await readAll(`${MANIFEST_HEADER}\n${formatManifestLine(file)}`);
    expect(v1).toEqual({ out: [file], version: 1 });
  });

  it('told that a snapshot may hold v2, it reads v2 lines with their place', async () => {
    const r = await readAll(v2text, [1, 2]);
    expect(r.version).toBe(2);
    expect(r.out).toEqual([{ ...file, in: '2026-11-21T093000Z', offset: 1024 }]);
    await expect(readAll(v2text, [2])).resolves.toMatchObject({ version: 2 });
    await expect(readAll(`${MANIFEST_HEADER}\n`, [2])).rejects.toThrow('line 1: expected "# airgap manifest v2"');
    await expect(readAll(`${MANIFEST_HEADER_V2}\n${formatManifestLine(file)}`, [1, 2])).rejects.toThrow('line 2: expected 11 or 13 tab-separated fields, found 9');
  });
});
