// age keys and recipients as text: `AGE-SECRET-KEY-1…` identities (key files as age-keygen
// writes them, comments and all), `age1…` recipients and passphrases. The bech32 decoding and the
// X25519 maths are typage's (age-encryption); this file only decides what we accept.
//
// Only native X25519 keys: Debian's age 1.1.1, the stock tool our drives promise, cannot use the
// post-quantum (`age1pq1…`), tag or plugin kinds, so a file written to one of them could not be
// restored with it. Keys are generated with generateX25519Identity() explicitly, because
// typage's generateIdentity() may switch to post-quantum keys in a later version.
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { AgeKeyError } from './age-errors.js';

/** Who a file is encrypted to. A passphrase must be the only recipient of a file (age's rule). */
export type AgeRecipient =
  | { kind: 'key'; recipient: string }
  | { kind: 'passphrase'; passphrase: string; workFactor: number };

/** What opens a file. */
export type AgeIdentity = { kind: 'key'; identity: string } | { kind: 'passphrase'; passphrase: string };

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`: the secret. */
  identity: string;
  /** `age1…`: what files are encrypted to. */
  recipient: string;
}

/** age's own default scrypt work factor (log2 N): about a second on a laptop, 256 MiB of memory. */
export const DEFAULT_WORK_FACTOR = 18;

const UNSUPPORTED = 'Debian\'s age 1.1.1 cannot use it, so a drive written to it could not be restored with stock tools; use a native X25519 key (age-keygen)';

/** A new X25519 key pair. */
export async function generateKeyPair(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The key file as age-keygen writes it: `age -d -i <file>` reads it. */
export function keyFileText(pair: AgeKeyPair, created: Date): string {
  return `# created: ${created.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${pair.recipient}\n${pair.identity}\n`;
}

/** The recipient of an `AGE-SECRET-KEY-1…` identity. */
export async function recipientOf(identity: string): Promise<string> {
  return (await parseIdentity(identity)).recipient;
}

async function parseIdentity(text: string, where = 'the key'): Promise<AgeKeyPair> {
  if (/^AGE-SECRET-KEY-PQ-1/i.test(text)) throw new AgeKeyError(`${where} is a post-quantum key: ${UNSUPPORTED}`);
  if (/^AGE-PLUGIN-/i.test(text)) throw new AgeKeyError(`${where} is an age plugin key: ${UNSUPPORTED}`);
  if (!text.startsWith('AGE-SECRET-KEY-1')) throw new AgeKeyError(`${where} is not an age secret key (AGE-SECRET-KEY-1…)`);
  try {
    return { identity: text, recipient: await identityToRecipient(text) };
  } catch {
    throw new AgeKeyError(`${where} is not a valid age secret key (a character is wrong or missing)`);
  }
}

/**
 * The identities of a key file: one `AGE-SECRET-KEY-1…` per line; blank lines and `#` comments
 * skipped (age-keygen writes two); CRLF accepted. Anything else is an error naming the line.
 */
export async function parseIdentityFile(text: string, file = 'the key file'): Promise<AgeIdentity[]> {
  const identities: AgeIdentity[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const { identity } = await parseIdentity(line, `${file} line ${i + 1}`);
    identities.push({ kind: 'key', identity });
  }
  if (identities.length === 0) throw new AgeKeyError(`${file} holds no age secret key (AGE-SECRET-KEY-1…)`);
  return identities;
}

/** An `age1…` X25519 recipient, checked by typage's own parser. */
export function parseRecipient(text: string): AgeRecipient {
  const s = text.trim();
  // Never echoed: a secret key given where a public one belongs.
  if (/^AGE-SECRET-KEY-/i.test(s)) throw new AgeKeyError('this is a secret key (AGE-SECRET-KEY-…), not a recipient: give its public key', 'age-keygen -y <key file> prints the public key (age1…); keep the secret key away from command lines');
  if (/^age1(pq|tag|tagpq)1/.test(s)) throw new AgeKeyError(`${s.slice(0, 12)}… is a post-quantum or tag recipient: ${UNSUPPORTED}`);
  if (!/^age1[02-9ac-hj-np-z]+$/.test(s)) throw new AgeKeyError(`"${s.slice(0, 20)}" is not an age recipient (age1…)`);
  try {
    new Encrypter().addRecipient(s); // throws on a bad checksum or length
  } catch {
    throw new AgeKeyError(`${s.slice(0, 12)}… is not a valid age recipient (a character is wrong or missing)`);
  }
  return { kind: 'key', recipient: s };
}

/**
 * A passphrase recipient. The work factor is age's (18) unless a test asks for less; age's
 * readers accept up to 20 (typage) or more (age), and the stock CLI reads any of them.
 */
export function passphraseRecipient(passphrase: string, workFactor = DEFAULT_WORK_FACTOR): AgeRecipient {
  if (passphrase === '') throw new AgeKeyError('the passphrase is empty');
  if (!Number.isInteger(workFactor) || workFactor < 1 || workFactor > 20) throw new AgeKeyError(`scrypt work factor ${workFactor} is out of range (1 to 20)`);
  return { kind: 'passphrase', passphrase, workFactor };
}
