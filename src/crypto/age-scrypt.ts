// The passphrase recipient of age v1 (C2SP age spec, "The scrypt recipient type"), written on
// node:crypto. The one recipient we wrap ourselves, for two reasons:
// - typage keeps its scrypt recipient private, and its passphrase mode never shows the file key,
//   which our own payload writer needs (age-header.ts). Getting the key back would mean
//   decrypting the header again: a second scrypt, ~4 s per file on this machine at work factor 18.
// - node's scrypt runs on libuv's thread pool, so it does not freeze the event loop (a
//   progress line, a watchdog) the way a pure-JS scrypt does.
// Reading such stanzas stays typage's (age-header.ts openHeader), so every file we write is
// checked by an independent implementation in the tests, and by the stock age CLI.
import { createCipheriv, randomBytes, scrypt } from 'node:crypto';
import { Stanza, type Recipient } from 'age-encryption';

const LABEL = 'age-encryption.org/v1/scrypt';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, ''); // age: base64 without padding

function scryptKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    // scrypt needs 128·N·r bytes (256 MiB at work factor 18); node's default cap is 32 MiB.
    scrypt(passphrase, Buffer.concat([Buffer.from(LABEL), salt]), 32, { N, r: 8, p: 1, maxmem: 2 * 128 * N * 8 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A typage Recipient: `-> scrypt <salt> <logN>`, the file key sealed under the scrypt key. */
export class ScryptRecipient implements Recipient {
  constructor(private readonly passphrase: string, private readonly logN: number) {}

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16);
    const key = await scryptKey(this.passphrase, salt, this.logN);
    // The spec's file-key wrap: ChaCha20-Poly1305 with an all-zero nonce (the key is used once).
    const c = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
    const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
    return [new Stanza(['scrypt', b64(salt), String(this.logN)], body)];
  }
}
