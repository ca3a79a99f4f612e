// A sealed HashedWriter (an encrypted snapshot's files): what it writes is one age file that the
// stock age CLI and our own reader open, byte for byte the plaintext handed over, also when it
// is split into parts (joined by cat) and hashed on a thread; sizes and hashes are of the stored
// bytes, and `written` counts plaintext (the manifest's offsets).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginEncryption } from '../../src/crypto/age-file.js';
import { generateKeyPair, keyFileText, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { HashedWriter } from '../../src/io/hashed-writer.js';
import { openHashThread, type Hasher } from '../../src/io/hash-thread.js';
import { noise } from '../helpers/bytes.js';
import { age, decrypt, noAge } from '../crypto/age-helpers.js';

let dir: string;
let key: AgeKeyPair;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-hws-'));
  key = await generateKeyPair();
  await writeFile(join(dir, 'key.txt'), keyFileText(key, new Date()), { mode: 0o600 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function writeSealed(name: string, plain: Buffer, opts: { chunk: number; partSize?: number; piece: number; hasher?: Hasher }) {
  const seal = await beginEncryption([{ kind: 'key', recipient: key.recipient }]);
  const w = await HashedWriter.create(join(dir, name), opts.chunk, opts.partSize ? { partSize: opts.partSize, maxParts: 1000 } : undefined, opts.hasher, seal);
  for (let off = 0; off < plain.length; off += opts.piece) await w.write(plain.subarray(off, off + opts.piece));
  expect(w.written).toBe(plain.length);
  const done = await w.finish();
  const files = done.parts ? done.parts.map((p) => p.path) : [join(dir, name)];
  const stored = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
  return { done, stored };
}

describe('HashedWriter with a sealing', () => {
  for (const [label, size, opts] of [
    ['empty', 0, { chunk: 4096, piece: 1 }],
    ['smaller than one age chunk', 1000, { chunk: 4096, piece: 300 }],
    ['exactly two age chunks', 2 * 65536, { chunk: 100_000, piece: 7000 }],
    ['3 MiB + 5 in parts of 1 MiB', 3 * 1024 * 1024 + 5, { chunk: 256 * 1024, partSize: 1024 * 1024, piece: 99_999 }],
  ] as const) {
    it(`${label}: one age file of the plaintext, hashed and sized as stored`, async () => {
      const plain = noise(size, label);
      const { done, stored } = await writeSealed(`f${size}.age`, plain, opts);
      expect(done.size).toBe(stored.length);
      expect(done.sha256).toBe(sha(stored));
      expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      if (done.parts) {
        expect(done.parts.length).toBeGreaterThan(1);
        for (const p of done.parts) expect(p.sha256).toBe(sha(await readFile(p.path)));
      }
      expect((await decrypt(stored, [{ kind: 'key', identity: key.identity }])).equals(plain)).toBe(true);
      if (!noAge) {
        await writeFile(join(dir, 'joined.age'), stored);
        const r = age(['-d', '-i', 'key.txt', 'joined.age'], { cwd: dir });
        expect(r.stderr).toBe('');
        expect(r.stdout.equals(plain)).toBe(true);
      }
    });
  }

  it('after drain() the file on the drive is already the whole age file (the read-back starts then, before finish)', async () => {
    for (const thread of [openHashThread(2 ** 40), { hasher: undefined, close: async () => {} }]) {
      try {
        const plain = noise(3 * 65536 + 77, 'drain');
        const seal = await beginEncryption([{ kind: 'key', recipient: key.recipient }]);
        const path = join(dir, `drain-${thread.hasher ? 'thread' : 'local'}.age`);
        const w = await HashedWriter.create(path, 100_000, undefined, thread.hasher, seal);
        await w.write(plain);
        await w.drain();
        const early = await readFile(path);
        expect((await decrypt(early, [{ kind: 'key', identity: key.identity }])).equals(plain)).toBe(true);
        await expect(w.write(Buffer.alloc(200_000))).rejects.toThrow(/after the age file was ended/);
        const done = await w.finish();
        expect(done.sha256).toBe(sha(early));
      } finally {
        await thread.close();
      }
    }
  });

  it('hashed on a thread (as the tarball is): the same stored bytes and hashes', async () => {
    const thread = openHashThread(2 ** 40);
    try {
      expect(thread.threaded).toBe(true);
      const plain = noise(5 * 1024 * 1024 + 3, 'thread');
      const { done, stored } = await writeSealed('thread.age', plain, { chunk: 1 << 20, partSize: 2 * 1024 * 1024, piece: 1 << 20, hasher: thread.hasher });
      expect(done.sha256).toBe(sha(stored));
      for (const p of done.parts!) expect(p.sha256).toBe(sha(await readFile(p.path)));
      expect((await decrypt(stored, [{ kind: 'key', identity: key.identity }])).equals(plain)).toBe(true);
    } finally {
      await thread.close();
    }
  });
});
