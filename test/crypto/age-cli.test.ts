// Interoperability with the stock age CLI (Debian's age 1.1.1, the tool a drive's README
// promises), both ways: files we write open with `age -d` (key file and passphrase), and files
// `age -e` writes (to a recipient and with a passphrase) open with our reader. age reads
// passphrases only from a terminal: those runs go through a pseudo-terminal (age-helpers.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyFileText, parseIdentityFile, passphraseRecipient, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { noise } from '../helpers/bytes.js';
import { age, ageOnTerminal, decrypt, encrypt, KiB64, noAge } from './age-helpers.js';

const SIZES = [0, 1, KiB64 - 1, KiB64, KiB64 + 1, 3 * KiB64, 4 * 1024 * 1024 + 7];

let dir: string;
let ours: AgeKeyPair;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-agecli-'));
  ours = await generateKeyPair();
  await writeFile(join(dir, 'ours.txt'), keyFileText(ours, new Date()), { mode: 0o600 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(noAge)('age -d reads what we write', () => {
  for (const size of SIZES) {
    it(`${size} bytes to an age1 recipient: age -d -i key.txt gives them back (written at once and in pieces)`, async () => {
      const plain = noise(size, `cli${size}`);
      for (const sizes of [[size || 1], [5000, KiB64 + 3]]) {
        await writeFile(join(dir, 'k.age'), await encrypt(plain, [{ kind: 'key', recipient: ours.recipient }], sizes));
        const r = age(['-d', '-i', 'ours.txt', 'k.age'], { cwd: dir });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout.equals(plain)).toBe(true);
      }
    });
  }

  it('to two recipients: age -d opens it with the second key alone', async () => {
    const second = await generateKeyPair();
    await writeFile(join(dir, 'second.txt'), keyFileText(second, new Date()));
    const plain = noise(100_000, 'two');
    await writeFile(join(dir, 'two.age'), await encrypt(plain, [{ kind: 'key', recipient: ours.recipient }, { kind: 'key', recipient: second.recipient }]));
    expect(age(['-d', '-i', 'second.txt', 'two.age'], { cwd: dir }).stdout.equals(plain)).toBe(true);
  });

  for (const size of [0, 3 * KiB64 + 5]) {
    it(`${size} bytes with a passphrase: age -d asks for it on the terminal and decrypts`, async () => {
      const plain = noise(size, `clipw${size}`);
      const out = `pw${size}.out`;
      await writeFile(join(dir, 'pw.age'), await encrypt(plain, [passphraseRecipient('paper sheet words', 10)]));
      const r = ageOnTerminal(['-d', '-o', out, 'pw.age'], ['paper sheet words'], dir);
      expect(r.screen).toMatch(/Enter passphrase/);
      expect(r.status).toBe(0); // age checked every tag, the final chunk's included
      // age 1.1.1 opens -o lazily, on its first byte of output: an empty plaintext leaves no file.
      const got = existsSync(join(dir, out)) ? await readFile(join(dir, out)) : Buffer.alloc(0);
      expect(got.equals(plain)).toBe(true);
    });
  }

  it('a wrong passphrase: age -d refuses it (the stanza really depends on the passphrase)', async () => {
    await writeFile(join(dir, 'pw2.age'), await encrypt(Buffer.from('secret'), [passphraseRecipient('right one', 10)]));
    const r = ageOnTerminal(['-d', '-o', 'pw2.out', 'pw2.age'], ['wrong one'], dir);
    expect(r.status).not.toBe(0);
    expect(r.screen).toMatch(/incorrect passphrase/i);
  });
});

describe.skipIf(noAge)('we read what age -e writes', () => {
  let keygen: string;
  let recipient: string;
  beforeAll(() => {
    const r = spawnSync('age-keygen', ['-o', join(dir, 'keygen.txt')], { encoding: 'utf8' });
    recipient = /Public key: (age1\S+)/.exec(r.stderr)![1]!;
    keygen = join(dir, 'keygen.txt');
  });

  for (const size of SIZES) {
    it(`${size} bytes from age -e -r age1…: decrypted with age-keygen's key file`, async () => {
      const plain = noise(size, `ae${size}`);
      const r = age(['-e', '-r', recipient], { cwd: dir, input: plain });
      expect(r.status).toBe(0);
      const ids = await parseIdentityFile(await readFile(keygen, 'utf8'));
      expect((await decrypt(r.stdout, ids, [1, 4096, KiB64 + 16])).equals(plain)).toBe(true);
    });
  }

  it('from age -e -r A -r B: opened with B', async () => {
    const b = await generateKeyPair();
    const plain = noise(70_000, 'ab');
    const r = age(['-e', '-r', recipient, '-r', b.recipient], { cwd: dir, input: plain });
    expect((await decrypt(r.stdout, [{ kind: 'key', identity: b.identity }])).equals(plain)).toBe(true);
  });

  it('from age -e -p (passphrase typed twice on the terminal, work factor 18): decrypted with it', async () => {
    const plain = noise(2 * KiB64 + 9, 'aep');
    await writeFile(join(dir, 'plain.bin'), plain);
    const r = ageOnTerminal(['-e', '-p', '-o', 'aep.age', 'plain.bin'], ['typed at a prompt', 'typed at a prompt'], dir);
    expect(r.status).toBe(0);
    const cipher = await readFile(join(dir, 'aep.age'));
    expect(cipher.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/);
    expect((await decrypt(cipher, [{ kind: 'passphrase', passphrase: 'typed at a prompt' }])).equals(plain)).toBe(true);
  });
});
