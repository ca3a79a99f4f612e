// The passphrase recipient of age v1 (C2SP age spec, "The scrypt recipient type"), written on
// node:crypto. The one recipient we wrap ourselves, for two reasons:
// - typage keeps its scrypt recipient private, and its passphrase mode never shows the file key,
//   which our own payload writer needs (age-header.ts). Getting the key back would mean
//   decrypting the header again: a second scrypt, ~4 s per file on this machine at work factor 18.
// - node's scrypt runs on libuv's thread pool, so it does not freeze the event loop (a
//   progress line, a watchdog) the way a pure-JS scrypt does.
// Reading: ScryptIdentity, on node:crypto too (typage's pure-JS scrypt took ~4 s at work factor
// 18, and froze the event loop meanwhile). Files we write are still checked by the stock age CLI
// in the tests, and typage's reader is tested on them too (test/crypto).
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { Stanza, type Identity, type Recipient } from 'age-encryption';

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

/** The highest work factor read, as typage's: 2^20 × 1 KiB = 1 GiB of memory; a forged file must not ask for more. */
export const MAX_READ_WORK_FACTOR = 20;

/** A typage Identity for the passphrase: opens `-> scrypt` stanzas (age's rule: the file's only stanza). */
export class ScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const mine = stanzas.filter((st) => st.args[0] === 'scrypt');
    if (mine.length === 0) return null;
    if (stanzas.length !== 1) throw new Error('an scrypt stanza must be the only stanza of its file');
    const [, saltText, logNText] = mine[0]!.args;
    const salt = Buffer.from(saltText ?? '', 'base64');
    const logN = Number(logNText);
    if (salt.length !== 16 || !/^[1-9][0-9]?$/.test(logNText ?? '') || mine[0]!.args.length !== 3) throw new Error('malformed scrypt stanza');
    if (logN > MAX_READ_WORK_FACTOR) throw new Error(`scrypt work factor ${logN} is above ${MAX_READ_WORK_FACTOR}`);
    const body = Buffer.from(mine[0]!.body);
    if (body.length !== 32) throw new Error('malformed scrypt stanza');
    const key = await scryptKey(this.passphrase, salt, logN);
    const d = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
    d.setAuthTag(body.subarray(16));
    try {
      return Buffer.concat([d.update(body.subarray(0, 16)), d.final()]);
    } catch {
      return null; // another passphrase
    }
  }
}
