// One member read from its offset alone (layout/member-at.ts), in a tarball made by GNU tar (pax,
// long and odd names, an empty file, a 3 MiB file, links) and in the same tarball cut into 1 MiB
// parts: every member comes back whole and alike; an offset that is not a member's is refused.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMemberAt } from '../../src/layout/member-at.js';
import { TarFormatError, TarReader, type TarEntry } from '../../src/layout/tar-reader.js';
import { Mulberry32 } from '../helpers/prng.js';

let dir: string;
let tarball: string;
let parts: string[];
const members: { entry: TarEntry; sha256: string }[] = [];
let endAt = -1;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-member-at-'));
  const src = join(dir, 'src');
  await mkdir(join(src, 'docs', 'deep'), { recursive: true });
  const big = Buffer.alloc(3 * 1024 * 1024 + 123);
  const rng = new Mulberry32(7);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(rng.next(), Math.min(i, big.length - 4));
  await writeFile(join(src, 'a-big.bin'), big);
  await writeFile(join(src, 'empty'), '');
  await writeFile(join(src, 'docs', `${'long-name-'.repeat(20)}.txt`), 'a name longer than 100 bytes\n');
  await writeFile(join(src, 'docs', 'new\nline é.txt'), 'odd name\n');
  await writeFile(join(src, 'docs', 'deep', 'small.txt'), 'small\n');
  await symlink('../a-big.bin', join(src, 'docs', 'link'));
  await link(join(src, 'docs', 'deep', 'small.txt'), join(src, 'hard'));
  tarball = join(dir, 'T.tar');
  // Sorted by name, so that the big file comes early and the members after it start in later parts.
  execFileSync('tar', ['--format=pax', '--sort=name', '-cf', tarball, '-C', src, '.']);
  const bytes = await readFile(tarball);
  let cur: { entry: TarEntry; hash: ReturnType<typeof createHash> } | undefined;
  const reader = new TarReader({
    entry: (e) => (cur = { entry: e, hash: createHash('sha256') }),
    data: (c) => cur!.hash.update(c),
    entryEnd: () => members.push({ entry: cur!.entry, sha256: cur!.hash.digest('hex') }),
  });
  reader.write(bytes);
  endAt = reader.endAt;
  await mkdir(join(dir, 'parts'));
  execFileSync('split', ['-b', '1M', '-d', '-a', '3', tarball, join(dir, 'parts', 'T.tar.')]);
  parts = (await readdir(join(dir, 'parts'))).sort().map((n) => join(dir, 'parts', n));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function read(files: string[], offset: number, partSize?: number) {
  const h = createHash('sha256');
  const entry = await readMemberAt({ files, partSize }, offset, (c) => h.update(c));
  return { entry, sha256: h.digest('hex') };
}

describe('readMemberAt', () => {
  it('the tarball holds members with pax headers, links and a body that spans parts', () => {
    expect(parts.length).toBeGreaterThan(3);
    expect(members.filter((m) => m.entry.offset > 3 * 1024 * 1024).length).toBeGreaterThan(3);
    expect(members.some((m) => m.entry.path.includes('long-name-'))).toBe(true);
    expect(members.some((m) => m.entry.type === 'Link')).toBe(true);
  });

  it("reads every member from its offset alone, whole tarball and parts alike", async () => {
    for (const m of members) {
      for (const [files, partSize] of [[[tarball], undefined], [parts, 1024 * 1024]] as const) {
        const got = await read([...files], m.entry.offset, partSize);
        expect(got.entry, m.entry.path).toEqual(m.entry);
        expect(got.sha256, m.entry.path).toBe(m.sha256);
      }
    }
  });

  it('refuses an offset that is not where a member starts', async () => {
    const big = members.find((m) => m.entry.path.endsWith('a-big.bin'))!.entry;
    await expect(read([tarball], big.offset + 2048)).rejects.toBeInstanceOf(TarFormatError); // inside its data
    await expect(read([tarball], big.offset + 100)).rejects.toThrow('is not a multiple of 512');
    await expect(read([tarball], endAt)).rejects.toThrow('the end-of-archive marker, not a member');
    await expect(read(parts.slice(0, 2), big.offset, 1024 * 1024)).rejects.toThrow('the tarball ends in the middle of the member');
  });
});
