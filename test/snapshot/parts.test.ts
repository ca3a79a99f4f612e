// The tarball in parts (FAT drives): the split writer, the names of the parts, the size parser
// behind --part-size, the FAT detection, and what writeSnapshot/verifySnapshot make of parts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AirgapError } from '../../src/core/errors.js';
import { parseByteSize } from '../../src/core/byte-size.js';
import {
  FAT_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, partName, SNAPSHOT_JSON, snapshotMetaSchema, SUMS_FILE, tarballFiles, tarballName,
} from '../../src/layout/format.js';
import { parse } from '../../src/core/validate.js';
import { formatSumLine, parseSumFile } from '../../src/layout/sha256sums.js';
import { hasFatFileLimit, isFatType } from '../../src/drives/file-size-limit.js';
import { ThreadHasher, type Hasher } from '../../src/io/hash-thread.js';
import { HashedWriter, type Written } from '../../src/io/hashed-writer.js';
import { writeSnapshot, type WriteSnapshotInput } from '../../src/snapshot/write-snapshot.js';
import { verifySnapshot } from '../../src/verify/verify-snapshot.js';
import { makeTree } from '../helpers/tree.js';
import { writeInputFor } from '../helpers/write-input.js';

/** The compiled hashing thread (built by `npm test` before vitest runs). */
const HASH_WORKER = resolve(import.meta.dirname, '../../dist/io/hash-worker.js');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const KiB = 1024;
const MiB = 1024 * 1024;
const GiB = 1024 ** 3;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airgap-parts-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let seq = 0;
/** A fresh empty folder for one writer. */
async function freshDir(): Promise<string> {
  const d = join(root, `w${seq++}`);
  await mkdir(d);
  return d;
}

type Piece = { kind: 'write' | 'zeros' | 'commit'; n: number };

/**
 * Feeds `data` to the writer in the given piece sizes, through the three ways archive.ts uses:
 * write(), writeZeros() (for runs of zeros in data) and filling buffer[pos..] + commit().
 */
async function feed(w: HashedWriter, data: Buffer, pieces: number[], modes: Piece['kind'][] = ['write']): Promise<void> {
  let off = 0;
  let i = 0;
  while (off < data.length) {
    const n = Math.min(pieces[i % pieces.length]!, data.length - off);
    const mode = modes[i % modes.length]!;
    const slice = data.subarray(off, off + n);
    if (mode === 'zeros' && slice.every((b) => b === 0)) await w.writeZeros(n);
    else if (mode === 'commit') {
      // Fill directly, at most what the active buffer holds, flushing when full.
      let left = slice;
      while (left.length > 0) {
        if (w.room === 0) await w.flush();
        const k = Math.min(left.length, w.room);
        left.copy(w.buffer, w.pos, 0, k);
        w.commit(k);
        left = left.subarray(k);
      }
    } else await w.write(slice);
    off += n;
    i++;
  }
}

/** Writes `data` through a split writer and returns what finish() said plus the folder's files. */
async function split(data: Buffer, chunkSize: number, partSize: number, pieces: number[] = [997], modes?: Piece['kind'][], hasher?: Hasher) {
  const dir = await freshDir();
  const path = join(dir, 'X.tar');
  const w = await HashedWriter.create(path, chunkSize, { partSize, maxParts: Infinity }, hasher);
  await feed(w, data, pieces, modes);
  const done = await w.finish();
  const files = (await readdir(dir)).sort();
  return { dir, path, done, files };
}

/** Every invariant of a split (or unsplit) output, checked against the bytes on disk. */
async function expectSound(data: Buffer, partSize: number, r: Awaited<ReturnType<typeof split>>): Promise<void> {
  const { dir, done, files } = r;
  expect(done.size).toBe(data.length);
  expect(done.sha256).toBe(sha256(data));
  const n = Math.ceil(data.length / partSize);
  if (n <= 1) {
    // Fits in one part: the plain name, no parts at all.
    expect(files).toEqual(['X.tar']);
    expect(done.parts).toBeUndefined();
    expect(await readFile(join(dir, 'X.tar'))).toEqual(data);
    return;
  }
  const names = Array.from({ length: n }, (_, i) => `X.tar.${String(i).padStart(3, '0')}`);
  expect(files, `${data.length} bytes in parts of ${partSize}`).toEqual(names);
  expect(done.parts!.map((p) => basename(p.path))).toEqual(names);
  expect(done.parts!.map((p) => p.path)).toEqual(names.map((x) => join(dir, x)));
  const contents = await Promise.all(names.map((x) => readFile(join(dir, x))));
  for (const [i, c] of contents.entries()) {
    const expectedSize = i < n - 1 ? partSize : data.length - (n - 1) * partSize;
    expect(c.length, names[i]).toBe(expectedSize);
    expect(done.parts![i]!.size, names[i]).toBe(expectedSize);
    expect(done.parts![i]!.sha256, names[i]).toBe(sha256(c));
    expect(c.equals(data.subarray(i * partSize, i * partSize + expectedSize)), `${names[i]} holds the right slice`).toBe(true);
  }
  // The whole stream's hash is the hash of the concatenation (what `cat parts | sha256sum` prints).
  expect(sha256(Buffer.concat(contents))).toBe(done.sha256);
  expect(contents.every((c) => c.length > 0), 'no empty part').toBe(true);
}

describe('HashedWriter with a part size', () => {
  it('part boundaries exactly at chunk boundaries (part = 2 chunks)', async () => {
    const data = randomBytes(5 * 4096);
    const r = await split(data, 4096, 8192, [4096]);
    await expectSound(data, 8192, r);
    expect(r.done.parts!.map((p) => p.size)).toEqual([8192, 8192, 4096]);
  });

  it('part size equal to the chunk size, writes of odd sizes', async () => {
    const data = randomBytes(3 * 4096 + 1);
    const r = await split(data, 4096, 4096, [1, 4095, 4097, 333]);
    await expectSound(data, 4096, r);
    expect(r.done.parts!.map((p) => p.size)).toEqual([4096, 4096, 4096, 1]);
  });

  it('a chunk straddling several parts (part size smaller than the chunk size)', async () => {
    const data = randomBytes(25_000);
    const r = await split(data, 10_000, 3000, [25_000]);
    await expectSound(data, 3000, r);
    expect(r.done.parts!.map((p) => p.size)).toEqual([3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 1000]);
  });

  it('a chunk straddling parts, fed through write(), writeZeros() and buffer+commit()', async () => {
    const data = Buffer.concat([randomBytes(7000), Buffer.alloc(9000), randomBytes(5123), Buffer.alloc(512)]);
    const r = await split(data, 8192, 1500, [700, 9000, 512, 4000], ['write', 'zeros', 'commit', 'zeros']);
    await expectSound(data, 1500, r);
  });

  it('a total of exactly N × the part size: N full parts, no empty trailing part', async () => {
    for (const [chunk, part, n] of [[4096, 4096, 3], [4096, 8192, 2], [10_000, 3000, 7], [1000, 3000, 4]] as const) {
      const data = randomBytes(part * n);
      const r = await split(data, chunk, part, [777]);
      await expectSound(data, part, r);
      expect(r.files, `chunk ${chunk}, part ${part}`).toHaveLength(n);
      expect(r.done.parts!.every((p) => p.size === part)).toBe(true);
    }
  });

  it('a total below the part size, or exactly the part size, is one plain file without parts', async () => {
    for (const [size, chunk, part] of [[1, 4096, 4096], [4095, 4096, 4096], [4096, 4096, 4096], [2000, 512, 3000], [3000, 512, 3000]] as const) {
      const data = randomBytes(size);
      const r = await split(data, chunk, part, [100]);
      expect(r.files, `${size} bytes, part ${part}`).toEqual(['X.tar']);
      expect(r.done).toEqual({ sha256: sha256(data), size } satisfies Written);
    }
  });

  it('any chunk size, part size and write pattern (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12_000 }), // total
        fc.integer({ min: 16, max: 5000 }), // chunk
        fc.integer({ min: 256, max: 5000 }), // part
        fc.array(fc.integer({ min: 1, max: 6000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom<Piece['kind']>('write', 'zeros', 'commit'), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (total, chunk, part, pieces, modes, zeros) => {
          const data = zeros ? Buffer.alloc(total) : randomBytes(total);
          const r = await split(data, chunk, part, pieces, modes);
          await expectSound(data, part, r);
          await rm(r.dir, { recursive: true });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hashed on another thread (as backup does): the same parts and hashes (property)', async () => {
    const worker = new Worker(HASH_WORKER);
    try {
      const hasher = new ThreadHasher(worker);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 12_000 }), fc.integer({ min: 16, max: 5000 }), fc.integer({ min: 256, max: 20_000 }),
          fc.array(fc.integer({ min: 1, max: 6000 }), { minLength: 1, maxLength: 6 }),
          fc.array(fc.constantFrom<Piece['kind']>('write', 'zeros', 'commit'), { minLength: 1, maxLength: 4 }),
          async (total, chunk, part, pieces, modes) => {
            const data = randomBytes(total);
            const r = await split(data, chunk, part, pieces, modes, hasher);
            await expectSound(data, part, r);
            await rm(r.dir, { recursive: true });
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await worker.terminate();
    }
  });

  it('without a part size nothing is split, however large the output', async () => {
    const dir = await freshDir();
    const w = await HashedWriter.create(join(dir, 'X.tar'), 1024);
    const data = randomBytes(50_000);
    await feed(w, data, [3000]);
    const done = await w.finish();
    expect(done).toEqual({ sha256: sha256(data), size: data.length });
    expect(await readdir(dir)).toEqual(['X.tar']);
  });

  it('more parts than allowed: a refusal (exit 4) with a hint, at exactly max + 1 parts', async () => {
    // Exactly maxParts parts is fine.
    const okDir = await freshDir();
    const ok = await HashedWriter.create(join(okDir, 'X.tar'), 64, { partSize: 100, maxParts: 3 });
    await feed(ok, randomBytes(300), [50]);
    expect((await ok.finish()).parts).toHaveLength(3);

    const dir = await freshDir();
    const w = await HashedWriter.create(join(dir, 'X.tar'), 64, { partSize: 100, maxParts: 3 });
    let err: unknown;
    try {
      await feed(w, randomBytes(301), [50]);
      await w.finish();
    } catch (e) {
      err = e;
    }
    await w.abandon(); // never throws, even after the refusal
    expect(err).toBeInstanceOf(AirgapError);
    expect(err).toMatchObject({ code: 'too-many-parts', exitCode: 4 });
    expect((err as AirgapError).message).toMatch(/more than 3 parts of 100 bytes/);
    expect((err as AirgapError).hint).toMatch(/--part-size/);
    // It stops before opening a part beyond the limit.
    expect((await readdir(dir)).sort()).toEqual(['X.tar.000', 'X.tar.001', 'X.tar.002']);
  });

  it('refuses to overwrite: a part name that already exists fails the write', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'X.tar.001'), 'someone else');
    const w = await HashedWriter.create(join(dir, 'X.tar'), 64, { partSize: 100, maxParts: 10 });
    await expect((async () => {
      await feed(w, randomBytes(250), [64]);
      await w.finish();
    })()).rejects.toMatchObject({ code: 'EEXIST' });
    await w.abandon();
    expect(await readFile(join(dir, 'X.tar.001'), 'utf8')).toBe('someone else');
  });
});

describe('part names', () => {
  const ID = '2026-11-21T093000Z';

  it('partName pads to three digits, and every allowed part has a three-digit name', () => {
    expect(partName(ID, 0)).toBe(`${ID}.tar.000`);
    expect(partName(ID, 7)).toBe(`${ID}.tar.007`);
    expect(partName(ID, 42)).toBe(`${ID}.tar.042`);
    expect(partName(ID, MAX_PARTS - 1)).toBe(`${ID}.tar.999`);
    expect(tarballFiles(ID, [partName(ID, MAX_PARTS - 1)])).toEqual([`${ID}.tar.999`]);
  });

  it('tarballFiles: the plain tarball alone when present', () => {
    expect(tarballFiles(ID, ['MANIFEST.tsv', `${ID}.tar`, `${ID}.tar.000`, `${ID}.tar.001`, SUMS_FILE])).toEqual([`${ID}.tar`]);
  });

  it('tarballFiles: the parts, in numeric order, nothing else', () => {
    const names = [
      `${ID}.tar.010`, `${ID}.tar.002`, 'MANIFEST.tsv', `${ID}.tar.000`, `${ID}.tar.001`, 'FILES.sha256', SNAPSHOT_JSON,
      `${ID}.tar.1`, `${ID}.tar.0000`, `${ID}.tar.abc`, `${ID}.tar.000.bak`, `${ID}.tar.00a`, `${ID}.tar.`, `${ID}.tar.-01`,
      `${ID}.tar.009`, `2026-11-21T093000Z-2.tar.003`, `x${ID}.tar.004`, `${ID}.tgz.005`, `${ID}.tar.000 `, `${ID}.tar.\u0661\u0662\u0663`,
    ];
    expect(tarballFiles(ID, names)).toEqual([`${ID}.tar.000`, `${ID}.tar.001`, `${ID}.tar.002`, `${ID}.tar.009`, `${ID}.tar.010`]);
    // Any iterable, e.g. a Map's keys (how verify calls it).
    expect(tarballFiles(ID, new Map(names.map((n) => [n, 1])).keys())).toHaveLength(5);
  });

  it('tarballFiles: a snapshot with a suffix only takes its own parts', () => {
    const id2 = `${ID}-2`;
    expect(tarballFiles(id2, [`${ID}.tar.000`, `${id2}.tar.001`, `${id2}.tar.000`])).toEqual([`${id2}.tar.000`, `${id2}.tar.001`]);
    expect(tarballFiles(ID, [`${id2}.tar.000`])).toEqual([]);
  });

  it('tarballFiles: nothing when there is no tarball', () => {
    expect(tarballFiles(ID, [])).toEqual([]);
    expect(tarballFiles(ID, ['MANIFEST.tsv', SUMS_FILE, `${ID}.tar.gz`])).toEqual([]);
  });

  it('the FAT part size fits in a FAT32 file and is a multiple of 64 KiB', () => {
    expect(FAT_PART_SIZE).toBeLessThanOrEqual(4 * GiB - 1);
    expect(FAT_PART_SIZE % (64 * KiB)).toBe(0);
    expect(FAT_PART_SIZE).toBeGreaterThan(4 * GiB - MiB);
    expect(MIN_PART_SIZE).toBe(MiB);
    // MAX_PARTS FAT parts hold more than the largest FAT32 volume (2 TiB with 512-byte sectors).
    expect(MAX_PARTS * FAT_PART_SIZE).toBeGreaterThan(2 * 1024 ** 4);
  });
});

describe('parseByteSize', () => {
  const table: [string, number | undefined][] = [
    ['1048576', 1048576],
    ['1', 1],
    ['1b', 1],
    ['512B', 512],
    ['1k', KiB],
    ['1K', KiB],
    ['1KiB', KiB],
    ['1kb', KiB],
    ['100M', 100 * MiB],
    ['100m', 100 * MiB],
    ['100MiB', 100 * MiB],
    ['100MB', 100 * MiB],
    ['2G', 2 * GiB],
    ['4G', 4 * GiB],
    ['4GiB', 4 * GiB],
    ['4gb', 4 * GiB],
    ['1.5g', Math.floor(1.5 * GiB)],
    ['0.5M', 512 * KiB],
    ['1T', 1024 ** 4],
    [' 2 M ', 2 * MiB],
    ['4 GiB', 4 * GiB],
    ['', undefined],
    ['   ', undefined],
    ['banana', undefined],
    ['M', undefined],
    ['0', undefined],
    ['0M', undefined],
    ['0.0001', undefined], // rounds down to 0 bytes
    ['-1M', undefined],
    ['+1M', undefined],
    ['1.5.5M', undefined],
    ['1e6', undefined],
    ['0x100', undefined],
    ['4GG', undefined],
    ['4P', undefined],
    ['1,5G', undefined],
    ['4 G B', undefined],
    ['99999999999T', undefined], // not a safe integer
  ];
  it.each(table)('%j → %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });
});

describe('FAT detection', () => {
  const fat = ['vfat', 'fat', 'fat12', 'fat16', 'fat32', 'FAT32', 'VFAT', 'msdos', 'MS-DOS FAT32', 'fuse.fusefat', 'fusefat', ' vfat\n'];
  const notFat = ['exfat', 'fuse.exfat', 'exfat-fuse', 'fuseblk', 'fuse', 'ext4', 'ext2', 'ntfs', 'ntfs3', 'fuse.ntfs-3g', 'btrfs', 'apfs', 'hfs', 'tmpfs', 'vfat2', 'fat64', 'fusefat2', 'xvfat', '', '  '];
  it.each(fat)('isFatType(%j) is true', (t) => expect(isFatType(t)).toBe(true));
  it.each(notFat)('isFatType(%j) is false', (t) => expect(isFatType(t)).toBe(false));
  it('isFatType(undefined) is false', () => expect(isFatType(undefined)).toBe(false));

  it('hasFatFileLimit: a reported FAT type decides on any platform; else only Linux looks at the mount', async () => {
    const dir = await freshDir(); // tmpfs or a disk: not FAT
    expect(await hasFatFileLimit(dir, 'vfat', 'darwin')).toBe(true);
    expect(await hasFatFileLimit(dir, 'msdos', 'win32')).toBe(true);
    expect(await hasFatFileLimit(dir, undefined, 'darwin')).toBe(false);
    expect(await hasFatFileLimit(dir, 'exfat', 'darwin')).toBe(false);
    expect(await hasFatFileLimit(dir, 'exfat', process.platform)).toBe(false);
    expect(await hasFatFileLimit(dir, undefined, process.platform)).toBe(false);
    // A folder that vanished: no answer from statfs, so no limit assumed (and no crash).
    expect(await hasFatFileLimit(join(dir, 'gone'), undefined, process.platform)).toBe(false);
  });
});

describe('writeSnapshot and verifySnapshot with parts', () => {
  let dir: string;
  let input: WriteSnapshotInput;
  const ID = '2026-11-21T093000Z';
  const big = randomBytes(2 * MiB + 12_345);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-parts-ws-'));
    await makeTree(join(dir, 'src'), {
      'a.txt': 'hello\n',
      'big.bin': big,
      sub: { dir: { 'b.txt': 'b'.repeat(3000), link: { symlink: '../a.txt' } } },
    });
    input = await writeInputFor(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes parts, lists each in SHA256SUMS and snapshot.json, and verifies plain and deep', async () => {
    const r = await writeSnapshot({ ...input, partSize: MIN_PART_SIZE });
    if (r.dryRun) throw new Error('not a dry run');
    const files = (await readdir(r.dir)).sort();
    const parts = [partName(ID, 0), partName(ID, 1), partName(ID, 2)];
    expect(files).toEqual([...parts, 'FILES.sha256', 'MANIFEST.tsv', SUMS_FILE, SNAPSHOT_JSON]);
    const contents = await Promise.all(parts.map((p) => readFile(join(r.dir, p))));
    expect(contents.map((c) => c.length).slice(0, 2)).toEqual([MiB, MiB]);
    const whole = Buffer.concat(contents);

    const meta = parse(snapshotMetaSchema, JSON.parse(await readFile(join(r.dir, SNAPSHOT_JSON), 'utf8')));
    expect(meta.tarball).toEqual({
      name: tarballName(ID), size: whole.length, sha256: sha256(whole),
      parts: parts.map((name, i) => ({ name, size: contents[i]!.length, sha256: sha256(contents[i]!) })),
    });
    expect(meta.bytes.tarball).toBe(whole.length);
    expect(r.meta).toEqual(meta);

    const sums = parseSumFile(await readFile(join(r.dir, SUMS_FILE), 'utf8'));
    expect(sums.map((s) => s.name)).toEqual([...parts, 'MANIFEST.tsv', 'FILES.sha256', SNAPSHOT_JSON]);
    expect(sums.slice(0, 3).map((s) => s.sha256)).toEqual(contents.map((c) => sha256(c)));
    expect(sums.some((s) => s.name === tarballName(ID))).toBe(false);

    for (const deep of [false, true]) {
      const v = await verifySnapshot({ id: ID, dir: r.dir, complete: true }, { deep });
      expect(v.findings, `deep=${deep}`).toEqual([]);
      expect(v.status).toBe('ok');
      expect(v.tarFiles).toEqual(parts.map((p) => join(r.dir, p)));
      expect(v.bytesRead).toBe(whole.length);
      if (deep) expect(v.membersChecked).toBe(6); // src, a.txt, big.bin, sub, sub/b.txt, sub/link
    }
  });

  it('a part size larger than the tarball: one plain <ID>.tar and no parts in snapshot.json', async () => {
    await rm(join(dir, 'src', 'big.bin'));
    const r = await writeSnapshot({ ...input, partSize: MIN_PART_SIZE });
    if (r.dryRun) throw new Error('not a dry run');
    expect((await readdir(r.dir)).sort()).toEqual([tarballName(ID), 'FILES.sha256', 'MANIFEST.tsv', SUMS_FILE, SNAPSHOT_JSON]);
    expect(r.meta.tarball).not.toHaveProperty('parts');
    expect((await verifySnapshot({ id: ID, dir: r.dir, complete: true }, { deep: true })).status).toBe('ok');
  });

  it('too many parts: a refusal, and nothing left on the drive', async () => {
    // MAX_PARTS parts of 1 KiB hold 1000 KiB: the 2 MiB file does not fit.
    const err = await writeSnapshot({ ...input, partSize: KiB }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'too-many-parts', exitCode: 4 });
    expect(await readdir(input.airgapDir)).toEqual([]);
  });

  /** Rewrites SHA256SUMS (and optionally snapshot.json) consistently, as a forger or a bad copy would. */
  async function rewrite(snapDir: string, edit: (lines: { sha256: string; name: string }[], meta: Record<string, unknown>) => void, touchMeta: boolean) {
    const sums = parseSumFile(await readFile(join(snapDir, SUMS_FILE), 'utf8'));
    const meta = JSON.parse(await readFile(join(snapDir, SNAPSHOT_JSON), 'utf8')) as Record<string, unknown>;
    edit(sums, meta);
    if (touchMeta) {
      const text = JSON.stringify(meta, null, 2) + '\n';
      await writeFile(join(snapDir, SNAPSHOT_JSON), text);
      sums.find((s) => s.name === SNAPSHOT_JSON)!.sha256 = sha256(text);
    }
    await writeFile(join(snapDir, SUMS_FILE), sums.map(formatSumLine).join(''));
  }

  it('verify: a gap in the listed parts is named even when snapshot.json was rewritten to match', async () => {
    const r = await writeSnapshot({ ...input, partSize: MIN_PART_SIZE });
    await rewrite(r.dir, (lines, meta) => {
      lines.splice(lines.findIndex((l) => l.name === partName(ID, 1)), 1);
      const t = meta.tarball as { parts: { name: string }[] };
      t.parts = t.parts.filter((p) => p.name !== partName(ID, 1));
    }, true);
    const v = await verifySnapshot({ id: ID, dir: r.dir, complete: true }, { deep: false });
    expect(v.status).toBe('damaged');
    expect(v.findings).toContainEqual(expect.objectContaining({ code: 'parts-missing', severity: 'damage', file: SUMS_FILE }));
    expect(v.findings.find((f) => f.code === 'parts-missing')!.message).toContain(partName(ID, 1));
    // The part still on the drive but no longer listed is reported too.
    expect(v.findings).toContainEqual(expect.objectContaining({ code: 'unlisted-file', file: partName(ID, 1) }));
  });

  it('verify: SHA256SUMS and snapshot.json disagreeing on the parts is meta-mismatch', async () => {
    const r = await writeSnapshot({ ...input, partSize: MIN_PART_SIZE });
    // Drop the last part from SHA256SUMS only: no gap, but snapshot.json still lists it.
    await rewrite(r.dir, (lines) => {
      lines.splice(lines.findIndex((l) => l.name === partName(ID, 2)), 1);
    }, false);
    const v = await verifySnapshot({ id: ID, dir: r.dir, complete: true }, { deep: false });
    expect(v.status).toBe('damaged');
    expect(v.findings.map((f) => f.code)).toContain('meta-mismatch');
    expect(v.findings).toContainEqual(expect.objectContaining({ code: 'unlisted-file', file: partName(ID, 2) }));
  });

  it('verify: a part of the wrong size is named with its expected and actual sizes', async () => {
    const r = await writeSnapshot({ ...input, partSize: MIN_PART_SIZE });
    const p1 = join(r.dir, partName(ID, 1));
    const data = await readFile(p1);
    await writeFile(p1, data.subarray(0, data.length - 512));
    const v = await verifySnapshot({ id: ID, dir: r.dir, complete: true }, { deep: false });
    expect(v.status).toBe('damaged');
    expect(v.findings).toContainEqual(expect.objectContaining({
      code: 'size-mismatch', file: partName(ID, 1), expected: String(MiB), actual: String(MiB - 512),
    }));
    expect(v.findings).toContainEqual(expect.objectContaining({ code: 'size-mismatch', file: SNAPSHOT_JSON }));
  });
});
