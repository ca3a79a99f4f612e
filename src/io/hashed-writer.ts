// A write-once output file that hashes exactly the bytes it writes, in large chunks.
// Two buffers alternate so that filling the next chunk (reading sources) overlaps with the
// write of the previous one. With a part size (FAT drives) the output is split into files
// of at most that size: `<path>` while it fits in one, else `<path>.000`, `<path>.001`, …
// each with its own SHA-256 besides the hash of the whole stream. With a sealing (an encrypted
// snapshot, docs/FORMAT.md "Encrypted drives") the file is one age file: what is handed over is
// plaintext, and each chunk is sealed on its way out; sizes, parts and hashes are of the stored
// bytes, while `written` still counts plaintext (the manifest's offsets are plaintext offsets).
import { open, rename, type FileHandle } from 'node:fs/promises';
import { refusal } from '../core/errors.js';
import type { Encryption } from '../crypto/age-file.js';
import { CHUNK, TAG } from '../crypto/age-stream.js';
import { failpoint } from './failpoint.js';
import { localHasher, quiet, type Hasher, type StreamHash, type ThreadSealer } from './hash-thread.js';

export interface WrittenPart {
  path: string;
  size: number;
  sha256: string;
}

export interface Written {
  sha256: string;
  size: number;
  /** Only when the output was split: every part, in order. */
  parts?: WrittenPart[];
}

const partPath = (path: string, i: number) => `${path}.${String(i).padStart(3, '0')}`;

export class HashedWriter {
  private buffers: [Buffer, Buffer];
  private active = 0;
  /** Bytes filled in the active buffer. */
  pos = 0;
  /** Everything handed over so far written and hashed (the tail of the chain of writes). */
  private pending: Promise<unknown> = Promise.resolve();
  /** The buffer flushed last may be filled again: written and hashed, or (sealing on a thread) only sealed. */
  private plainFree: Promise<unknown> = Promise.resolve();
  private readonly hash: StreamHash;
  /** Bytes handed to write() so far (flushed or not): plaintext, when sealing. */
  written = 0;
  /** Bytes given to the file (sealed, when sealing). */
  private stored = 0;
  /** Sealing: where sealed bytes go (two when the thread seals; slotDone: each one's last write and hashing); the header out yet? */
  private sealedBuffers: Buffer[] = [];
  private slot = 0;
  private slotDone: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  private prefixOut = false;
  private sealEnded = false;
  /** With a thread hasher, the sealing runs on that thread too, while this one fills the next buffer. */
  private readonly threadSealer: ThreadSealer | undefined;
  // Parts: the one being written, its size and hash so far; the finished ones.
  private partHash: StreamHash | undefined;
  private partBytes = 0;
  private readonly parts: WrittenPart[] = [];

  private constructor(
    private fh: FileHandle, readonly path: string, chunkSize: number,
    private readonly partSize: number | undefined, private readonly maxParts: number,
    private readonly hasher: Hasher,
    private readonly seal: Encryption | undefined,
  ) {
    this.buffers = [hasher.alloc(chunkSize), hasher.alloc(chunkSize)];
    this.hash = hasher.create();
    if (partSize) this.partHash = hasher.create();
    this.threadSealer = seal && hasher.sealer ? hasher.sealer(seal.key) : undefined;
    // A sealed buffer holds a flush's sealed bytes: the chunk the sealer held back, the buffer's
    // own chunks (16 bytes more each) and, the first time, the header. On a thread there are two,
    // so that the thread seals one buffer while the other is written: sealing then writing each
    // in turn left the drive idle while the thread sealed (~0.6 s per GiB here, issue 18).
    const sealedSize = (seal?.prefix.length ?? 0) + chunkSize + CHUNK + TAG * (Math.ceil(chunkSize / CHUNK) + 2);
    if (seal) for (let i = this.threadSealer ? 2 : 1; i > 0; i--) this.sealedBuffers.push(hasher.alloc(sealedSize));
  }

  /**
   * Creates the file; fails if it exists ('wx'), so nothing is ever overwritten. With a thread
   * hasher the hashing of each chunk runs there, beside its write.
   */
  static async create(
    path: string, chunkSize = 1 << 20, split?: { partSize: number; maxParts: number }, hasher: Hasher = localHasher, seal?: Encryption,
  ): Promise<HashedWriter> {
    return new HashedWriter(await open(path, 'wx'), path, chunkSize, split?.partSize, split?.maxParts ?? Infinity, hasher, seal);
  }

  /** Runs before each chunk is written; throwing stops the write (e.g. the drive is gone). */
  guard: (() => Promise<void>) | undefined;

  get buffer(): Buffer {
    return this.buffers[this.active]!;
  }

  /** Free bytes left in the active buffer. */
  get room(): number {
    return this.buffer.length - this.pos;
  }

  async write(data: Buffer | string): Promise<void> {
    if (this.sealEnded) throw new Error('HashedWriter: bytes handed over after the age file was ended (drain)');
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (buf.length > 0) {
      if (this.room === 0) await this.flush();
      const n = buf.copy(this.buffer, this.pos);
      this.pos += n;
      this.written += n;
      buf = buf.subarray(n);
    }
  }

  /** Copies data into the active buffer if it fits whole (no await needed); false otherwise. */
  put(data: Buffer): boolean {
    if (data.length > this.room) return false;
    data.copy(this.buffer, this.pos);
    this.pos += data.length;
    this.written += data.length;
    return true;
  }

  /** put() for bytes [start, end) of src, without making a view of them. */
  putRange(src: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (n > this.room) return false;
    src.copy(this.buffer, this.pos, start, end);
    this.pos += n;
    this.written += n;
    return true;
  }

  /** Encodes text as UTF-8 straight into the active buffer if it surely fits; false otherwise. */
  putText(text: string): boolean {
    if (text.length * 3 > this.room) return false; // a UTF-16 unit is at most 3 UTF-8 bytes
    const n = this.buffer.write(text, this.pos);
    this.pos += n;
    this.written += n;
    return true;
  }

  /** Marks n bytes the caller filled in directly at buffer[pos..] as written. */
  commit(n: number): void {
    this.pos += n;
    this.written += n;
  }

  /** Writes zeros (tar padding) without allocating. */
  async writeZeros(n: number): Promise<void> {
    while (n > 0) {
      if (this.room === 0) await this.flush();
      const k = Math.min(n, this.room);
      this.buffer.fill(0, this.pos, this.pos + k);
      this.commit(k);
      n -= k;
    }
  }

  /** Starts writing the active buffer and switches to the other one. */
  async flush(): Promise<void> {
    await this.plainFree; // the other buffer must be free before we fill it
    if (this.pos === 0) return;
    if (this.sealEnded) throw new Error('HashedWriter: bytes handed over after the age file was ended (drain)');
    await this.guard?.();
    const plain = this.buffer.subarray(0, this.pos);
    if (this.threadSealer) {
      // Sealed there into a sealed buffer once that buffer's last write and hashing are done; then
      // written and hashed after everything before it. This plain buffer is free once sealed.
      const sealer = this.threadSealer;
      const out = this.sealedBuffers[this.slot]!;
      const at = this.prefixAt(out);
      const sealed = quiet(this.slotDone[this.slot]!.then(() => sealer.seal(plain, out.subarray(at))));
      const before = this.pending;
      this.pending = this.slotDone[this.slot] = quiet(Promise.all([sealed, before]).then(([n]) => this.emit(out.subarray(0, at + n))).then((w) => w.done));
      this.plainFree = sealed;
      this.slot ^= 1;
    } else {
      const chunk = this.seal ? this.sealed(this.seal.sealer.push(plain)) : plain;
      this.plainFree = this.pending = (await this.emit(chunk)).done;
    }
    failpoint('write:chunk');
    this.active ^= 1;
    this.pos = 0;
  }

  /** The header goes first, once: copied to the start of `out`; returns where the sealed chunks go after it. */
  private prefixAt(out: Buffer): number {
    if (this.prefixOut) return 0;
    this.prefixOut = true;
    return this.seal!.prefix.copy(out, 0);
  }

  /** The file's next bytes: the header first (once), then the sealed chunks, copied into sealedBuffer. */
  private sealed(pieces: Buffer[]): Buffer {
    const out = this.sealedBuffers[0]!;
    let n = 0;
    if (!this.prefixOut) {
      n += this.seal!.prefix.copy(out, 0);
      this.prefixOut = true;
    }
    for (const p of pieces) n += p.copy(out, n);
    return out.subarray(0, n);
  }

  /**
   * Starts the write and the hashing of `chunk` (crossing into the next part first when it must)
   * and returns the promise of both (wrapped, so that awaiting emit does not wait for them): the
   * buffer is reused only once they are done.
   */
  private async emit(chunk: Buffer): Promise<{ done: Promise<unknown> }> {
    this.stored += chunk.length;
    const hashed: (void | Promise<void>)[] = [quiet(this.hash.update(chunk))];
    if (this.partSize) {
      // Crossing a part boundary is rare (every few GiB): do it in order, then go on.
      while (this.partBytes + chunk.length > this.partSize) {
        const head = chunk.subarray(0, this.partSize - this.partBytes);
        hashed.push(quiet(this.partHash!.update(head)));
        this.partBytes += head.length;
        await writeAll(this.fh, head);
        await this.nextPart();
        chunk = chunk.subarray(head.length);
      }
      hashed.push(quiet(this.partHash!.update(chunk)));
      this.partBytes += chunk.length;
    }
    return { done: quiet(Promise.all([writeAll(this.fh, chunk), ...hashed])) }; // observed at the next flush/finish
  }

  /** Closes the current part durably and opens the next one. */
  private async nextPart(): Promise<void> {
    const index = this.parts.length;
    if (index + 1 >= this.maxParts) {
      throw refusal('too-many-parts', `the tarball needs more than ${this.maxParts} parts of ${this.partSize} bytes`, 'use a larger --part-size, or a drive formatted exFAT, NTFS or ext4 (no 4 GiB limit)');
    }
    await this.fh.sync();
    await this.fh.close();
    // The first part was written under the plain name while it might have been the only one.
    const done = partPath(this.path, index);
    if (index === 0) await rename(this.path, done);
    this.parts.push({ path: done, size: this.partBytes, sha256: await this.partHash!.digest() });
    this.fh = await open(partPath(this.path, index + 1), 'wx');
    this.partHash = this.hasher.create();
    this.partBytes = 0;
  }

  /**
   * Waits until every byte handed over so far is in the file (written, not yet fsynced). A sealed
   * file is then complete: its final chunk is written too, and nothing more may be handed over
   * (a read-back started after drain must see the whole age file).
   */
  async drain(): Promise<void> {
    await this.flush();
    await this.pending;
    await this.endSeal();
  }

  /** An age file ends with its final chunk (empty when nothing was written: still one chunk); once. */
  private async endSeal(): Promise<void> {
    if (!this.seal || this.sealEnded) return;
    this.sealEnded = true;
    if (this.threadSealer) {
      await this.pending; // every sealed buffer written: either may take the final chunk
      const out = this.sealedBuffers[this.slot]!;
      const at = this.prefixAt(out);
      const n = await this.threadSealer.end(out.subarray(at));
      await (this.pending = (await this.emit(out.subarray(0, at + n))).done);
    } else await (this.pending = (await this.emit(this.sealed(this.seal.sealer.end()))).done);
  }

  /** The files written so far, in order: the plain name, or the parts. */
  get files(): string[] {
    return this.parts.length === 0 ? [this.path] : [...this.parts.map((p) => p.path), partPath(this.path, this.parts.length)];
  }

  /** Flushes, fsyncs and closes; returns the SHA-256 and size of everything written (and the parts, if split). */
  async finish(): Promise<Written> {
    await this.flush();
    await this.pending;
    await this.endSeal();
    await this.fh.sync();
    await this.fh.close();
    const whole = { sha256: await this.hash.digest(), size: this.stored };
    if (this.parts.length === 0) return whole;
    const last = { path: partPath(this.path, this.parts.length), size: this.partBytes, sha256: await this.partHash!.digest() };
    return { ...whole, parts: [...this.parts, last] };
  }

  /** Closes without syncing, for the failure path; never throws. */
  async abandon(): Promise<void> {
    await this.pending.catch(() => {});
    await this.fh.close().catch(() => {});
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
