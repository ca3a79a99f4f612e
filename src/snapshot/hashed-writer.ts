// A write-once output file that hashes exactly the bytes it writes, in large chunks.
// Two buffers alternate so that filling the next chunk (reading sources) overlaps with the
// write of the previous one.
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { failpoint } from '../io/failpoint.js';

export class HashedWriter {
  private buffers: [Buffer, Buffer];
  private active = 0;
  /** Bytes filled in the active buffer. */
  pos = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');
  /** Bytes handed to write() so far (flushed or not). */
  written = 0;

  private constructor(private readonly fh: FileHandle, readonly path: string, chunkSize: number) {
    this.buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  }

  /** Creates the file; fails if it exists ('wx'), so nothing is ever overwritten. */
  static async create(path: string, chunkSize = 1 << 20): Promise<HashedWriter> {
    return new HashedWriter(await open(path, 'wx'), path, chunkSize);
  }

  get buffer(): Buffer {
    return this.buffers[this.active]!;
  }

  /** Free bytes left in the active buffer. */
  get room(): number {
    return this.buffer.length - this.pos;
  }

  async write(data: Buffer | string): Promise<void> {
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (buf.length > 0) {
      if (this.room === 0) await this.flush();
      const n = buf.copy(this.buffer, this.pos);
      this.pos += n;
      this.written += n;
      buf = buf.subarray(n);
    }
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
    await this.pending; // the other buffer must be free before we fill it
    if (this.pos === 0) return;
    const chunk = this.buffer.subarray(0, this.pos);
    this.hash.update(chunk);
    const p = writeAll(this.fh, chunk);
    p.catch(() => {}); // observed at the next flush/finish; avoids an unhandled rejection meanwhile
    this.pending = p;
    failpoint('write:chunk');
    this.active ^= 1;
    this.pos = 0;
  }

  /** Flushes, fsyncs and closes; returns the SHA-256 and size of everything written. */
  async finish(): Promise<{ sha256: string; size: number }> {
    await this.flush();
    await this.pending;
    await this.fh.sync();
    await this.fh.close();
    return { sha256: this.hash.digest('hex'), size: this.written };
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
