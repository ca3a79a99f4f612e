import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, TarReader, type TarEntry } from '../../src/layout/tar-reader.js';

const LONG_DIR = 'deep/' + 'd'.repeat(70);
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(60)}.txt`; // 'src/' + this is 144 bytes
const UNICODE = 'résumé 日本語 🎉.txt';
const MTIME = 1_790_000_000;

/** Deterministic bytes that are not all the same (so misplaced slices show). */
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff));

const CONTENT: Record<string, Buffer> = {
  [LONG_FILE]: Buffer.from('in a deep folder\n'),
  [UNICODE]: Buffer.from('unicode ✓'),
  empty: Buffer.alloc(0),
  f513: bytes(513, 1),
  f512: bytes(512, 2),
  big: bytes(140_000, 3), // spans several 65536-byte chunks
};

interface Seen {
  entry: TarEntry;
  data: Buffer;
}

let dir: string;
let archive: Buffer;
let headers: { offset: number; type: string; name: string; size: number }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-tar-'));
  const src = join(dir, 'src');
  await mkdir(join(src, LONG_DIR), { recursive: true });
  for (const [name, content] of Object.entries(CONTENT)) await writeFile(join(src, name), content);
  await symlink('../somewhere/else', join(src, 'link'));
  await link(join(src, 'f513'), join(src, 'hard'));
  for (const p of [...Object.keys(CONTENT), LONG_DIR, 'deep', '.']) await utimes(join(src, p), MTIME, MTIME);
  execFileSync('tar', ['--format=pax', '--sort=name', '-cf', 'a.tar', 'src'], {
    cwd: dir,
    env: { ...process.env, LC_ALL: 'C.UTF-8' },
  });
  archive = await readFile(join(dir, 'a.tar'));

  // An independent walk over the raw headers, to know where each one is.
  headers = [];
  for (let o = 0; o < archive.length; ) {
    const block = archive.subarray(o, o + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(block.toString('latin1', 124, 136).replace(/[\0 ]/g, '') || '0', 8);
    headers.push({ offset: o, type: String.fromCharCode(block[156]!), name: block.toString('utf8', 0, 100).replace(/\0+$/, ''), size });
    o += 512 + Math.ceil(size / 512) * 512;
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Feeds buf to a fresh reader in chunks of `size` bytes; collects entries and their data. */
function readAll(buf: Buffer, size: number, opts: { end?: boolean } = {}): { seen: Seen[]; reader: TarReader } {
  const seen: Seen[] = [];
  let current: { entry: TarEntry; parts: Buffer[] } | undefined;
  const reader = new TarReader({
    entry: (entry) => {
      if (current) throw new Error('entry() before the previous entryEnd()');
      current = { entry, parts: [] };
    },
    data: (chunk) => {
      if (!current) throw new Error('data() outside an entry');
      if (chunk.length === 0) throw new Error('empty data chunk');
      current.parts.push(Buffer.from(chunk)); // copy: the reader hands out slices
    },
    entryEnd: () => {
      if (!current) throw new Error('entryEnd() without entry()');
      seen.push({ entry: current!.entry, data: Buffer.concat(current!.parts) });
      current = undefined;
    },
  });
  for (let i = 0; i < buf.length; i += size) reader.write(buf.subarray(i, i + size));
  if (opts.end !== false) reader.end();
  return { seen, reader };
}

const CHUNK_SIZES = [1, 511, 512, 513, 65536];

describe('TarReader on an archive made by GNU tar', () => {
  it('the archive really exercises pax headers and the ustar name limit', () => {
    expect(`src/${LONG_FILE}`.length).toBeGreaterThan(100);
    expect(headers.some((h) => h.type === 'x')).toBe(true);
    // The ustar name field of the long file is truncated: only the pax record has the path.
    const longHeader = headers.find((h) => h.type === '0' && h.name.startsWith('src/deep/'))!;
    expect(longHeader.name).not.toBe(`src/${LONG_FILE}`);
  });

  it('reports every member with the right path, type, size, link and metadata', () => {
    const { seen, reader } = readAll(archive, 65536);
    expect(reader.ended).toBe(true);
    expect(reader.trailingGarbageAt).toBe(-1);
    expect(reader.entries).toBe(seen.length);
    const uid = process.getuid!();
    const gid = process.getgid!();

    const summary = seen.map(({ entry: e }) => ({ path: e.path, type: e.type, size: e.size, linkpath: e.linkpath }));
    expect(summary).toEqual([
      { path: 'src', type: 'Directory', size: 0, linkpath: undefined },
      { path: 'src/big', type: 'File', size: 140_000, linkpath: undefined },
      { path: 'src/deep', type: 'Directory', size: 0, linkpath: undefined },
      { path: `src/${LONG_DIR}`, type: 'Directory', size: 0, linkpath: undefined },
      { path: `src/${LONG_FILE}`, type: 'File', size: CONTENT[LONG_FILE]!.length, linkpath: undefined },
      { path: 'src/empty', type: 'File', size: 0, linkpath: undefined },
      { path: 'src/f512', type: 'File', size: 512, linkpath: undefined },
      { path: 'src/f513', type: 'File', size: 513, linkpath: undefined },
      { path: 'src/hard', type: 'Link', size: 0, linkpath: 'src/f513' },
      { path: 'src/link', type: 'SymbolicLink', size: 0, linkpath: '../somewhere/else' },
      { path: `src/${UNICODE}`, type: 'File', size: CONTENT[UNICODE]!.length, linkpath: undefined },
    ]);
    for (const { entry: e } of seen) {
      expect(e.uid, e.path).toBe(uid);
      expect(e.gid, e.path).toBe(gid);
      if (e.type !== 'SymbolicLink') expect(e.mtime, e.path).toBe(MTIME);
    }
    expect(seen.find((s) => s.entry.path === 'src/link')!.entry.mode).toBe(0o777);
  });

  it('each member offset is the offset of its first header (the pax header, if any)', () => {
    const { seen } = readAll(archive, 512);
    const starts: number[] = [];
    for (const [i, h] of headers.entries()) if (i === 0 || headers[i - 1]!.type !== 'x') starts.push(h.offset);
    expect(seen.map((s) => s.entry.offset)).toEqual(starts);
  });

  it('delivers exactly the file contents', () => {
    const { seen } = readAll(archive, 65536);
    for (const [name, content] of Object.entries(CONTENT)) {
      const s = seen.find((x) => x.entry.path === `src/${name}`);
      expect(s, name).toBeDefined();
      expect(s!.data.equals(content), name).toBe(true);
    }
    for (const s of seen) if (s.entry.type !== 'File') expect(s.data.length, s.entry.path).toBe(0);
  });

  for (const size of CHUNK_SIZES) {
    it(`gives the same entries and bytes when fed in ${size}-byte chunks`, () => {
      const reference = readAll(archive, archive.length).seen;
      const { seen, reader } = readAll(archive, size);
      expect(reader.ended).toBe(true);
      expect(seen.map((s) => s.entry)).toEqual(reference.map((s) => s.entry));
      expect(seen.map((s) => s.data.toString('base64'))).toEqual(reference.map((s) => s.data.toString('base64')));
      expect(seen.find((s) => s.entry.path === 'src/big')!.data.equals(CONTENT.big!)).toBe(true);
    });
  }

  it('gives the same result with irregular chunk sizes', () => {
    const reference = readAll(archive, archive.length).seen;
    const seen: Seen[] = [];
    let cur: { entry: TarEntry; parts: Buffer[] } | undefined;
    const reader = new TarReader({
      entry: (entry) => (cur = { entry, parts: [] }),
      data: (c) => cur!.parts.push(Buffer.from(c)),
      entryEnd: () => seen.push({ entry: cur!.entry, data: Buffer.concat(cur!.parts) }),
    });
    const sizes = [0, 3, 509, 1, 1024, 7, 0, 4093, 65537, 2];
    for (let i = 0, k = 0; i < archive.length; k++) {
      const n = sizes[k % sizes.length]!;
      reader.write(archive.subarray(i, i + n));
      i += n;
    }
    reader.end();
    expect(seen).toEqual(reference);
  });
});

describe('TarReader end of archive', () => {
  it('a clean archive: end() does not throw, trailing zero padding is not garbage', () => {
    const { reader } = readAll(archive, 4096, { end: false });
    expect(reader.ended).toBe(true);
    expect(() => reader.end()).not.toThrow();
    expect(reader.trailingGarbageAt).toBe(-1);
  });

  it('reports where non-zero bytes follow the end marker', () => {
    const lastHeader = headers[headers.length - 1]!;
    const endMarker = lastHeader.offset + 512 + Math.ceil(lastHeader.size / 512) * 512;
    const garbageAt = endMarker + 1024 + 100;
    const damaged = Buffer.from(archive);
    damaged[garbageAt] = 0x41;
    for (const size of [1, 512, 65536]) {
      const { reader, seen } = readAll(damaged, size);
      expect(reader.ended).toBe(true);
      expect(reader.trailingGarbageAt).toBe(garbageAt);
      expect(seen).toHaveLength(11);
    }
  });

  it('truncated archives make end() throw TarFormatError', () => {
    const f513 = headers.find((h) => h.type === '0' && h.name === 'src/f513')!;
    const lastHeader = headers[headers.length - 1]!;
    const endMarker = lastHeader.offset + 512 + Math.ceil(lastHeader.size / 512) * 512;
    const cuts = [
      0, // empty input
      100, // inside the first header
      512, // after a pax header, before its body
      f513.offset + 300, // inside a header
      f513.offset + 512, // after a header, before its body
      f513.offset + 512 + 200, // inside a body
      f513.offset + 512 + 513, // inside the padding after a body
      endMarker, // after the last member, no end marker
      endMarker + 512, // only one of the two zero blocks
      endMarker + 1000, // in the middle of the second zero block
    ];
    for (const cut of cuts) {
      for (const size of [1, 512, 65536]) {
        const { reader } = readAll(archive.subarray(0, cut), size, { end: false });
        expect(reader.ended, `cut at ${cut}`).toBe(false);
        let err: unknown;
        try {
          reader.end();
        } catch (e) {
          err = e;
        }
        expect(err, `cut at ${cut}, chunks of ${size}`).toBeInstanceOf(TarFormatError);
        expect((err as TarFormatError).offset).toBeLessThanOrEqual(cut);
      }
    }
  });

  it('a lone zero block between members is a format error', () => {
    const f513 = headers.find((h) => h.type === 'x' && h.name === 'src/PaxHeaders/f513')!;
    const damaged = Buffer.concat([archive.subarray(0, f513.offset), Buffer.alloc(512), archive.subarray(f513.offset)]);
    expect(() => readAll(damaged, 512)).toThrow(TarFormatError);
    try {
      readAll(damaged, 512);
    } catch (e) {
      expect((e as TarFormatError).offset).toBe(f513.offset);
    }
  });
});

describe('TarReader on a damaged header', () => {
  const expectHeaderError = (at: number, flip: number, sizes = CHUNK_SIZES) => {
    const damaged = Buffer.from(archive);
    damaged[at + flip] = damaged[at + flip]! ^ 0x01;
    for (const size of sizes) {
      let err: unknown;
      let before = -1;
      const seen: string[] = [];
      const reader = new TarReader({ entry: (e) => seen.push(e.path), data: () => {}, entryEnd: () => {} });
      try {
        for (let i = 0; i < damaged.length; i += size) reader.write(damaged.subarray(i, i + size));
      } catch (e) {
        err = e;
        before = seen.length;
      }
      expect(err, `chunks of ${size}`).toBeInstanceOf(TarFormatError);
      expect((err as TarFormatError).offset, `chunks of ${size}`).toBe(at);
      expect((err as Error).message).toMatch(/checksum/);
      expect(before).toBeGreaterThanOrEqual(0);
    }
  };

  it('a flipped byte in a member header: write throws with that header\'s offset', () => {
    const f513 = headers.find((h) => h.type === '0' && h.name === 'src/f513')!;
    expectHeaderError(f513.offset, 5); // in the name field
  });

  it('a flipped byte in the mode field of the unicode file\'s header', () => {
    const h = headers.find((x) => x.type === '0' && x.name.startsWith('src/r'))!;
    expectHeaderError(h.offset, 101);
  });

  it('a flipped byte in a pax header', () => {
    const pax = headers.find((h) => h.type === 'x' && h.name.includes('PaxHeaders/fff'))!;
    expectHeaderError(pax.offset, 20);
  });

  it('a flipped byte in the very first header', () => {
    expectHeaderError(0, 0);
  });

  it('the members before the damage are still reported', () => {
    const f513 = headers.find((h) => h.type === '0' && h.name === 'src/f513')!;
    const damaged = Buffer.from(archive);
    damaged[f513.offset + 3]! ^= 0x01;
    const seen: string[] = [];
    const reader = new TarReader({ entry: (e) => seen.push(e.path), data: () => {}, entryEnd: () => {} });
    expect(() => reader.write(damaged)).toThrow(TarFormatError);
    expect(seen).toEqual(['src', 'src/big', 'src/deep', `src/${LONG_DIR}`, `src/${LONG_FILE}`, 'src/empty', 'src/f512']);
  });

  it('a malformed pax record is a TarFormatError at the pax body\'s offset', () => {
    const pax = headers.find((h) => h.type === 'x' && h.name === 'src/PaxHeaders/f513')!;
    const damaged = Buffer.from(archive);
    // Replace the first digit of the first record's length with a letter. The pax header's
    // checksum does not cover its body, so only the pax parser can notice.
    expect(damaged[pax.offset + 512]).toBeGreaterThanOrEqual(0x30);
    damaged[pax.offset + 512] = 0x41;
    for (const size of [1, 512, 65536]) {
      let err: unknown;
      try {
        readAll(damaged, size);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TarFormatError);
      expect((err as TarFormatError).offset).toBe(pax.offset + 512);
    }
  });
});
