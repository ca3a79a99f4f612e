// Decrypting an age file that arrives in pieces the caller reads itself (a tarball's parts, read
// and hashed as stored for SHA256SUMS; issue 18, docs/FORMAT.md "Encrypted drives"): the same
// steps as crypto/age-file.ts decryptStream, without a Node stream in between, so a reader that
// already owns the bytes (readChunks, with its hashing) feeds them on and gets plaintext back.
// The secret is asked for (io/keys.ts) only when the first bytes arrive: a plain verify that
// never decrypts never needs one.
import { isAirgapError } from '../core/errors.js';
import { AgeKeyError, AgeTruncatedError, AgeWrongKeyError } from '../crypto/age-errors.js';
import { headerLength, openHeader } from '../crypto/age-header.js';
import { NONCE, PayloadOpener, payloadKey } from '../crypto/age-stream.js';
import { identitiesFor } from './keys.js';

/**
 * The errors that say no usable secret was given (a wrong key, a bad key, none at all): a
 * refusal or usage error, never "damaged", so readers that turn failures into findings or
 * breaks let these through.
 */
export const isKeyProblem = (e: unknown): boolean =>
  e instanceof AgeWrongKeyError || e instanceof AgeKeyError || (isAirgapError(e) && KEY_CODES.has(e.code));

/** The key source's own refusals (cli/secrets.ts): no secret given, no drive key, a drive key that does not open. */
const KEY_CODES = new Set(['key-needed', 'drive-key-missing', 'drive-key-unusable', 'passphrase-empty', 'passphrase-control', 'passphrase-twice', 'passphrase-file-unreadable', 'passphrase-env-unset', 'identity-unreadable']);

export class AgeFeed {
  private head = Buffer.alloc(0);
  private opener: PayloadOpener | undefined;
  /** Plaintext given out so far. */
  plaintext = 0;

  /** `file`: the age file (its first part), for the key source; `label`: how messages name it (default `file`). */
  constructor(private readonly keyFile: string, private readonly file = keyFile) {}

  /** Ciphertext in; every chunk known whole and authentic comes out through `emit` (typed age errors otherwise). */
  async push(data: Buffer, emit: (plain: Buffer) => void | Promise<void>): Promise<void> {
    const out: Buffer[] = [];
    const give = (p: Buffer) => void out.push(p);
    try {
      if (this.opener) this.opener.push(data, give);
      else await this.openHead(data, give);
    } finally {
      // What opened before a bad chunk still goes out (a salvage keeps what came before a break).
      for (const p of out) {
        this.plaintext += p.length;
        await emit(p);
      }
    }
  }

  /** The end of the file: opens the final chunk, or says why the file is not whole. */
  async end(emit: (plain: Buffer) => void | Promise<void>): Promise<void> {
    if (!this.opener) {
      const h = this.head.length === 0 ? undefined : headerLength(this.head, this.file);
      throw new AgeTruncatedError(this.head.length === 0 ? 'it is empty' : h === undefined ? 'it ends inside its header' : 'it ends inside the nonce after its header', this.file);
    }
    const out: Buffer[] = [];
    try {
      this.opener.end((p) => void out.push(p));
    } finally {
      for (const p of out) {
        this.plaintext += p.length;
        await emit(p);
      }
    }
  }

  /** Header and nonce are gathered whole first (a header is small: headerLength caps it). */
  private async openHead(data: Buffer, give: (p: Buffer) => void): Promise<void> {
    this.head = Buffer.concat([this.head, data]);
    const h = headerLength(this.head, this.file);
    if (h === undefined || this.head.length < h + NONCE) return;
    const fileKey = await openHeader(this.head.subarray(0, h), await identitiesFor(this.keyFile), this.file);
    this.opener = new PayloadOpener(payloadKey(fileKey, this.head.subarray(h, h + NONCE)), h + NONCE, this.file);
    const rest = this.head.subarray(h + NONCE);
    this.head = Buffer.alloc(0);
    this.opener.push(rest, give);
  }
}
