// Every way an age file fails to open gives its own typed error, through the stream reader and
// the seek reader alike: a wrong key or passphrase is a refusal (exit 4), never "damaged";
// truncation, trailing data, a changed chunk and a changed header are damage (exit 3), and no
// plaintext of a chunk that fails is ever given out.
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgeChunkError, AgeDamagedError, AgeHeaderError, AgeTrailingDataError, AgeTruncatedError, AgeWrongKeyError } from '../../src/crypto/age-errors.js';
import { decryptStream } from '../../src/crypto/age-file.js';
import { createHeader, headerLength } from '../../src/crypto/age-header.js';
import { generateKeyPair, passphraseRecipient, type AgeIdentity, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { openAgeReader } from '../../src/crypto/age-seek.js';
import { NONCE, payloadKey, SEALED, sealChunk } from '../../src/crypto/age-stream.js';
import { noise } from '../helpers/bytes.js';
import { age, encrypt, KiB64, noAge } from './age-helpers.js';

let dir: string;
let kp: AgeKeyPair;
let ids: AgeIdentity[];
const handles: FileHandle[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-ageerr-'));
  kp = await generateKeyPair();
  ids = [{ kind: 'key', identity: kp.identity }];
});
afterAll(async () => {
  for (const fh of handles) await fh.close();
  await rm(dir, { recursive: true, force: true });
});

/** The stream reader's output up to its error (or the end), and the error. */
async function streamOpen(cipher: Buffer, identities = ids): Promise<{ out: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } });
  const error = await pipeline(Readable.from([cipher.subarray(0, 1000), cipher.subarray(1000)]), decryptStream(identities, 'x.age'), sink).then(() => undefined, (e: unknown) => e);
  return { out: Buffer.concat(out), error };
}

/** The seek reader's error reading the whole plaintext (or opening), if any. */
async function seekOpen(cipher: Buffer, identities = ids): Promise<unknown> {
  const p = join(dir, `seek-${handles.length}.age`);
  await writeFile(p, cipher);
  const fh = await open(p);
  handles.push(fh);
  try {
    const r = await openAgeReader(fh, identities, 'x.age');
    await r.read(0, r.plaintextSize);
    return undefined;
  } catch (e) {
    return e;
  }
}

const flip = (b: Buffer, at: number) => { const c = Buffer.from(b); c[at]! ^= 0x40; return c; };
/** Another base64 letter at `at`: the header still parses, and says something else. */
const otherLetter = (b: Buffer, at: number) => { const c = Buffer.from(b); c[at] = c[at] === 0x41 ? 0x42 : 0x41; return c; };

describe('damage: typed, exit 3, through both readers', () => {
  const plain = noise(3 * KiB64 + 500, 'err'); // chunks 0, 1, 2 full, chunk 3 short and final
  const exact = noise(4 * KiB64, 'exact'); // chunks 0..3 full, chunk 3 final
  let c: Buffer;
  let cx: Buffer;
  let start: number;
  beforeAll(async () => {
    c = await encrypt(plain, [{ kind: 'key', recipient: kp.recipient }]);
    cx = await encrypt(exact, [{ kind: 'key', recipient: kp.recipient }]);
    start = headerLength(c)! + NONCE;
  });

  const cases: [string, () => Buffer, new (...a: never[]) => AgeDamagedError, RegExp][] = [
    ['cut at a chunk boundary (the final chunk missing)', () => c.subarray(0, start + 3 * SEALED), AgeTruncatedError, /truncated: it ends after chunk 2, which is not the final chunk/],
    ['cut inside its header', () => c.subarray(0, 30), AgeTruncatedError, /truncated: it ends inside its header/],
    ['cut inside the nonce', () => c.subarray(0, start - 5), AgeTruncatedError, /truncated: it ends inside the nonce/],
    ['cut after the nonce', () => c.subarray(0, start), AgeTruncatedError, /truncated: it has no payload/],
    ['empty', () => Buffer.alloc(0), AgeTruncatedError, /truncated: it is empty/],
    ['cut inside the final chunk', () => c.subarray(0, c.length - 100), AgeChunkError, /chunk 3 \(at byte \d+\) fails authentication/],
    ['a flipped byte in chunk 1', () => flip(c, start + SEALED + 1000), AgeChunkError, /chunk 1 .*fails authentication/],
    ['a flipped byte in the final tag', () => flip(c, c.length - 1), AgeChunkError, /chunk 3 .*fails authentication/],
    ['chunks 1 and 2 swapped', () => Buffer.concat([c.subarray(0, start + SEALED), c.subarray(start + 2 * SEALED, start + 3 * SEALED), c.subarray(start + SEALED, start + 2 * SEALED), c.subarray(start + 3 * SEALED)]), AgeChunkError, /chunk 1 /],
    ['another letter in the header MAC', () => otherLetter(c, c.indexOf('\n--- ') + 5), AgeHeaderError, /header MAC does not match/],
    ['a "*" in the header MAC (not base64)', () => Buffer.concat([c.subarray(0, c.indexOf('\n--- ') + 5), Buffer.from('*'), c.subarray(c.indexOf('\n--- ') + 6)]), AgeHeaderError, /its header is malformed/],
    ['a flipped byte in the version line', () => flip(c, 3), AgeHeaderError, /is not an age v1 file/],
    ['10 bytes after a full final chunk', () => Buffer.concat([cx, Buffer.alloc(10, 1)]), AgeTrailingDataError, /data after its final chunk/],
    ['100 bytes after a full final chunk', () => Buffer.concat([cx, Buffer.alloc(100, 1)]), AgeTrailingDataError, /data after its final chunk/],
    ['a second copy of its payload after it', () => Buffer.concat([cx, cx.subarray(headerLength(cx)! + NONCE)]), AgeTrailingDataError, /data after its final chunk/],
    ['not an age file', () => Buffer.from('ustar tarball, not encrypted\n'), AgeHeaderError, /is not an age v1 file/],
    ['armored', () => Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----\n'), AgeHeaderError, /ASCII-armored/],
  ];

  for (const [what, make, type, message] of cases) {
    it(`${what}: ${type.name}`, async () => {
      const { out, error } = await streamOpen(make());
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(AgeDamagedError);
      expect(error).toMatchObject({ exitCode: 3 });
      expect((error as Error).message).toMatch(message);
      // Only whole authenticated chunks came out, and only those before the damage.
      expect(out.length % KiB64).toBe(0);
      expect(out.equals(plain.subarray(0, out.length)) || out.equals(exact.subarray(0, out.length))).toBe(true);
      const seekError = await seekOpen(make());
      expect(seekError).toBeInstanceOf(type);
      expect((seekError as Error).message).toMatch(message);
    });
  }

  it('a flipped byte in chunk 1 names it and its offset; chunk 0 came out, chunk 1 did not', async () => {
    const { out, error } = await streamOpen(flip(c, start + SEALED + 5));
    expect(error).toMatchObject({ chunk: 1, offset: start + SEALED, code: 'age-chunk-invalid' });
    expect(out.equals(plain.subarray(0, KiB64))).toBe(true);
  });

  it('the seek reader still reads the chunks before a damaged one', async () => {
    const p = join(dir, 'partial.age');
    await writeFile(p, flip(c, start + 2 * SEALED + 5));
    const fh = await open(p);
    handles.push(fh);
    const r = await openAgeReader(fh, ids);
    expect((await r.read(0, 2 * KiB64)).equals(plain.subarray(0, 2 * KiB64))).toBe(true);
    await expect(r.read(2 * KiB64, 1)).rejects.toMatchObject({ chunk: 2 });
  });

  it('bytes after a short final chunk: damage, told as a failing final chunk (age STREAM cannot tell where such a chunk ends)', async () => {
    const { error } = await streamOpen(Buffer.concat([c, Buffer.alloc(7)]));
    expect(error).toBeInstanceOf(AgeChunkError);
    expect(await seekOpen(Buffer.concat([c, Buffer.alloc(7)]))).toBeInstanceOf(AgeDamagedError);
  });

  it('a changed stanza of another recipient: the MAC catches it (the header is authenticated as a whole)', async () => {
    const other = await generateKeyPair();
    const two = await encrypt(plain, [{ kind: 'key', recipient: kp.recipient }, { kind: 'key', recipient: other.recipient }]);
    const second = two.indexOf('-> X25519 ', two.indexOf('-> X25519 ') + 1) + '-> X25519 '.length;
    const { error } = await streamOpen(otherLetter(two, second));
    expect(error).toBeInstanceOf(AgeHeaderError);
    expect((error as Error).message).toMatch(/header MAC does not match/);
  });

  it('an empty final chunk after data (as age 1.0 betas wrote): refused, as by age 1.1.1', async () => {
    const { header, fileKey } = await createHeader([{ kind: 'key', recipient: kp.recipient }]);
    const nonce = Buffer.alloc(NONCE, 9);
    const key = payloadKey(fileKey, nonce);
    const file = Buffer.concat([header, nonce, ...sealChunk(key, 0, false, Buffer.alloc(KiB64, 1)), ...sealChunk(key, 1, true, Buffer.alloc(0))]);
    const { error } = await streamOpen(file);
    expect(error).toBeInstanceOf(AgeChunkError);
    expect((error as Error).message).toMatch(/chunk 1 .*empty final chunk after data/);
    expect(await seekOpen(file)).toBeInstanceOf(AgeChunkError);
    if (!noAge) {
      await writeFile(join(dir, 'kf.txt'), `${kp.identity}\n`);
      await writeFile(join(dir, 'emptylast.age'), file);
      expect(age(['-d', '-i', 'kf.txt', 'emptylast.age'], { cwd: dir }).status).not.toBe(0);
    }
  });
});

describe('a wrong key or passphrase: AgeWrongKeyError, a refusal (exit 4), never damage', () => {
  let byKey: Buffer;
  let byPassphrase: Buffer;
  beforeAll(async () => {
    byKey = await encrypt(Buffer.from('data'), [{ kind: 'key', recipient: kp.recipient }]);
    byPassphrase = await encrypt(Buffer.from('data'), [passphraseRecipient('the right one', 10)]);
  });

  it.each([
    ['another key', () => byKey, async () => [{ kind: 'key', identity: (await generateKeyPair()).identity }], /no key given opens x\.age \(encrypted to 1 recipient: X25519\)/],
    ['a wrong passphrase', () => byPassphrase, async () => [{ kind: 'passphrase', passphrase: 'the wrong one' }], /the passphrase does not open x\.age/],
    ['a key for a passphrase file', () => byPassphrase, async () => ids, /x\.age is encrypted with a passphrase, and none was given/],
    ['a passphrase for a key file', () => byKey, async () => [{ kind: 'passphrase', passphrase: 'p' }], /x\.age is encrypted to keys \(1 recipient: X25519\), not to a passphrase/],
  ] as [string, () => Buffer, () => Promise<AgeIdentity[]>, RegExp][])('%s', async (_what, file, identities, message) => {
    const tried = await identities();
    for (const error of [(await streamOpen(file(), tried)).error, await seekOpen(file(), tried)]) {
      expect(error).toBeInstanceOf(AgeWrongKeyError);
      expect(error).not.toBeInstanceOf(AgeDamagedError);
      expect(error).toMatchObject({ code: 'age-wrong-key', exitCode: 4 });
      expect((error as Error).message).toMatch(message);
    }
  });

  it('nothing comes out before the header is opened', async () => {
    const { out, error } = await streamOpen(byKey, [{ kind: 'passphrase', passphrase: 'p' }]);
    expect(error).toBeInstanceOf(AgeWrongKeyError);
    expect(out.length).toBe(0);
  });
});
