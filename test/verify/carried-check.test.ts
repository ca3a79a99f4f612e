// Carried lines of a format 2 manifest (verify/carried-check.ts) against a hand-written manifest
// of the snapshot that holds their content: each mismatch is named, a broken manifest costs one
// finding with a count, and the referenced manifest is walked forward only.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CarriedCheck } from '../../src/verify/carried-check.js';
import { formatManifestLineV2, MANIFEST_COLUMNS_V2, MANIFEST_HEADER, MANIFEST_HEADER_V2, type ManifestEntry } from '../../src/layout/manifest.js';
import type { Finding } from '../../src/core/findings.js';
import { gzipSync } from 'node:zlib';

const F = '2030-01-01T000000Z';
const BAD = '2030-01-02T000000Z'; // its manifest is version 1: no base
const GONE = '2030-01-02T120000Z'; // in the chain, not on the drive
const SELF = '2030-01-03T000000Z';
const H = (c: string) => c.repeat(64);

const file = (path: string, offset: number, extra: Partial<ManifestEntry> = {}): ManifestEntry & { offset: number } =>
  ({ type: 'file', path, mode: 0o644, uid: 1, gid: 1, size: 10, mtime: 1000, sha256: H('a'), offset, ...extra });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carried-check-'));
  await mkdir(join(dir, F));
  const lines = [
    { type: 'dir', path: 'src', mode: 0o755, uid: 1, gid: 1, size: 0, mtime: 1000, offset: 0 } as ManifestEntry & { offset: number },
    file('src/a', 512), file('src/b', 2048), file('src/c', 4096), file('src/d', 8192, { in: '2029-12-31T000000Z' }),
  ];
  await writeFile(join(dir, F, 'MANIFEST.tsv.gz'), gzipSync(`${MANIFEST_HEADER_V2}\n${MANIFEST_COLUMNS_V2}\n${lines.map(formatManifestLineV2).join('')}`));
  await mkdir(join(dir, BAD));
  await writeFile(join(dir, BAD, 'MANIFEST.tsv.gz'), gzipSync(`${MANIFEST_HEADER}\n`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(lines: ManifestEntry[]): Promise<{ findings: Finding[]; members: [string, string, string][]; count: number }> {
  const findings: Finding[] = [];
  const members: [string, string, string][] = [];
  const c = new CarriedCheck({ id: SELF, chain: [F, BAD, GONE, SELF], dirOf: (id) => (id === F || id === BAD ? join(dir, id) : undefined) },
    findings, (member, code, message) => members.push([member, code, message]));
  for (const l of lines) await c.check(l);
  c.finish();
  return { findings, members, count: c.count };
}

describe('CarriedCheck', () => {
  it('accepts lines that match the holder\'s own lines', async () => {
    const r = await check([file('src/a', 512, { in: F }), file('src/c', 4096, { in: F })]);
    expect(r.members).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.count).toBe(2);
  });

  it('names each disagreement: offset, hash, header, a missing line, content that is not there', async () => {
    const r = await check([
      file('src/a', 1024, { in: F }),
      file('src/b', 2048, { in: F, sha256: H('b'), mode: 0o600 }),
      file('src/bb', 3072, { in: F }),
      file('src/d', 8192, { in: F }),
    ]);
    expect(r.members.map(([m, c]) => [m, c])).toEqual([['src/a', 'carried-mismatch'], ['src/b', 'carried-mismatch'], ['src/bb', 'carried-mismatch'], ['src/d', 'carried-mismatch']]);
    expect(r.members[0]![2]).toContain('offset 1024 here, 512 there');
    expect(r.members[1]![2]).toContain(`sha256 ${H('b')} here, ${H('a')} there; mode 600 here, 644 there`);
    expect(r.members[2]![2]).toContain('does not list it');
    expect(r.members[3]![2]).toContain('says its content is in 2029-12-31T000000Z instead');
  });

  it('a snapshot not earlier in the chain, and a folder said to be carried, are damage', async () => {
    const r = await check([file('src/a', 512, { in: SELF }), file('src/a', 512, { in: '2031-01-01T000000Z' }), { ...file('src', 0, { in: F }), type: 'dir', sha256: undefined }]);
    expect(r.members.map(([, c]) => c)).toEqual(['carried-not-in-chain', 'carried-not-in-chain', 'carried-mismatch']);
  });

  it('a holder whose manifest cannot be read costs one finding, with the count of files not checked', async () => {
    const r = await check([file('src/a', 512, { in: BAD }), file('src/b', 2048, { in: BAD }), file('src/c', 4096, { in: F })]);
    expect(r.members).toEqual([]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ code: 'carried-unchecked', link: BAD });
    expect(r.findings[0]!.message).toMatch(/^2 file\(s\) carried from snapshot 2030-01-02T000000Z could not be checked: its MANIFEST.tsv.gz cannot be read: line 1/);
  });

  it('a holder not on the drive is left to the chain check', async () => {
    const r = await check([file('src/a', 512, { in: F }), file('src/x', 0, { in: GONE })]);
    expect(r.members).toEqual([]);
    expect(r.findings).toEqual([]);
  });
});
