// Reading an encrypted drive's files (issue 18): openTextFile on `.age` (decrypted, then gunzipped
// when the inner name ends .gz, with the same caps), readSealedFile (a small file whole, capped
// before and after decryption), JoinedFiles (parts read as one, no-follow, regular only), and the
// rule that a wrong key or none is never reported as damage.
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgeChunkError, AgeWrongKeyError } from '../../src/crypto/age-errors.js';
import { generateKeyPair, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { CappedLineReader } from '../../src/io/capped-lines.js';
import { JoinedFiles, openSealedParts } from '../../src/io/joined-files.js';
import { setKeySource } from '../../src/io/keys.js';
import { NotRegularFileError, FileTooLargeError } from '../../src/io/read-regular.js';
import { readSealedFile } from '../../src/io/sealed-file.js';
import { BadGzipError, openTextFile } from '../../src/io/text-file.js';
import { encrypt } from '../crypto/age-helpers.js';

let dir: string;
let key: AgeKeyPair;
const to = () => [{ kind: 'key' as const, recipient: key.recipient }];
const useKey = (k: AgeKeyPair | undefined) => setKeySource(k ? async () => [{ kind: 'key', identity: k.identity }] : undefined);

beforeAll(async () => {
  key = await generateKeyPair();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-sealed-'));
  useKey(key);
});
afterEach(async () => {
  useKey(undefined);
  await rm(dir, { recursive: true, force: true });
});

async function linesOf(path: string, opts?: { maxInflated?: number }): Promise<string[]> {
  const fh = await openTextFile(path, opts);
  try {
    const r = new CappedLineReader(fh, 4096);
    const out: string[] = [];
    for (let l = await r.next(); l !== undefined; l = await r.next()) out.push(l);
    return out;
  } finally {
    await fh.close();
  }
}

const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} of a list`);

describe('openTextFile on .age', () => {
  it('decrypts, then inflates a .gz inside', async () => {
    await writeFile(join(dir, 'L.gz.age'), await encrypt(gzipSync(lines.join('\n') + '\n'), to()));
    await writeFile(join(dir, 'L.age'), await encrypt(Buffer.from(lines.join('\n') + '\n'), to()));
    expect(await linesOf(join(dir, 'L.gz.age'))).toEqual(lines);
    expect(await linesOf(join(dir, 'L.age'))).toEqual(lines);
  });

  it('keeps the inflation cap', async () => {
    await writeFile(join(dir, 'L.gz.age'), await encrypt(gzipSync(lines.join('\n') + '\n'), to()));
    await expect(linesOf(join(dir, 'L.gz.age'), { maxInflated: 10_000 })).rejects.toBeInstanceOf(BadGzipError);
  });

  it('a wrong key is AgeWrongKeyError, none is key-needed, a changed byte is a chunk error: never bad gzip', async () => {
    const sealed = await encrypt(gzipSync(lines.join('\n') + '\n'), to());
    await writeFile(join(dir, 'L.gz.age'), sealed);
    useKey(await generateKeyPair());
    await expect(linesOf(join(dir, 'L.gz.age'))).rejects.toBeInstanceOf(AgeWrongKeyError);
    useKey(undefined);
    await expect(linesOf(join(dir, 'L.gz.age'))).rejects.toMatchObject({ code: 'key-needed' });
    useKey(key);
    sealed[sealed.length - 20]! ^= 1;
    await writeFile(join(dir, 'L.gz.age'), sealed);
    await expect(linesOf(join(dir, 'L.gz.age'))).rejects.toBeInstanceOf(AgeChunkError);
  });

  it('refuses a symlink in its place (no-follow, as a plain list)', async () => {
    await writeFile(join(dir, 'real.age'), await encrypt(Buffer.from('x\n'), to()));
    await symlink(join(dir, 'real.age'), join(dir, 'L.age'));
    await expect(linesOf(join(dir, 'L.age'))).rejects.toBeInstanceOf(NotRegularFileError);
  });
});

describe('readSealedFile', () => {
  it('reads a small file whole, and refuses more plaintext than its cap', async () => {
    const data = Buffer.from(JSON.stringify({ a: 'b'.repeat(200_000) }));
    await writeFile(join(dir, 's.json.age'), await encrypt(data, to()));
    expect(await readSealedFile(join(dir, 's.json.age'), 1 << 20)).toEqual(data);
    await expect(readSealedFile(join(dir, 's.json.age'), 100_000)).rejects.toBeInstanceOf(FileTooLargeError);
  });

  it('refuses a stored file larger than the cap could encrypt to, unread', async () => {
    await writeFile(join(dir, 'huge.age'), Buffer.alloc(3 << 20));
    await expect(readSealedFile(join(dir, 'huge.age'), 1024)).rejects.toBeInstanceOf(FileTooLargeError);
  });
});

describe('JoinedFiles / openSealedParts', () => {
  it('reads an age file cut into uneven parts by plaintext range', async () => {
    const plain = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const sealed = await encrypt(plain, to());
    const cuts = [0, 70_000, 70_001, 200_000, sealed.length];
    const files = cuts.slice(0, -1).map((_, i) => join(dir, `t.age.${String(i).padStart(3, '0')}`));
    for (const [i, f] of files.entries()) await writeFile(f, sealed.subarray(cuts[i]!, cuts[i + 1]!));
    const { reader, close } = await openSealedParts(files);
    try {
      expect(reader.plaintextSize).toBe(plain.length);
      expect(await reader.read(65_000, 140_000)).toEqual(plain.subarray(65_000, 205_000));
    } finally {
      await close();
    }
  });

  it('opens a header once per run and key source; a part rewritten, or another key, opens it again', async () => {
    const plain = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 241));
    const file = join(dir, 'once.tar.age');
    await writeFile(file, await encrypt(plain, to()));
    let asked = 0;
    setKeySource(async () => (asked++, [{ kind: 'key', identity: key.identity }]));
    const readAt = async (at: number) => {
      const { reader, close } = await openSealedParts([file]);
      try {
        return await reader.read(at, 10);
      } finally {
        await close();
      }
    };
    for (const at of [0, 70_000, 150_000]) expect(await readAt(at)).toEqual(plain.subarray(at, at + 10));
    expect(asked).toBe(1);
    // Rewritten (another file at the name): its own header, its own key.
    const other = Buffer.from(plain).fill(7, 0, 1000);
    await writeFile(file + '.new', await encrypt(other, to()));
    await rename(file + '.new', file);
    expect(await readAt(0)).toEqual(other.subarray(0, 10));
    expect(asked).toBe(2);
    // Another key source: asked again, and a wrong key is still refused.
    const wrong = await generateKeyPair();
    setKeySource(async () => [{ kind: 'key', identity: wrong.identity }]);
    await expect(readAt(0)).rejects.toBeInstanceOf(AgeWrongKeyError);
  });

  it('refuses a part that is a symlink', async () => {
    await writeFile(join(dir, 'a'), 'x');
    await symlink(join(dir, 'a'), join(dir, 'b'));
    await expect(JoinedFiles.open([join(dir, 'a'), join(dir, 'b')])).rejects.toBeInstanceOf(NotRegularFileError);
  });
});
