// The age v1 payload (C2SP age spec, "Payload"): STREAM over ChaCha20-Poly1305, on node:crypto
// (native: ~10× typage's pure-JS cipher, issue 18).
// - payload key = HKDF-SHA-256(ikm = file key, salt = the 16-byte nonce after the header,
//   info = "payload");
// - the plaintext is cut into 64 KiB chunks, each sealed on its own, so that any chunk can be
//   opened without the others (age-seek.ts);
// - chunk nonce (12 bytes) = the chunk's index, 11 bytes big-endian, then 0x01 for the final
//   chunk and 0x00 for the others: a file cut at a chunk boundary or with chunks swapped fails.
// - the final chunk may be full; it is empty only when the whole plaintext is (so a payload is
//   never empty: an empty file still has one sealed empty chunk, 16 bytes of tag).
// Sealer and opener are synchronous and stream-agnostic, for a Transform (age-file.ts) or a
// writer on a worker thread alike.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { AgeChunkError, AgeTrailingDataError, AgeTruncatedError } from './age-errors.js';

export const CHUNK = 64 * 1024;
export const TAG = 16;
/** A full chunk on disk: its ciphertext and its tag. */
export const SEALED = CHUNK + TAG;
/** The random nonce between the header and the payload. */
export const NONCE = 16;

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

function chunkNonce(index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  // 11-byte big-endian counter: the low 32 bits in bytes 7..10, the rest (< 2^21 for any safe
  // integer index) in bytes 3..6.
  n.writeUInt32BE(index % 2 ** 32, 7);
  n.writeUInt32BE(Math.floor(index / 2 ** 32), 3);
  n[11] = last ? 1 : 0;
  return n;
}

/** Chunk `index` sealed: its ciphertext and its tag (two buffers, not concatenated: no copy). */
export function sealChunk(key: Buffer, index: number, last: boolean, plain: Uint8Array): [Buffer, Buffer] {
  const c = createCipheriv('chacha20-poly1305', key, chunkNonce(index, last), { authTagLength: TAG });
  const body = c.update(plain);
  c.final();
  return [body, c.getAuthTag()];
}

/** Chunk `index` opened, or null when its tag does not match with this index and flag. */
export function openChunk(key: Buffer, index: number, last: boolean, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(index, last), { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = d.update(sealed.subarray(0, sealed.length - TAG));
  try {
    d.final();
    return plain;
  } catch {
    return null;
  }
}

/**
 * Plaintext in, sealed chunks out. A full chunk is held back until a byte after it arrives, so
 * that end() knows which chunk is the final one; end() seals what is left (empty only when
 * nothing was pushed at all).
 */
export class PayloadSealer {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private fill = 0;
  private index = 0;
  private ended = false;

  constructor(private readonly key: Buffer) {}

  /** Sealed chunks that are ready; `data` may be reused by the caller once this returns. */
  push(data: Uint8Array): Buffer[] {
    if (this.ended) throw new Error('PayloadSealer: push after end');
    const out: Buffer[] = [];
    let off = 0;
    while (off < data.length) {
      if (this.fill === CHUNK) {
        out.push(...sealChunk(this.key, this.index++, false, this.buf)); // a byte follows it: not the final chunk
        this.fill = 0;
      }
      // Large input: whole chunks straight from it (not the last one of it: it may be the final).
      while (this.fill === 0 && data.length - off > CHUNK) {
        out.push(...sealChunk(this.key, this.index++, false, data.subarray(off, off + CHUNK)));
        off += CHUNK;
      }
      const n = Math.min(CHUNK - this.fill, data.length - off);
      this.buf.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    return out;
  }

  end(): Buffer[] {
    if (this.ended) throw new Error('PayloadSealer: end twice');
    this.ended = true;
    return sealChunk(this.key, this.index++, true, this.buf.subarray(0, this.fill));
  }
}

/**
 * Sealed chunks in, plaintext out through `emit`, every chunk authenticated before its bytes are
 * given out, and every good chunk given out before the error of a bad one (what salvage wants).
 * A full sealed chunk is opened as a middle chunk once a byte after it is seen; end() opens the
 * rest as the final chunk and says precisely why it fails when it does (typed errors).
 * `base` is where the payload starts in the file (header + nonce): errors give file offsets.
 */
export class PayloadOpener {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private index = 0;

  constructor(private readonly key: Buffer, private readonly base = 0, private readonly file?: string) {}

  /** The first n pending bytes (n ≤ pendingLen): a view when one piece holds them, else a copy of just those. */
  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.pending[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length > n) this.pending[0] = first.subarray(n);
      else this.pending.shift();
    } else {
      out = Buffer.allocUnsafe(n);
      for (let got = 0; got < n;) {
        const p = this.pending[0]!;
        const k = Math.min(p.length, n - got);
        out.set(p.subarray(0, k), got);
        got += k;
        if (k === p.length) this.pending.shift();
        else this.pending[0] = p.subarray(k);
      }
    }
    this.pendingLen -= n;
    return out;
  }

  private offset(): number {
    return this.base + this.index * SEALED;
  }

  /** Opens every chunk known not to be the last; `data` may be reused by the caller once this returns. */
  push(data: Uint8Array, emit: (plain: Buffer) => void): void {
    if (data.length === 0) return;
    this.pending.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.pendingLen += data.length;
    while (this.pendingLen > SEALED) {
      const sealed = this.take(SEALED);
      const plain = openChunk(this.key, this.index, false, sealed);
      if (!plain) {
        // A full chunk that is the final one, with bytes after it: trailing data. Else damage.
        if (openChunk(this.key, this.index, true, sealed)) throw new AgeTrailingDataError(this.pendingLen, this.file);
        throw new AgeChunkError(this.index, this.offset(), undefined, this.file);
      }
      emit(plain);
      this.index++;
    }
    // What waits (at most one sealed chunk) is copied: no view of the caller's buffer outlives
    // the call, so a reader may reuse its buffer for the next read.
    if (this.pendingLen > 0) {
      const rest = Buffer.from(this.take(this.pendingLen));
      this.pending = [rest];
      this.pendingLen = rest.length;
    }
  }

  end(emit: (plain: Buffer) => void): void {
    const rest = this.pendingLen === 0 ? Buffer.alloc(0) : this.take(this.pendingLen);
    if (rest.length < TAG) {
      throw new AgeTruncatedError(rest.length === 0 && this.index === 0 ? 'it has no payload' : `it ends inside chunk ${this.index}, before its tag`, this.file);
    }
    const plain = openChunk(this.key, this.index, true, rest);
    if (plain) {
      if (plain.length === 0 && this.index > 0) throw new AgeChunkError(this.index, this.offset(), 'is an empty final chunk after data (not allowed in age v1)', this.file);
      emit(plain);
      return;
    }
    // A full chunk that opens as a middle one: the file was cut right after it.
    if (rest.length === SEALED && openChunk(this.key, this.index, false, rest)) {
      throw new AgeTruncatedError(`it ends after chunk ${this.index}, which is not the final chunk`, this.file);
    }
    throw new AgeChunkError(this.index, this.offset(), undefined, this.file);
  }
}
