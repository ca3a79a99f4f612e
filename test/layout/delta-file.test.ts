// The current content of a delta'd file (layout/delta-file.ts), from real tarballs: a base copy in
// one snapshot, a link that shrinks the file in a second, a link that grows it again in a third.
// The bytes streamed are the file's last version, built here by editing a Buffer, whole tarballs
// and parts alike; a member with the wrong name or size, an offset where no member starts, a
// tarball cut short, a manifest that a stock restore would read differently, and a part file
// that is a symlink are each refused, naming the tarball and the byte.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaFileError, memberHeaderAt, readDeltaFile } from '../../src/layout/delta-file.js';
import { NotRegularFileError } from '../../src/io/read-regular.js';
import { formatManifestLineV2, parseManifestLineV2, type DeltaLink, type ManifestEntry } from '../../src/layout/manifest.js';
import type { TarballParts } from '../../src/layout/member-at.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarType } from '../../src/layout/tar-header.js';
import { noise, sha256 } from '../helpers/bytes.js';

const MiB = 1 << 20;
const A = '2026-12-01T093000Z'; // the base: the file's whole copy
const B = '2026-12-05T093000Z'; // link 1: the file shrinks
const C = '2026-12-09T093000Z'; // link 2, the snapshot read: the file grows
const PATH = `Mail/archivé ${'long name '.repeat(12)}.mbox`; // non-ASCII and > 100 bytes: a pax header

interface Member { path: string; body?: Buffer; type?: TarType }

/** A tarball of these members, and where each one's first header is. */
function tar(members: Member[]): { bytes: Buffer; at: Map<string, number> } {
  const out: Buffer[] = [];
  const at = new Map<string, number>();
  let pos = 0;
  for (const m of members) {
    const body = m.body ?? Buffer.alloc(0);
    const type = m.type ?? 'File';
    const h = encodeHeader({ path: m.path, type, mode: 0o600, uid: 1000, gid: 1000, size: body.length, mtime: 1_765_000_000, ...(type === 'SymbolicLink' ? { linkpath: 'x' } : {}) });
    at.set(m.path, pos);
    out.push(h, body, Buffer.alloc(padding(body.length)));
    pos += h.length + body.length + padding(body.length);
  }
  out.push(END_OF_ARCHIVE);
  return { bytes: Buffer.concat(out), at };
}

let dir: string;
/** The file as each snapshot has it. */
let v0: Buffer, v1: Buffer, v2: Buffer;
/** Another chain from v0, where the size never changes: link 1 edits blocks 1-2, link 2 blocks 2 and 5. */
let w1: Buffer, w2: Buffer;
let sameSize: ManifestEntry;
let tars: Record<string, { bytes: Buffer; at: Map<string, number> }>;
/** Line of the file in C's manifest (parsed from its text, so the parser accepts it). */
let line: ManifestEntry;
/** Tarballs in one file each. */
const whole: Record<string, TarballParts> = {};

/** The blocks [first, first + count) of `v`, as a link stores them. */
const blocks = (v: Buffer, first: number, count: number) => v.subarray(first * MiB, Math.min((first + count) * MiB, v.length));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-delta-file-'));
  // v0: 5.5 MiB. v1: cut to 4.25 MiB, blocks 1 and 2 edited (block 4 is changed: it got shorter).
  // v2: grown to 6 MiB + 12345, blocks 0 and 2 edited (4 changed: it got longer; 5 and 6 are new).
  v0 = noise(5.5 * MiB, 'v0');
  v1 = Buffer.from(v0.subarray(0, 4.25 * MiB));
  noise(1000, 'v1-a').copy(v1, MiB + 5000);
  noise(MiB, 'v1-b').copy(v1, 2 * MiB);
  v2 = Buffer.concat([v1, noise(6 * MiB + 12345 - v1.length, 'v2-tail')]);
  noise(300, 'v2-a').copy(v2, 77);
  noise(4096, 'v2-b').copy(v2, 3 * MiB - 4096);
  w1 = Buffer.from(v0);
  noise(2 * MiB, 'w1').copy(w1, MiB);
  w2 = Buffer.from(w1);
  noise(10, 'w2-a').copy(w2, 2 * MiB + 99);
  noise(10, 'w2-b').copy(w2, w2.length - 10);
  const m1 = [{ first: 1, count: 2 }];
  const m2 = [{ first: 2, count: 1 }, { first: 5, count: 1 }];
  const l1 = [{ first: 1, count: 2 }, { first: 4, count: 1 }];
  const l2 = [{ first: 0, count: 1 }, { first: 2, count: 1 }, { first: 4, count: 3 }];
  tars = {
    [A]: tar([
      { path: 'Mail', type: 'Directory' },
      { path: 'Mail/a.txt', body: Buffer.from('hello\n') },
      { path: PATH, body: v0 },
      { path: 'Mail/z.txt', body: Buffer.from('bye\n') },
    ]),
    [B]: tar([
      { path: 'Mail/a.txt', body: Buffer.from('hello again\n') },
      ...l1.map((m) => ({ path: `.airgap-delta/${B}/1/${m.first}`, body: blocks(v1, m.first, m.count) })),
      ...m1.map((m) => ({ path: `.airgap-delta/${B}/2/${m.first}`, body: blocks(w1, m.first, m.count) })),
      { path: 'Mail/z.txt', body: Buffer.from('bye again\n') },
    ]),
    [C]: tar([
      { path: `.airgap-delta/${C}/1/0`, body: noise(1000, 'another file') }, // another delta'd file of C
      ...l2.map((m) => ({ path: `.airgap-delta/${C}/2/${m.first}`, body: blocks(v2, m.first, m.count) })),
      ...m2.map((m) => ({ path: `.airgap-delta/${C}/3/${m.first}`, body: blocks(w2, m.first, m.count) })),
    ]),
  };
  for (const [id, t] of Object.entries(tars)) {
    await mkdir(join(dir, id));
    await writeFile(join(dir, id, `${id}.tar`), t.bytes);
    whole[id] = { files: [join(dir, id, `${id}.tar`)] };
  }
  const delta: DeltaLink[] = [
    { in: B, n: 1, offset: tars[B]!.at.get(`.airgap-delta/${B}/1/1`)!, size: v1.length, members: l1 },
    { n: 2, offset: tars[C]!.at.get(`.airgap-delta/${C}/2/0`)!, size: v2.length, members: l2 },
  ];
  const text = formatManifestLineV2({
    type: 'file', path: PATH, mode: 0o600, uid: 1000, gid: 1000, size: v2.length, mtime: 1_765_000_000, sha256: sha256(v2),
    in: A, offset: tars[A]!.at.get(PATH)!, blocks: { offset: 0 }, delta,
  });
  line = parseManifestLineV2(text.slice(0, -1));
  expect(line.delta).toEqual(delta);
  sameSize = {
    ...line, size: w2.length, sha256: sha256(w2), delta: [
      { in: B, n: 2, offset: tars[B]!.at.get(`.airgap-delta/${B}/2/1`)!, size: w1.length, members: m1 },
      { n: 3, offset: tars[C]!.at.get(`.airgap-delta/${C}/3/2`)!, size: w2.length, members: m2 },
    ],
  };
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** The tarballs cut into parts of partSize bytes (a multiple of 512): `<ID>.tar.000`, `.001`, … in a folder of their own. */
async function split(label: string, partSize: (bytes: Buffer) => number): Promise<Record<string, TarballParts>> {
  const out: Record<string, TarballParts> = {};
  for (const [id, t] of Object.entries(tars)) {
    const size = partSize(t.bytes);
    const files: string[] = [];
    await mkdir(join(dir, label, id), { recursive: true });
    for (let i = 0; i * size < t.bytes.length; i++) {
      const f = join(dir, label, id, `${id}.tar.${String(i).padStart(3, '0')}`);
      await writeFile(f, t.bytes.subarray(i * size, (i + 1) * size));
      files.push(f);
    }
    out[id] = { files, partSize: size };
  }
  return out;
}

/** Writes a (damaged) tarball for `id` and returns its parts. */
async function forged(name: string, bytes: Buffer): Promise<TarballParts> {
  const f = join(dir, `forged-${name}.tar`);
  await writeFile(f, bytes);
  return { files: [f] };
}

async function read(entry: ManifestEntry, parts: Record<string, TarballParts> = whole) {
  const chunks: Buffer[] = [];
  let ticks = 0;
  let busy = false;
  let overlapped = false;
  await readDeltaFile(entry, C, (id) => parts[id]!, async (chunk) => {
    if (busy) overlapped = true;
    busy = true;
    chunks.push(Buffer.from(chunk)); // a copy: the slice is only valid during the call
    await new Promise((r) => setImmediate(r));
    busy = false;
  }, () => ticks++);
  return { bytes: Buffer.concat(chunks), chunks, ticks, overlapped };
}

async function failure(entry: ManifestEntry, parts: Record<string, TarballParts> = whole): Promise<DeltaFileError> {
  try {
    await read(entry, parts);
  } catch (e) {
    expect(e).toBeInstanceOf(DeltaFileError);
    return e as DeltaFileError;
  }
  throw new Error('read without an error');
}

/** The line with its links changed. */
const withLinks = (delta: DeltaLink[]): ManifestEntry => ({ ...line, delta });
const link = (i: number) => line.delta![i]!;

describe('readDeltaFile', () => {
  it("streams the file's last version: the base with each link's blocks laid over it, the last link winning", async () => {
    // Block by block: 0 from link 2, 1 from link 1 (half of its first member), 2 from link 2 (over
    // link 1's), 3 from the base, 4 to 6 from link 2 (over link 1's shortened block 4).
    expect(v2.subarray(3 * MiB, 4 * MiB).equals(v0.subarray(3 * MiB, 4 * MiB))).toBe(true);
    expect(v2.subarray(MiB, 2 * MiB).equals(v0.subarray(MiB, 2 * MiB))).toBe(false);
    const got = await read(line);
    expect(got.bytes.length).toBe(v2.length);
    expect(sha256(got.bytes)).toBe(sha256(v2));
    expect(got.chunks.every((c) => c.length > 0 && c.length <= MiB)).toBe(true);
    expect(got.ticks).toBe(got.chunks.length);
    expect(got.overlapped).toBe(false); // each onData awaited before the next
  });

  it('the last link wins where two links of the same size store the same block', async () => {
    expect(w2.subarray(2 * MiB, 3 * MiB).equals(w1.subarray(2 * MiB, 3 * MiB))).toBe(false);
    expect(sha256((await read(sameSize)).bytes)).toBe(sha256(w2));
  });

  it('reads the same from tarballs in two parts and in many, split inside bodies and headers', async () => {
    const two = await split('two', (b) => Math.ceil(b.length / 2 / 512) * 512);
    expect(Object.values(two).every((t) => t.files.length === 2)).toBe(true);
    const many = await split('many', () => MiB + 3 * 512);
    expect(many[A]!.files.length).toBeGreaterThan(4);
    expect(tars[A]!.at.get(PATH)).toBe(1536);
    const tiny = await split('tiny', () => 5 * 512); // the base's pax header (bytes 1536-3072) crosses parts too
    for (const parts of [two, many, tiny]) expect(sha256((await read(line, parts)).bytes)).toBe(sha256(v2));
  });

  it('streams the base member alone for a line without links, and any file line with an offset', async () => {
    const base: ManifestEntry = { ...line, size: v0.length, sha256: sha256(v0) };
    delete base.delta;
    expect(sha256((await read(base)).bytes)).toBe(sha256(v0));
    const small: ManifestEntry = { type: 'file', path: 'Mail/z.txt', mode: 0o600, uid: 1000, gid: 1000, size: 10, mtime: 0, in: B, offset: tars[B]!.at.get('Mail/z.txt')! };
    expect((await read(small)).bytes.toString()).toBe('bye again\n');
    const empty: ManifestEntry = { ...small, path: 'Mail', size: 0 };
    expect((await failure({ ...empty, offset: 0, in: A })).message).toMatch(/expected the regular file "Mail", found a member of type Directory "Mail"/);
  });

  it('reads one link alone: the file as the shrinking snapshot had it', async () => {
    const asOfB: ManifestEntry = { ...line, size: v1.length, delta: [link(0)] };
    expect(sha256((await read(asOfB)).bytes)).toBe(sha256(v1));
  });
});

describe('memberHeaderAt', () => {
  it('finds a member by its header(s) alone: where its body starts, where the next member is', async () => {
    const base = await memberHeaderAt(whole[A]!, tars[A]!.at.get(PATH)!);
    expect(base.entry).toMatchObject({ type: 'File', path: PATH, size: v0.length, offset: tars[A]!.at.get(PATH) });
    expect(base.bodyStart - base.entry.offset).toBe(1536); // pax header, its records, ustar header
    expect(base.next).toBe(tars[A]!.at.get('Mail/z.txt'));
    const d = await memberHeaderAt(whole[B]!, link(0).offset);
    expect(d.bodyStart).toBe(link(0).offset + 512);
    expect(d.next).toBe(tars[B]!.at.get(`.airgap-delta/${B}/1/4`));
    const dir0 = await memberHeaderAt(whole[A]!, 0);
    expect(dir0).toMatchObject({ entry: { type: 'Directory', path: 'Mail' }, bodyStart: 512, next: 512 });
  });
});

describe('damage', () => {
  it('a delta member with another name: a link number or offset the tarball does not agree with', async () => {
    const e = await failure(withLinks([link(0), { ...link(1), n: 3 }]));
    expect([e.snapshot, e.offset]).toEqual([C, link(1).offset]);
    expect(e.message).toBe(`byte ${link(1).offset} of the tarball of ${C}: expected the delta member .airgap-delta/${C}/3/0 of ${JSON.stringify(PATH)}, found the regular file ".airgap-delta/${C}/2/0" (${MiB} bytes)`);
    // One member too early: the other file's.
    const other = tars[C]!.at.get(`.airgap-delta/${C}/1/0`)!;
    const e2 = await failure(withLinks([link(0), { ...link(1), offset: other }]));
    expect([e2.snapshot, e2.offset]).toEqual([C, other]);
    expect(e2.message).toContain(`found the regular file ".airgap-delta/${C}/1/0" (1000 bytes)`);
    // The base line names another file.
    const e3 = await failure({ ...line, path: 'Mail/other.mbox' });
    expect([e3.snapshot, e3.offset]).toEqual([A, line.offset]);
    expect(e3.message).toContain(`expected the regular file "Mail/other.mbox", found the regular file ${JSON.stringify(PATH)}`);
  });

  it('a delta member of the wrong size', async () => {
    // Block 4 of link 1 holds 0.25 MiB; a manifest saying the file was 0.25 MiB + 1000 then wants more.
    const e = await failure(withLinks([{ ...link(0), size: v1.length + 1000 }, link(1)]));
    const at = tars[B]!.at.get(`.airgap-delta/${B}/1/4`)!;
    expect([e.snapshot, e.offset]).toEqual([B, at]);
    expect(e.message).toContain(`expected the delta member .airgap-delta/${B}/1/4 of ${JSON.stringify(PATH)} to hold ${0.25 * MiB + 1000} bytes, found ${0.25 * MiB}`);
    // A tarball whose member is a block longer than the blocks it names.
    const bad = tar([{ path: `.airgap-delta/${B}/1/1`, body: Buffer.concat([blocks(v1, 1, 2), Buffer.alloc(512)]) }]);
    const e2 = await failure(withLinks([{ ...link(0), offset: 0 }, link(1)]), { ...whole, [B]: await forged('long', bad.bytes) });
    expect([e2.snapshot, e2.offset]).toEqual([B, 0]);
    expect(e2.message).toContain(`to hold ${2 * MiB} bytes, found ${2 * MiB + 512}`);
  });

  it('an offset where no member starts: inside a body, at the end-of-archive marker', async () => {
    const inside = link(1).offset + 512 + 2048;
    const e = await failure(withLinks([link(0), { ...link(1), offset: inside }]));
    expect([e.snapshot, e.offset]).toEqual([C, inside]);
    expect(e.message).toMatch(/expected a member, found damage \((header checksum mismatch|damaged header)/);
    const end = tars[A]!.bytes.length - 1024;
    const e2 = await failure({ ...line, offset: end });
    expect([e2.snapshot, e2.offset]).toEqual([A, end]);
    expect(e2.message).toContain(`the end-of-archive marker, not a member, is at this offset, at byte ${end}`);
  });

  it('a member missing or cut short: the tarball ends too soon', async () => {
    const second = tars[B]!.at.get(`.airgap-delta/${B}/1/4`)!;
    // Cut right before the second member's header.
    const e = await failure(line, { ...whole, [B]: await forged('cut', tars[B]!.bytes.subarray(0, second)) });
    expect([e.snapshot, e.offset]).toEqual([B, second]);
    expect(e.message).toContain('the tarball ends before this offset, or at it');
    // Cut inside its header block.
    const e2 = await failure(line, { ...whole, [B]: await forged('cut-header', tars[B]!.bytes.subarray(0, second + 100)) });
    expect([e2.snapshot, e2.offset]).toEqual([B, second]);
    // Cut inside the last member's body: found while streaming, nothing past what was there.
    const last = tars[C]!.at.get(`.airgap-delta/${C}/2/4`)!;
    const e3 = await failure(line, { ...whole, [C]: await forged('cut-body', tars[C]!.bytes.subarray(0, last + 512 + MiB + 7)) });
    expect([e3.snapshot, e3.offset]).toEqual([C, last]);
    expect(e3.message).toContain(`the tarball ends at byte ${last + 512 + MiB + 7}, in the middle of the member's body`);
    // The base member too short for the line (no links).
    const base: ManifestEntry = { ...line, size: v0.length + 1 };
    delete base.delta;
    const e4 = await failure(base);
    expect(e4.message).toContain(`expected ${JSON.stringify(PATH)} of ${v0.length + 1} bytes, found one of ${v0.length} bytes`);
  });

  it('links that a stock restore would read differently: a block cut off by a shrink and never stored again', async () => {
    // Link 2 without its member of blocks 4-6: block 4 would come from link 1, which cut the file there.
    const grouped = (n: number) => n.toLocaleString('en-US');
    const e = await failure(withLinks([link(0), { ...link(1), members: link(1).members.slice(0, 2) }]));
    expect([e.snapshot, e.offset]).toEqual([A, line.offset]);
    expect(e.message).toContain(`the manifest's delta links of ${JSON.stringify(PATH)} (base at byte ${line.offset} of the tarball of ${A}) do not fit together`);
    expect(e.message).toContain(`bytes ${grouped(4.25 * MiB)} to ${grouped(5 * MiB)} were cut off by a link and never stored again`);
    // Neither link stores block 4: the base has it, but link 1 cut it off.
    const e2 = await failure(withLinks([{ ...link(0), members: link(0).members.slice(0, 1) }, { ...link(1), members: link(1).members.slice(0, 2) }]));
    expect([e2.snapshot, e2.offset]).toEqual([A, line.offset]);
    expect(e2.message).toContain(`bytes ${grouped(4.25 * MiB)} to ${grouped(v2.length)} were cut off by a link and never stored again`);
    // The base too short for the blocks it gives: link 1 alone, read over a base of 1000 bytes.
    const small = tar([{ path: PATH, body: v0.subarray(0, 1000) }]);
    const e3 = await failure({ ...line, size: v1.length, delta: [link(0)], offset: 0 }, { ...whole, [A]: await forged('short-base', small.bytes) });
    expect([e3.snapshot, e3.offset]).toEqual([A, 0]);
    expect(e3.message).toContain(`expected ${JSON.stringify(PATH)} of at least ${4 * MiB} bytes, found one of 1000 bytes`);
  });

  it('closes every part it opened, after a read and after damage', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    if (!existsSync('/proc/self/fd')) return;
    const parts = await split('fds', () => MiB + 3 * 512);
    const before = fds();
    await read(line, parts);
    expect(fds()).toBe(before);
    await failure(withLinks([link(0), { ...link(1), n: 3 }]), parts);
    expect(fds()).toBe(before);
  });

  it('refuses a part file that is a symlink', async () => {
    const parts = await split('symlinked', (b) => Math.ceil(b.length / 2 / 512) * 512);
    const target = parts[C]!.files[1]!;
    const link2 = join(dir, 'symlinked', 'link.001');
    await symlink(target, link2);
    await expect(read(line, { ...parts, [C]: { ...parts[C]!, files: [parts[C]!.files[0]!, link2] } })).rejects.toBeInstanceOf(NotRegularFileError);
  });
});
