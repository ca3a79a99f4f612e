// Our age writer and reader against each other and against typage's own (an independent STREAM
// implementation): every size around the 64 KiB chunk boundary, input in uneven pieces.
import { Decrypter, Encrypter } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { AgeKeyError } from '../../src/crypto/age-errors.js';
import { beginEncryption, encryptedSize } from '../../src/crypto/age-file.js';
import { createHeader, headerLength, openHeader, stanzaTypes } from '../../src/crypto/age-header.js';
import { generateKeyPair, passphraseRecipient, type AgeIdentity, type AgeRecipient } from '../../src/crypto/age-keys.js';
import { NONCE, PayloadOpener, PayloadSealer, payloadKey, SEALED, TAG } from '../../src/crypto/age-stream.js';
import { noise } from '../helpers/bytes.js';
import { decrypt, encrypt, KiB64 } from './age-helpers.js';

const SIZES = [0, 1, KiB64 - 1, KiB64, KiB64 + 1, 3 * KiB64, 3 * KiB64 + 17, 5 * 1024 * 1024 + 333];
const UNEVEN = [1, 7, KiB64, KiB64 - 1, 100_000, 3, 0, 2 * KiB64 + 5];

const kp = await generateKeyPair();
const toKey: AgeRecipient[] = [{ kind: 'key', recipient: kp.recipient }];
const withKey: AgeIdentity[] = [{ kind: 'key', identity: kp.identity }];

describe('age round trip (key recipient)', () => {
  for (const size of SIZES) {
    it(`${size} bytes: the size age's layout says, decrypted back; written and read at once and in uneven pieces`, async () => {
      const plain = noise(size, `rt${size}`);
      for (const sizes of [[size || 1], UNEVEN]) {
        const cipher = await encrypt(plain, toKey, sizes);
        const headerSize = headerLength(cipher)!;
        expect(cipher.length).toBe(encryptedSize(size, headerSize));
        // The payload is whole sealed chunks, the last one possibly full; only size 0 has an empty one.
        const payload = cipher.length - headerSize - NONCE;
        expect(payload).toBe(size === 0 ? TAG : size + TAG * Math.ceil(size / KiB64));
        expect((await decrypt(cipher, withKey)).equals(plain)).toBe(true);
        expect((await decrypt(cipher, withKey, UNEVEN)).equals(plain)).toBe(true);
        expect((await decrypt(cipher, withKey, [1, SEALED, SEALED + 1])).equals(plain)).toBe(true);
      }
    });
  }

  it('a multiple of 64 KiB ends with a full final chunk, not an empty one (3 × 64 KiB = 3 chunks)', async () => {
    const cipher = await encrypt(Buffer.alloc(3 * KiB64, 7), toKey);
    expect(cipher.length - headerLength(cipher)! - NONCE).toBe(3 * SEALED);
  });

  it('two key recipients: either key opens the file', async () => {
    const other = await generateKeyPair();
    const plain = noise(70_000, 'two');
    const cipher = await encrypt(plain, [...toKey, { kind: 'key', recipient: other.recipient }]);
    expect(stanzaTypes(cipher.subarray(0, headerLength(cipher)))).toEqual(['X25519', 'X25519']);
    expect((await decrypt(cipher, [{ kind: 'key', identity: other.identity }])).equals(plain)).toBe(true);
    expect((await decrypt(cipher, withKey)).equals(plain)).toBe(true);
  });
});

describe('age round trip (passphrase)', () => {
  it('a passphrase at a low test work factor opens what it wrote', async () => {
    const plain = noise(KiB64 * 2 + 1, 'pw');
    const cipher = await encrypt(plain, [passphraseRecipient('correct horse', 10)]);
    expect(cipher.subarray(0, headerLength(cipher)).toString()).toMatch(/^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 10\n/);
    expect((await decrypt(cipher, [{ kind: 'passphrase', passphrase: 'correct horse' }])).equals(plain)).toBe(true);
  });

  it("the default work factor is age's own, 18, and it is what the header says", async () => {
    const { header } = await createHeader([passphraseRecipient('slow but right')]);
    expect(header.toString()).toMatch(/^-> scrypt \S+ 18$/m);
  });

  it('a passphrase with other recipients is refused (age readers reject such a header)', async () => {
    await expect(createHeader([passphraseRecipient('x', 10), ...toKey])).rejects.toBeInstanceOf(AgeKeyError);
    await expect(createHeader([passphraseRecipient('x', 10), passphraseRecipient('y', 10)])).rejects.toBeInstanceOf(AgeKeyError);
    await expect(createHeader([])).rejects.toBeInstanceOf(AgeKeyError);
  });
});

describe('against typage, an independent implementation of the payload', () => {
  for (const size of [0, 1, KiB64, KiB64 + 1, 3 * KiB64]) {
    it(`${size} bytes: typage decrypts ours and we decrypt typage's`, async () => {
      const plain = noise(size, `tp${size}`);
      const d = new Decrypter();
      d.addIdentity(kp.identity);
      expect(Buffer.from(await d.decrypt(await encrypt(plain, toKey))).equals(plain)).toBe(true);
      const e = new Encrypter();
      e.addRecipient(kp.recipient);
      expect((await decrypt(Buffer.from(await e.encrypt(plain)), withKey, UNEVEN)).equals(plain)).toBe(true);
    });
  }

  it('typage opens our passphrase stanza (node:crypto scrypt), and we open its', async () => {
    const plain = noise(1000, 'tpw');
    const d = new Decrypter();
    d.addPassphrase('tp pass');
    expect(Buffer.from(await d.decrypt(await encrypt(plain, [passphraseRecipient('tp pass', 10)]))).equals(plain)).toBe(true);
    const e = new Encrypter();
    e.setPassphrase('tp pass');
    e.setScryptWorkFactor(10);
    expect((await decrypt(Buffer.from(await e.encrypt(plain)), [{ kind: 'passphrase', passphrase: 'tp pass' }])).equals(plain)).toBe(true);
  });
});

describe('PayloadSealer and PayloadOpener, for code that is not a stream', () => {
  it('keep no view of a buffer the caller reuses for its next read', async () => {
    const plain = noise(5 * KiB64 + 123, 'reuse');
    const { prefix, sealer } = await beginEncryption(toKey);
    const read = Buffer.alloc(50_000); // one buffer, refilled for every push, as a file reader does
    const feed = (src: Buffer, push: (b: Buffer) => void) => {
      for (let off = 0; off < src.length; off += read.length) {
        const n = src.copy(read, 0, off, off + read.length);
        push(read.subarray(0, n));
        read.fill(0xee);
      }
    };
    const sealed: Buffer[] = [prefix];
    feed(plain, (b) => sealed.push(...sealer.push(b)));
    sealed.push(...sealer.end());
    const cipher = Buffer.concat(sealed);
    expect((await decrypt(cipher, withKey)).equals(plain)).toBe(true);
    const h = headerLength(cipher)!;
    const opener = new PayloadOpener(payloadKey(await openHeader(cipher.subarray(0, h), withKey), cipher.subarray(h, h + NONCE)));
    const out: Buffer[] = [];
    feed(cipher.subarray(h + NONCE), (b) => opener.push(b, (p) => out.push(p)));
    opener.end((p) => out.push(p));
    expect(Buffer.concat(out).equals(plain)).toBe(true);
  });


  it('is a writer for code that is not a stream: prefix, then push() and end() pieces', async () => {
    const { prefix, sealer, headerSize } = await beginEncryption(toKey);
    const plain = noise(KiB64 * 2, 'sealer');
    const out = [prefix, ...sealer.push(plain.subarray(0, KiB64))];
    expect(Buffer.concat(out).length).toBe(headerSize + NONCE); // a full chunk waits: is it the final one?
    out.push(...sealer.push(plain.subarray(KiB64)), ...sealer.end());
    expect((await decrypt(Buffer.concat(out), withKey)).equals(plain)).toBe(true);
    expect(() => sealer.push(Buffer.alloc(1))).toThrow(/after end/);
    expect(() => new PayloadSealer(Buffer.alloc(32)).end()).not.toThrow();
  });
});
