// The drive key wrapped with the passphrase (KEY.age): opened by us with the passphrase, refused
// (exit 4, never "damaged") with another one, and opened by the stock `age -d`, which asks for
// the passphrase and prints a key file that `age -d -i` then uses: the stranger's way in.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgeDamagedError, AgeWrongKeyError } from '../../src/crypto/age-errors.js';
import { newWrappedKey, unwrapKey, type WrappedKey } from '../../src/crypto/key-wrap.js';
import { age, ageOnTerminal, encrypt, noAge } from './age-helpers.js';

const PASS = 'correct horse battery staple';
let dir: string;
let key: WrappedKey;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-wrap-'));
  key = await newWrappedKey(PASS, new Date('2026-12-04T10:00:00Z'), 10);
  await writeFile(join(dir, 'KEY.age'), key.wrapped);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a wrapped drive key', () => {
  it('opens with its passphrase, giving the key of its recipient', async () => {
    const ids = await unwrapKey(key.wrapped, PASS);
    expect(ids).toHaveLength(1);
    expect(ids[0]!.kind).toBe('key');
    const plain = Buffer.from('hello');
    const { decrypt } = await import('./age-helpers.js');
    expect((await decrypt(await encrypt(plain, [{ kind: 'key', recipient: key.recipient }]), ids)).toString()).toBe('hello');
  });

  it('another passphrase is a refusal naming KEY.age, never damage', async () => {
    const e = await unwrapKey(key.wrapped, 'wrong').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgeWrongKeyError);
    expect((e as AgeWrongKeyError).exitCode).toBe(4);
    expect((e as Error).message).toMatch(/the passphrase does not open KEY.age/);
  });

  it('a cut file is damage', async () => {
    const e = await unwrapKey(key.wrapped.subarray(0, key.wrapped.length - 5), PASS).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgeDamagedError);
  });

  it.skipIf(noAge)('age -d asks for the passphrase and prints the key file, which age -d -i uses', async () => {
    const r = ageOnTerminal(['-d', '-o', 'key.txt', 'KEY.age'], [PASS], dir);
    expect(r.status, r.screen).toBe(0);
    const text = await readFile(join(dir, 'key.txt'), 'utf8');
    expect(text).toMatch(/^AGE-SECRET-KEY-1/m);
    expect(text).toContain(`# public key: ${key.recipient}`);
    await writeFile(join(dir, 'f.age'), await encrypt(Buffer.from('stock'), [{ kind: 'key', recipient: key.recipient }]));
    const d = age(['-d', '-i', 'key.txt', 'f.age'], { cwd: dir });
    expect(d.stderr).toBe('');
    expect(d.stdout.toString()).toBe('stock');
  });
});
