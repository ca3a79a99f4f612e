// Whole age files as Node streams: header (age-header.ts, typage), 16-byte nonce, payload
// (age-stream.ts, node:crypto). encryptStream is a Transform to put between a tar stream and the
// file; beginEncryption gives the same pieces to a writer that is not a stream (a worker thread).
// decryptStream is the reverse: it reads the header, opens it with the identities given, and
// then gives out plaintext only chunk by authenticated chunk; any failure is a typed error
// (age-errors.ts) emitted on the stream.
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AgeTruncatedError } from './age-errors.js';
import { createHeader, headerLength, openHeader } from './age-header.js';
import type { AgeIdentity, AgeRecipient } from './age-keys.js';
import { CHUNK, NONCE, PayloadOpener, PayloadSealer, payloadKey, TAG } from './age-stream.js';

export interface Encryption {
  /** Header and nonce: the file's first bytes, before anything the sealer returns. */
  prefix: Buffer;
  headerSize: number;
  sealer: PayloadSealer;
  /** The payload key the sealer uses: a writer that seals on another thread makes its own sealer from it. */
  key: Buffer;
}

/** Everything needed to write one age file to `recipients`: a fresh file key, header and nonce. */
export async function beginEncryption(recipients: AgeRecipient[]): Promise<Encryption> {
  const { header, fileKey } = await createHeader(recipients);
  const nonce = randomBytes(NONCE);
  const key = payloadKey(fileKey, nonce);
  return { prefix: Buffer.concat([header, nonce]), headerSize: header.length, sealer: new PayloadSealer(key), key };
}

/** The size of the age file for `plaintext` bytes under a header of `headerSize` bytes. */
export function encryptedSize(plaintext: number, headerSize: number): number {
  return headerSize + NONCE + plaintext + TAG * Math.max(1, Math.ceil(plaintext / CHUNK));
}

/** A Transform: plaintext in, a whole age file out (the header comes out first, at once). */
export async function encryptStream(recipients: AgeRecipient[]): Promise<Transform> {
  const { prefix, sealer } = await beginEncryption(recipients);
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      // One buffer per input chunk, not two per 64 KiB chunk: a stream pays per buffer (measured:
      // half the throughput to /dev/null with the pieces pushed one by one).
      const sealed = sealer.push(chunk);
      if (sealed.length > 0) this.push(sealed.length === 1 ? sealed[0] : Buffer.concat(sealed));
      cb();
    },
    flush(cb: TransformCallback) {
      this.push(Buffer.concat(sealer.end()));
      cb();
    },
  });
  t.push(prefix);
  return t;
}

class DecryptTransform extends Transform {
  private head = Buffer.alloc(0);
  private opener: PayloadOpener | undefined;
  /** Plaintext of the chunks opened by one input chunk: pushed as one buffer (as encryptStream). */
  private out: Buffer[] = [];
  private readonly give = (plain: Buffer) => void this.out.push(plain);

  constructor(private readonly identities: AgeIdentity[], private readonly file?: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk).finally(() => this.giveOut()).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    let error: Error | undefined;
    try {
      if (!this.opener) throw this.shortHead();
      this.opener.end(this.give);
    } catch (e) {
      error = e as Error;
    }
    this.giveOut();
    cb(error);
  }

  /** What was opened goes out, also when a later chunk of the same input failed. */
  private giveOut(): void {
    if (this.out.length > 0) this.push(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out = [];
  }

  private async feed(chunk: Buffer): Promise<void> {
    if (this.opener) {
      this.opener.push(chunk, this.give);
      return;
    }
    // Header and nonce are gathered whole first (a header is small; capped by headerLength).
    this.head = Buffer.concat([this.head, chunk]);
    const h = headerLength(this.head, this.file);
    if (h === undefined || this.head.length < h + NONCE) return;
    const fileKey = await openHeader(this.head.subarray(0, h), this.identities, this.file);
    this.opener = new PayloadOpener(payloadKey(fileKey, this.head.subarray(h, h + NONCE)), h + NONCE, this.file);
    const rest = this.head.subarray(h + NONCE);
    this.head = Buffer.alloc(0);
    this.opener.push(rest, this.give);
  }

  private shortHead(): AgeTruncatedError {
    if (this.head.length === 0) return new AgeTruncatedError('it is empty', this.file);
    const h = headerLength(this.head, this.file);
    return new AgeTruncatedError(h === undefined ? 'it ends inside its header' : 'it ends inside the nonce after its header', this.file);
  }
}

/**
 * A Transform: an age file in, its plaintext out. Fails with AgeWrongKeyError (refusal) or an
 * AgeDamagedError subclass (header, truncated, trailing data, chunk): see age-errors.ts.
 * `file` names the file in messages.
 */
export function decryptStream(identities: AgeIdentity[], file?: string): Transform {
  return new DecryptTransform(identities, file);
}

/** A small whole file (a list, snapshot.json) encrypted at once: header, nonce, sealed chunks. */
export async function encryptBuffer(plain: Buffer, recipients: AgeRecipient[]): Promise<Buffer> {
  const { prefix, sealer } = await beginEncryption(recipients);
  return Buffer.concat([prefix, ...sealer.push(plain), ...sealer.end()]);
}
