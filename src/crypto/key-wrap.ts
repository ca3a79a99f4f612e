// The drive key (docs/FORMAT.md "Encrypted drives"): an X25519 key pair whose secret is kept only
// inside an age file encrypted with the passphrase, so that one passphrase opens every file of a
// drive with a single scrypt, and `age -d KEY.age` gives the key file back to a stranger with
// nothing but the passphrase and the stock tool.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptStream, encryptBuffer } from './age-file.js';
import { AgeKeyError } from './age-errors.js';
import { generateKeyPair, keyFileText, parseIdentityFile, passphraseRecipient, DEFAULT_WORK_FACTOR, type AgeIdentity } from './age-keys.js';

/** A wrapped key file is a few hundred bytes; a drive's KEY.age beyond this is not one. */
export const MAX_WRAPPED_KEY_BYTES = 64 * 1024;

export interface WrappedKey {
  /** `age1…`: what snapshots are encrypted to. */
  recipient: string;
  /** The key file (as age-keygen writes it), encrypted with the passphrase: KEY.age's bytes. */
  wrapped: Buffer;
}

async function through(input: Buffer, t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from([input]), t, new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

/** A new drive key, wrapped with `passphrase` at age's work factor (tests may ask for less). */
export async function newWrappedKey(passphrase: string, created: Date, workFactor = DEFAULT_WORK_FACTOR): Promise<WrappedKey> {
  const pair = await generateKeyPair();
  const text = Buffer.from(keyFileText(pair, created));
  return { recipient: pair.recipient, wrapped: await encryptBuffer(text, [passphraseRecipient(passphrase, workFactor)]) };
}

/**
 * The identities inside a wrapped key file, opened with the passphrase. A wrong passphrase is
 * AgeWrongKeyError (exit 4); a damaged file an AgeDamagedError; a file that opens but holds no key
 * an AgeKeyError.
 */
export async function unwrapKey(wrapped: Buffer, passphrase: string, file = 'KEY.age'): Promise<AgeIdentity[]> {
  if (wrapped.length > MAX_WRAPPED_KEY_BYTES) throw new AgeKeyError(`${file} is ${wrapped.length} bytes: too large for a key file`);
  const text = await through(wrapped, decryptStream([{ kind: 'passphrase', passphrase }], file));
  return parseIdentityFile(text.toString('utf8'), file);
}
