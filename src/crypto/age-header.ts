// The age v1 header: its text, its recipient stanzas and its MAC, all by typage (age-encryption),
// through its public API only:
// - writing: typage's Encrypter draws the file key, wraps it for each recipient and MACs the
//   header (HMAC-SHA-256 under HKDF(file key, "header")). It does not hand the file key out, but
//   it gives it to every Recipient it is asked to wrap it for (its documented Recipient
//   interface): one more recipient of ours keeps a copy and adds no stanza. typage then writes a
//   whole file of an empty payload; we keep its header and drop its 32-byte payload (nonce and
//   the empty final chunk) — our payload is written with node:crypto (age-stream.ts).
// - reading: typage's Decrypter.decryptHeader unwraps the file key and checks the MAC.
// What is ours: finding where a header ends (headerLength), and turning typage's error messages
// into the typed errors of age-errors.ts.
import { Decrypter, Encrypter, type Recipient } from 'age-encryption';
import { AgeHeaderError, AgeKeyError, AgeWrongKeyError } from './age-errors.js';
import type { AgeIdentity, AgeRecipient } from './age-keys.js';
import { ScryptIdentity, ScryptRecipient } from './age-scrypt.js';

const VERSION_LINE = Buffer.from('age-encryption.org/v1\n');
const MAC_LINE = Buffer.from('\n--- ');
/** typage's payload of an empty file: the 16-byte nonce and one empty chunk's 16-byte tag. */
const EMPTY_PAYLOAD = 32;
/** A cap on what we buffer looking for a header's end (a header is ~200 bytes per X25519 recipient). */
export const MAX_HEADER = 1 << 20;

export interface NewHeader {
  header: Buffer;
  /** The 16-byte file key the header wraps: the payload key is derived from it. */
  fileKey: Buffer;
}

function checkRecipients(recipients: AgeRecipient[]): void {
  if (recipients.length === 0) throw new AgeKeyError('no recipient to encrypt to');
  const passphrases = recipients.filter((r) => r.kind === 'passphrase').length;
  // age's rule, enforced by its readers: a passphrase stanza must be the header's only one.
  if (passphrases > 0 && recipients.length > 1) throw new AgeKeyError('a passphrase cannot be combined with other recipients in one age file');
}

/** A new file key and the header that wraps it for `recipients`. */
export async function createHeader(recipients: AgeRecipient[]): Promise<NewHeader> {
  checkRecipients(recipients);
  const enc = new Encrypter();
  let fileKey: Buffer | undefined;
  const keeper: Recipient = { wrapFileKey: (key) => ((fileKey = Buffer.from(key)), []) };
  enc.addRecipient(keeper);
  for (const r of recipients) enc.addRecipient(r.kind === 'key' ? r.recipient : new ScryptRecipient(r.passphrase, r.workFactor));
  const whole = await enc.encrypt(new Uint8Array(0));
  const header = Buffer.from(whole.subarray(0, whole.length - EMPTY_PAYLOAD));
  // Guards against a typage that changed how it lays out a file: the header must end exactly there.
  if (!fileKey || fileKey.length !== 16 || headerLength(header) !== header.length) throw new Error('age-encryption produced an unexpected file layout');
  return { header, fileKey };
}

/**
 * The length of the header at the start of `buf`, or undefined when `buf` ends before it does.
 * A header is the version line, stanzas (`-> …` lines and base64 bodies) and the MAC line
 * `--- <mac>`; no other line can start with `---`. Throws when `buf` is not an age v1 file.
 */
export function headerLength(buf: Uint8Array, file?: string): number | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Math.min(b.length, VERSION_LINE.length);
  if (!b.subarray(0, n).equals(VERSION_LINE.subarray(0, n))) {
    const armored = b.subarray(0, 10).toString('latin1') === '-----BEGIN';
    throw new AgeHeaderError(armored ? 'is ASCII-armored age (age -a): only binary age files are read' : 'is not an age v1 file', file);
  }
  const mac = b.indexOf(MAC_LINE);
  const end = mac < 0 ? -1 : b.indexOf(0x0a, mac + MAC_LINE.length);
  if (end >= 0) return end + 1;
  if (b.length >= MAX_HEADER) throw new AgeHeaderError(`has no header end in its first ${MAX_HEADER} bytes`, file);
  return undefined;
}

/** The recipient types named by the header's stanzas, in order (`X25519`, `scrypt`, …). */
export function stanzaTypes(header: Uint8Array): string[] {
  return Buffer.from(header).toString('latin1').split('\n').filter((l) => l.startsWith('-> ')).map((l) => l.slice(3).split(' ')[0] ?? '');
}

/** The file key `header` wraps, unwrapped with the first identity that opens it. */
export async function openHeader(header: Uint8Array, identities: AgeIdentity[], file?: string): Promise<Buffer> {
  if (identities.length === 0) throw new AgeKeyError('no key or passphrase to decrypt with');
  const dec = new Decrypter();
  for (const id of identities) {
    if (id.kind === 'key') dec.addIdentity(id.identity);
    else dec.addIdentity(new ScryptIdentity(id.passphrase));
  }
  try {
    return Buffer.from(await dec.decryptHeader(header));
  } catch (e) {
    // typage throws plain Errors; their messages are its API here (pinned ~0.3.1, and tested).
    const msg = e instanceof Error ? e.message : String(e);
    if (/no identity matched/.test(msg)) throw new AgeWrongKeyError(stanzaTypes(header), identities.some((i) => i.kind === 'passphrase'), file);
    if (/invalid header HMAC/.test(msg)) throw new AgeHeaderError('its header MAC does not match: the header was changed', file);
    throw new AgeHeaderError(`its header is malformed (${msg})`, file);
  }
}
