// Random access into an age file: the right plaintext bytes for ranges on and across the 64 KiB
// chunk boundaries, and only the chunks that hold them read (every read of the file handle
// counted), for files we wrote and files the stock age CLI wrote.
import { open, mkdtemp, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerLength } from '../../src/crypto/age-header.js';
import { generateKeyPair, type AgeIdentity } from '../../src/crypto/age-keys.js';
import { openAgeReader, type ReadableHandle } from '../../src/crypto/age-seek.js';
import { NONCE, SEALED } from '../../src/crypto/age-stream.js';
import { noise } from '../helpers/bytes.js';
import { Mulberry32 } from '../helpers/prng.js';
import { age, encrypt, KiB64, noAge } from './age-helpers.js';

/** A file handle that records every read: [position, length]. */
class CountingHandle implements ReadableHandle {
  reads: [number, number][] = [];
  constructor(private readonly fh: FileHandle) {}
  read(buffer: Uint8Array, offset: number, length: number, position: number) {
    this.reads.push([position, length]);
    return this.fh.read(buffer, offset, length, position);
  }
  stat() {
    return this.fh.stat();
  }
}

let dir: string;
let ids: AgeIdentity[];
let recipient: string;
const handles: FileHandle[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-ageseek-'));
  const kp = await generateKeyPair();
  ids = [{ kind: 'key', identity: kp.identity }];
  recipient = kp.recipient;
});
afterAll(async () => {
  for (const fh of handles) await fh.close();
  await rm(dir, { recursive: true, force: true });
});

async function fileOf(cipher: Buffer, name: string): Promise<CountingHandle> {
  await writeFile(join(dir, name), cipher);
  const fh = await open(join(dir, name));
  handles.push(fh);
  return new CountingHandle(fh);
}

describe('openAgeReader', () => {
  const plain = noise(5 * KiB64 + 1234, 'seek');
  let cipher: Buffer;
  let start: number; // where chunk 0 starts: header + nonce
  beforeAll(async () => {
    cipher = await encrypt(plain, [{ kind: 'key', recipient }]);
    start = headerLength(cipher)! + NONCE;
  });

  it.each([
    ['nothing', 0, 0, []],
    ['the first byte', 0, 1, [0]],
    ['the last byte of chunk 0 and the first of chunk 1', KiB64 - 1, 2, [0, 1]],
    ['chunk 1 exactly', KiB64, KiB64, [1]],
    ['across three chunks', KiB64 - 6, KiB64 * 2, [0, 1, 2]],
    ['one byte into a fourth', KiB64 - 6, KiB64 * 2 + 7, [0, 1, 2, 3]],
    ['inside chunk 3', 3 * KiB64 + 100, 1000, [3]],
    ['the last byte (the short final chunk)', 5 * KiB64 + 1233, 1, [5]],
    ['all of it', 0, 5 * KiB64 + 1234, [0, 1, 2, 3, 4, 5]],
  ])('%s (at %i, %i bytes): the right bytes, reading only chunks %j', async (_what, offset, length, chunks) => {
    const fh = await fileOf(cipher, 'seek.age');
    const r = await openAgeReader(fh, ids, 'seek.age');
    expect(r.plaintextSize).toBe(plain.length);
    expect(r.headerSize + NONCE).toBe(start);
    fh.reads = [];
    expect((await r.read(offset, length)).equals(plain.subarray(offset, offset + length))).toBe(true);
    // One read for the run of chunks, exactly their bytes (the final chunk is shorter).
    const wanted = chunks.length === 0 ? [] : [[start + chunks[0]! * SEALED, Math.min(chunks.length * SEALED, cipher.length - start - chunks[0]! * SEALED)]];
    expect(fh.reads).toEqual(wanted);
  });

  it('opening reads the header (and nonce) in one small read, no payload chunk', async () => {
    const fh = await fileOf(cipher, 'open.age');
    await openAgeReader(fh, ids);
    expect(fh.reads).toEqual([[0, 4096]]);
  });

  it('200 random ranges give the same bytes as the plaintext', async () => {
    const r = await openAgeReader(await fileOf(cipher, 'rand.age'), ids);
    const rng = new Mulberry32(18);
    for (let i = 0; i < 200; i++) {
      const offset = rng.int(0, plain.length);
      const length = rng.int(0, Math.min(plain.length - offset, 3 * KiB64));
      expect((await r.read(offset, length)).equals(plain.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true);
    }
  });

  it('a range outside the plaintext is a RangeError', async () => {
    const r = await openAgeReader(await fileOf(cipher, 'range.age'), ids);
    await expect(r.read(plain.length, 1)).rejects.toBeInstanceOf(RangeError);
    await expect(r.read(-1, 1)).rejects.toBeInstanceOf(RangeError);
    expect((await r.read(plain.length, 0)).length).toBe(0);
  });

  it('a long range comes as pieces of at most 16 chunks, one read each', async () => {
    const big = noise(40 * KiB64, 'big');
    const fh = await fileOf(await encrypt(big, [{ kind: 'key', recipient }]), 'big.age');
    const r = await openAgeReader(fh, ids);
    fh.reads = [];
    const parts: Buffer[] = [];
    for await (const p of r.range(100, big.length - 200)) parts.push(p);
    expect(parts.map((p) => p.length)).toEqual([16 * KiB64 - 100, 16 * KiB64, 8 * KiB64 - 100]);
    expect(Buffer.concat(parts).equals(big.subarray(100, big.length - 100))).toBe(true);
    expect(fh.reads.map(([, n]) => n)).toEqual([16 * SEALED, 16 * SEALED, 8 * SEALED]);
  });

  it.each([0, 1, KiB64, 2 * KiB64])('plaintext of %i bytes: its size from the file length, and its last chunk', async (size) => {
    const p = noise(size, `sz${size}`);
    const r = await openAgeReader(await fileOf(await encrypt(p, [{ kind: 'key', recipient }]), `sz${size}.age`), ids);
    expect(r.plaintextSize).toBe(size);
    expect((await r.read(0, size)).equals(p)).toBe(true);
  });
});

describe.skipIf(noAge)('openAgeReader on a file age -e wrote', () => {
  it('reads ranges across chunk boundaries', async () => {
    const plain = noise(3 * KiB64 + 77, 'ageseek');
    const r = age(['-e', '-r', recipient], { cwd: dir, input: plain });
    const reader = await openAgeReader(await fileOf(r.stdout, 'cli.age'), ids);
    expect(reader.plaintextSize).toBe(plain.length);
    for (const [o, n] of [[KiB64 - 1, 2], [2 * KiB64 - 10, KiB64 + 50], [3 * KiB64, 77]] as const) {
      expect((await reader.read(o, n)).equals(plain.subarray(o, o + n))).toBe(true);
    }
  });
});
