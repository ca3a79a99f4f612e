// Random access into an age file: age's payload is sealed in independent 64 KiB chunks, so a
// byte range of the plaintext is read by opening only the chunks that hold it. This is what lets
// a single-file restore from a large encrypted tarball read that member and nothing else.
//   plaintext offset p  →  chunk i = floor(p / 64 KiB)
//   chunk i starts at    headerSize + 16 (nonce) + i · (64 KiB + 16)
// The layout (how many chunks, which is final) follows from the file's size; each chunk read is
// authenticated with its index and final flag, so a cut or extended file fails on its last chunk.
import { AgeChunkError, AgeTrailingDataError, AgeTruncatedError } from './age-errors.js';
import { headerLength, MAX_HEADER, openHeader } from './age-header.js';
import type { AgeIdentity } from './age-keys.js';
import { CHUNK, NONCE, openChunk, payloadKey, SEALED, TAG } from './age-stream.js';

/** What is read from: a node:fs/promises FileHandle fits; tests wrap one to count reads. */
export interface ReadableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
}

export interface AgeFileReader {
  readonly headerSize: number;
  /** The plaintext's size, as the file's length says (its final chunk is checked when read). */
  readonly plaintextSize: number;
  /** `length` plaintext bytes from `offset`, read and authenticated chunk by chunk. */
  read(offset: number, length: number): Promise<Buffer>;
  /** The same range as pieces of at most `BATCH` chunks, for a range too large to hold. */
  range(offset: number, length: number): AsyncGenerator<Buffer>;
}

/** Chunks read per read() call of the handle: 1 MiB of ciphertext. */
const BATCH = 16;

async function readFully(fh: ReadableHandle, position: number, length: number, file?: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new AgeTruncatedError('it became shorter while being read', file);
    got += bytesRead;
  }
  return buf;
}

/** The header's length, reading a little more of the file until its end is found. */
async function findHeader(fh: ReadableHandle, size: number, file?: string): Promise<{ head: Buffer; headerSize: number }> {
  for (let want = 4096; ; want *= 2) {
    const head = await readFully(fh, 0, Math.min(want, size, MAX_HEADER), file);
    const headerSize = headerLength(head, file);
    if (headerSize !== undefined) return { head, headerSize };
    if (head.length === size) throw new AgeTruncatedError(size === 0 ? 'it is empty' : 'it ends inside its header', file);
  }
}

/** What opening an age file's header gives: where its payload starts, and the key that opens it. */
export interface OpenedHeader {
  headerSize: number;
  payloadKey: Buffer;
}

/** Opens the header of the age file behind `fh` with `identities`: typed errors as decryptStream. */
export async function openAgeReader(fh: ReadableHandle, identities: AgeIdentity[], file?: string): Promise<AgeFileReader> {
  const { size } = await fh.stat();
  return readerFor(fh, size, await openAgeHeader(fh, size, identities, file), file);
}

/** The header alone, opened (a caller that reads the same file again may keep it: io/joined-files.ts). */
export async function openAgeHeader(fh: ReadableHandle, size: number, identities: AgeIdentity[], file?: string): Promise<OpenedHeader> {
  const { head, headerSize } = await findHeader(fh, size, file);
  const fileKey = await openHeader(head.subarray(0, headerSize), identities, file);
  if (size < headerSize + NONCE) throw new AgeTruncatedError('it ends inside the nonce after its header', file);
  const nonce = head.length >= headerSize + NONCE ? head.subarray(headerSize, headerSize + NONCE) : await readFully(fh, headerSize, NONCE, file);
  return { headerSize, payloadKey: payloadKey(fileKey, nonce) };
}

/** A reader of the file whose header was opened: its length checked first (checkTail). */
export async function readerFor(fh: ReadableHandle, size: number, opened: OpenedHeader, file?: string): Promise<AgeFileReader> {
  const reader = new SeekReader(fh, opened.payloadKey, opened.headerSize, size, file);
  await reader.checkTail();
  return reader;
}

class SeekReader implements AgeFileReader {
  /** Where chunk 0 starts. */
  private readonly start: number;
  private readonly chunks: number;
  private readonly lastLen: number;
  readonly plaintextSize: number;

  constructor(private readonly fh: ReadableHandle, private readonly key: Buffer, readonly headerSize: number, private readonly size: number, private readonly file?: string) {
    this.start = headerSize + NONCE;
    const payload = size - this.start;
    this.chunks = Math.ceil(payload / SEALED);
    this.lastLen = payload - (this.chunks - 1) * SEALED;
    this.plaintextSize = payload - this.chunks * TAG;
  }

  /**
   * Refuses a file whose length no age file can have, before any range is read: no payload; a
   * last chunk shorter than a tag; an empty final chunk after data. The chunk before the tail
   * says whether bytes were added after a full final chunk (one chunk read, for a broken file only).
   */
  async checkTail(): Promise<void> {
    const { chunks, lastLen, file } = this;
    if (this.size === this.start) throw new AgeTruncatedError('it has no payload', file);
    if (lastLen > TAG || (lastLen === TAG && chunks === 1)) return;
    if (chunks === 1) throw new AgeTruncatedError('it ends inside chunk 0, before its tag', file);
    const prev = await readFully(this.fh, this.offsetOf(chunks - 2), SEALED, file);
    if (openChunk(this.key, chunks - 2, true, prev)) throw new AgeTrailingDataError(lastLen, file);
    if (lastLen < TAG) throw new AgeTruncatedError(`it ends inside chunk ${chunks - 1}, before its tag`, file);
    const tail = await readFully(this.fh, this.offsetOf(chunks - 1), TAG, file);
    const why = openChunk(this.key, chunks - 1, true, tail) ? 'is an empty final chunk after data (not allowed in age v1)' : undefined;
    throw new AgeChunkError(chunks - 1, this.offsetOf(chunks - 1), why, file);
  }

  private offsetOf(i: number): number {
    return this.start + i * SEALED;
  }

  /** Chunk i opened, or the typed error: the same second chances as PayloadOpener (age-stream.ts). */
  private openAt(i: number, sealed: Buffer): Buffer {
    const last = i === this.chunks - 1;
    const plain = openChunk(this.key, i, last, sealed);
    if (plain) return plain;
    if (!last && openChunk(this.key, i, true, sealed)) throw new AgeTrailingDataError(this.size - this.offsetOf(i + 1), this.file);
    if (last && sealed.length === SEALED && openChunk(this.key, i, false, sealed)) throw new AgeTruncatedError(`it ends after chunk ${i}, which is not the final chunk`, this.file);
    throw new AgeChunkError(i, this.offsetOf(i), undefined, this.file);
  }

  async *range(offset: number, length: number): AsyncGenerator<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.plaintextSize) {
      throw new RangeError(`range ${offset}+${length} is outside the plaintext (${this.plaintextSize} bytes)`);
    }
    if (length === 0) return;
    const first = Math.floor(offset / CHUNK);
    const lastChunk = Math.floor((offset + length - 1) / CHUNK);
    for (let i = first; i <= lastChunk; i += BATCH) {
      const n = Math.min(BATCH, lastChunk - i + 1);
      const pos = this.offsetOf(i);
      const sealed = await readFully(this.fh, pos, Math.min(n * SEALED, this.size - pos), this.file);
      const plains = Array.from({ length: n }, (_, k) => this.openAt(i + k, sealed.subarray(k * SEALED, (k + 1) * SEALED)));
      const from = Math.max(offset - i * CHUNK, 0);
      const to = Math.min(offset + length - i * CHUNK, n * CHUNK);
      yield Buffer.concat(plains).subarray(from, to);
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const p of this.range(offset, length)) parts.push(p);
    return Buffer.concat(parts);
  }
}
