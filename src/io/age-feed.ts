// Decrypting an age file that arrives in pieces the caller reads itself (a tarball's parts, read
// and hashed as stored for SHA256SUMS; issue 18, docs/FORMAT.md "Encrypted drives"): the same
// steps as crypto/age-file.ts decryptStream, without a Node stream in between, so a reader that
// already owns the bytes (readChunks, with its hashing) feeds them on and gets plaintext back.
// The secret is asked for (io/keys.ts) only when the first bytes arrive: a plain verify that
// never decrypts never needs one.
// With a hashing thread (a tarball large enough to have one: hash-thread.ts), the chunks are
// opened there, beside the hashing of the stored bytes, while this thread extracts or walks the
// plaintext of the chunk before: restore's main thread had been doing both, and an encrypted
// restore took 1.6–3× a plain one (docs/performance.md).
import { isAirgapError } from '../core/errors.js';
import { AgeDamagedError, AgeKeyError, AgeTruncatedError, AgeWrongKeyError } from '../crypto/age-errors.js';
import { headerLength, openHeader } from '../crypto/age-header.js';
import { NONCE, PayloadOpener, payloadKey, SEALED } from '../crypto/age-stream.js';
import type { Hasher, Opened, StreamHash, ThreadOpener } from './hash-thread.js';
import { identitiesFor } from './keys.js';
import { READ_CHUNK } from './read-chunks.js';

/**
 * The errors that say no usable secret was given (a wrong key, a bad key, none at all): a
 * refusal or usage error, never "damaged", so readers that turn failures into findings or
 * breaks let these through.
 */
export const isKeyProblem = (e: unknown): boolean =>
  e instanceof AgeWrongKeyError || e instanceof AgeKeyError || (isAirgapError(e) && KEY_CODES.has(e.code));

/** The key source's own refusals (cli/secrets.ts): no secret given, no drive key, a drive key that does not open. */
const KEY_CODES = new Set(['key-needed', 'drive-key-missing', 'drive-key-unusable', 'passphrase-empty', 'passphrase-control', 'passphrase-twice', 'passphrase-file-unreadable', 'passphrase-env-unset', 'identity-unreadable']);

type Emit = (plain: Buffer) => void | Promise<void>;

/**
 * An encrypted file's stored bytes in, its plaintext out. The caller reads each part with
 * readChunks, giving it `hashing(partHash)` as the part's hash, and calls push() with each chunk
 * read (in onChunk) and end() after the last part.
 */
export interface AgeReader {
  /** Plaintext given out so far. */
  readonly plaintext: number;
  /** The hash for readChunks: `inner`'s hashing of the stored bytes, and (on a thread) the opening of each chunk beside it. */
  hashing(inner: StreamHash | undefined): StreamHash | undefined;
  /** A chunk read (after hashing() saw it): what is known whole and authentic comes out through `emit`, typed age errors otherwise. */
  push(stored: Buffer, emit: Emit): Promise<void>;
  /** The end of the file: opens the final chunk, or says why the file is not whole. */
  end(emit: Emit): Promise<void>;
}

/** A reader for the age file whose first part is `keyFile` (`file`: how messages name it): on the hasher's thread when it has one. */
export function ageReader(keyFile: string, file: string, hasher: Hasher | undefined): AgeReader {
  return hasher?.opener ? new ThreadAgeFeed(keyFile, file, hasher) : new AgeFeed(keyFile, file);
}

/** Opens the header (gathered whole first: headerLength caps it), asking for the secret now. */
async function openPayloadKey(head: Buffer, h: number, keyFile: string, file: string): Promise<Buffer> {
  const fileKey = await openHeader(head.subarray(0, h), await identitiesFor(keyFile), file);
  return payloadKey(fileKey, head.subarray(h, h + NONCE));
}

const truncatedHead = (head: Buffer, file: string) => {
  const h = head.length === 0 ? undefined : headerLength(head, file);
  return new AgeTruncatedError(head.length === 0 ? 'it is empty' : h === undefined ? 'it ends inside its header' : 'it ends inside the nonce after its header', file);
};

/** Decrypts on this thread, as the chunks are pushed. */
export class AgeFeed implements AgeReader {
  private head = Buffer.alloc(0);
  private opener: PayloadOpener | undefined;
  /** Plaintext given out so far. */
  plaintext = 0;

  /** `file`: the age file (its first part), for the key source; `label`: how messages name it (default `file`). */
  constructor(private readonly keyFile: string, private readonly file = keyFile) {}

  hashing(inner: StreamHash | undefined): StreamHash | undefined {
    return inner;
  }

  /** Ciphertext in; every chunk known whole and authentic comes out through `emit` (typed age errors otherwise). */
  async push(data: Buffer, emit: Emit): Promise<void> {
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
  async end(emit: Emit): Promise<void> {
    if (!this.opener) throw truncatedHead(this.head, this.file);
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
    this.opener = new PayloadOpener(await openPayloadKey(this.head, h, this.keyFile, this.file), h + NONCE, this.file);
    const rest = this.head.subarray(h + NONCE);
    this.head = Buffer.alloc(0);
    this.opener.push(rest, give);
  }
}

/** What the thread made of one chunk read: plaintext in `out`, and the error that stopped it, if any. */
interface OpenedChunk {
  out: Buffer;
  opened: number;
  error?: Error;
}

/** The thread's answer for `out`, its failure typed as damage (the thread sends code and message only). */
const openedChunk = (out: Buffer, r: Opened): OpenedChunk => ({ out, opened: r.opened, ...(r.error ? { error: new AgeDamagedError(r.error.code, r.error.message) } : {}) });

/**
 * Decrypts on the hasher's thread. Each chunk read is sent there as it is hashed (hashing()), and
 * push() gives out the plaintext of the chunk before it, so that the thread opens one chunk while
 * this one extracts the other. readChunks reuses a read buffer only once its hashing resolved,
 * and that waits for the opening too. Two output buffers are enough: when chunk N+1 is sent,
 * push() has given out everything up to N-1, and N's buffer is the other one.
 */
class ThreadAgeFeed implements AgeReader {
  plaintext = 0;
  private head = Buffer.alloc(0);
  private opener: ThreadOpener | undefined;
  /** Chunks are opened in the order read, header first (which may wait for a passphrase). */
  private previous: Promise<unknown> = Promise.resolve();
  private readonly pending: Promise<OpenedChunk>[] = [];
  private readonly outs: Buffer[] = [];
  private sent = 0;
  /** Something failed (a chunk, the header, the key): nothing more is opened; push() says why. */
  private stopped = false;

  constructor(private readonly keyFile: string, private readonly file: string, private readonly hasher: Hasher) {}

  hashing(inner: StreamHash | undefined): StreamHash {
    return {
      update: (chunk) => {
        const hashed = inner?.update(chunk);
        const opened = this.send(chunk);
        return Promise.all([hashed, opened]).then(() => undefined);
      },
      digest: () => inner?.digest() ?? '',
    };
  }

  private out(): Buffer {
    const i = this.sent++ % 2;
    return (this.outs[i] ??= this.hasher.alloc(READ_CHUNK + SEALED));
  }

  /** Queues the opening of `chunk`; resolves when the thread is done reading it (never rejects: errors come out of push()). */
  private send(chunk: Buffer): Promise<void> {
    const out = this.out();
    const opened = this.previous.then(() => this.openChunk(chunk, out));
    this.previous = opened;
    this.pending.push(opened);
    return opened.then(() => undefined);
  }

  private async openChunk(chunk: Buffer, out: Buffer): Promise<OpenedChunk> {
    if (this.stopped) return { out, opened: 0 };
    try {
      let sealed = chunk;
      if (!this.opener) {
        this.head = Buffer.concat([this.head, chunk]); // a copy: the read buffer goes back to the reader
        const h = headerLength(this.head, this.file);
        if (h === undefined || this.head.length < h + NONCE) return { out, opened: 0 };
        this.opener = this.hasher.opener!(await openPayloadKey(this.head, h, this.keyFile, this.file), h + NONCE, this.file);
        sealed = chunk.subarray(chunk.length - (this.head.length - h - NONCE));
        this.head = Buffer.alloc(0);
      }
      const r = await this.opener.open(sealed, out);
      if (r.error) this.stopped = true;
      return openedChunk(out, r);
    } catch (e) {
      // A damaged header, a wrong key: handed to push(), which throws it where AgeFeed would.
      this.stopped = true;
      return { out, opened: 0, error: e as Error };
    }
  }

  private async give(opened: Promise<OpenedChunk>, emit: Emit): Promise<void> {
    const r = await opened;
    if (r.opened > 0) {
      this.plaintext += r.opened;
      await emit(r.out.subarray(0, r.opened));
    }
    if (r.error) throw r.error;
  }

  async push(_stored: Buffer, emit: Emit): Promise<void> {
    while (this.pending.length > 1) await this.give(this.pending.shift()!, emit);
  }

  async end(emit: Emit): Promise<void> {
    while (this.pending.length > 0) await this.give(this.pending.shift()!, emit);
    if (!this.opener) throw truncatedHead(this.head, this.file);
    const out = this.out();
    await this.give(this.opener.end(out).then((r) => openedChunk(out, r)), emit);
  }
}
