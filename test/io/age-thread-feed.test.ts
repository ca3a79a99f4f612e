// An encrypted tarball opened on the hashing thread (io/age-feed.ts ThreadAgeFeed, issue 18's
// restore speed) must give out exactly what the in-thread AgeFeed gives: the same plaintext, the
// same bytes before a damaged chunk and the same error after them, the same refusal for a wrong
// key, and the stored bytes' SHA-256 beside it. Both read the parts as the callers do: readChunks
// (4 MiB reads, buffers reused once hashing resolves), with the header cut across parts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgeDamagedError, AgeWrongKeyError } from '../../src/crypto/age-errors.js';
import { generateKeyPair, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { ageReader } from '../../src/io/age-feed.js';
import { HASH_THREAD_MIN_BYTES, localHasher, openHashThread, type Hasher } from '../../src/io/hash-thread.js';
import { setKeySource } from '../../src/io/keys.js';
import { readChunks } from '../../src/io/read-chunks.js';
import { encrypt } from '../crypto/age-helpers.js';

let dir: string;
let key: AgeKeyPair;
let other: AgeKeyPair;
let thread: ReturnType<typeof openHashThread>;
const plain = randomBytes(9 * 1024 * 1024 + 12_345); // three 4 MiB reads, chunks straddling them
let sealed: Buffer;

const useKey = (k: AgeKeyPair) => setKeySource(async () => [{ kind: 'key', identity: k.identity }]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-age-thread-'));
  [key, other] = [await generateKeyPair(), await generateKeyPair()];
  sealed = await encrypt(plain, [{ kind: 'key', recipient: key.recipient }]);
  thread = openHashThread(HASH_THREAD_MIN_BYTES);
  expect(thread.threaded).toBe(true);
});
afterEach(() => setKeySource(undefined));
afterAll(async () => {
  await thread.close();
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` written as parts cut at `cuts`; read as restore reads them: every part's hash, the plaintext, and the error at the end if any. */
async function readAs(hasher: Hasher, name: string, bytes: Buffer, cuts: number[]) {
  const bounds = [0, ...cuts, bytes.length];
  const files: string[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const f = join(dir, `${name}.tar.age.${String(i).padStart(3, '0')}`);
    await writeFile(f, bytes.subarray(bounds[i]!, bounds[i + 1]!));
    files.push(f);
  }
  const age = ageReader(files[0]!, name, hasher);
  const out: Buffer[] = [];
  const emit = (p: Buffer) => void out.push(Buffer.from(p)); // a copy: the thread's buffers are reused
  const hashes: string[] = [];
  let error: Error | undefined;
  try {
    for (const f of files) {
      const h = hasher.create();
      await readChunks(f, (c) => age.push(c, emit), { hasher, hash: age.hashing(h)! });
      hashes.push(await h.digest());
    }
    await age.end(emit);
  } catch (e) {
    error = e as Error;
  }
  return { plain: Buffer.concat(out), hashes, error, given: age.plaintext };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('opening an age file on the hashing thread', () => {
  it('gives the plaintext and each part\'s SHA-256, the header cut across two parts', async () => {
    useKey(key);
    const cuts = [100, 5 * 1024 * 1024 + 7]; // the first part ends inside the header
    const r = await readAs(thread.hasher, 'whole', sealed, cuts);
    expect(r.error).toBeUndefined();
    expect(r.plain.equals(plain)).toBe(true);
    expect(r.given).toBe(plain.length);
    expect(r.hashes).toEqual([sha(sealed.subarray(0, 100)), sha(sealed.subarray(100, cuts[1])), sha(sealed.subarray(cuts[1]))]);
  });

  it('gives the same bytes and the same error as AgeFeed after a changed byte', async () => {
    useKey(key);
    const bad = Buffer.from(sealed);
    bad[6 * 1024 * 1024]! ^= 1;
    const here = await readAs(localHasher, 'here', bad, [3 * 1024 * 1024]);
    const there = await readAs(thread.hasher, 'there', bad, [3 * 1024 * 1024]);
    expect(here.error).toBeInstanceOf(AgeDamagedError);
    expect(there.error).toBeInstanceOf(AgeDamagedError);
    expect((there.error as AgeDamagedError).code).toBe((here.error as AgeDamagedError).code);
    expect(there.error!.message.replace('there', 'X')).toBe(here.error!.message.replace('here', 'X'));
    expect(there.given).toBe(here.given);
    expect(there.given).toBeGreaterThan(5 * 1024 * 1024);
    expect(there.plain.equals(plain.subarray(0, there.given))).toBe(true);
    // The rest is still read and hashed (whether the bytes are as stored decides damage or not).
    expect(there.hashes).toEqual(here.hashes);
  });

  it('says truncated, and trailing data, as AgeFeed does', async () => {
    useKey(key);
    for (const [name, bytes] of [['cut', sealed.subarray(0, sealed.length - 10)], ['long', Buffer.concat([sealed, Buffer.from('extra')])]] as const) {
      const here = await readAs(localHasher, `${name}-h`, bytes, []);
      const there = await readAs(thread.hasher, `${name}-t`, bytes, []);
      expect(there.error, name).toBeInstanceOf(AgeDamagedError);
      expect((there.error as AgeDamagedError).code, name).toBe((here.error as AgeDamagedError).code);
      expect(there.given, name).toBe(here.given);
    }
  });

  it('a wrong key is a refusal (AgeWrongKeyError), not damage; an empty file is truncated', async () => {
    useKey(other);
    const r = await readAs(thread.hasher, 'wrong', sealed, []);
    expect(r.error).toBeInstanceOf(AgeWrongKeyError);
    expect(r.given).toBe(0);
    useKey(key);
    const empty = await readAs(thread.hasher, 'empty', Buffer.alloc(0), []);
    expect((empty.error as AgeDamagedError).code).toBe('age-truncated');
  });
});
