// Format 3's tarball writer: the archive code's tar bytes (TarOut, tar-out.ts) go into a
// GzipBlockWriter (io/gzip-blocks.ts) whose gzip members go into the HashedWriter of the stored
// `<ID>.tar.gz` — so SHA256SUMS, the parts (FAT) and the sealing (`.tar.gz.age`) are all of the
// compressed bytes as stored, while `written` here counts TAR bytes (the manifest's offsets stay
// offsets in the uncompressed tar, docs/FORMAT.md "Format 3").
//
// The archive fills a buffer of its own, as it fills a HashedWriter's: small files are appended
// without an await (put/putRange) and large ones are read straight into it (buffer/pos/commit).
// memberEnd() only notes where in the buffer a member ended; flush() hands the buffer to the
// block writer in pieces, calling its memberEnd() at each of those places, so that blocks are
// cut at member boundaries (a small file's restore inflates one block). One buffer is enough:
// the block writer copies what it is given, and compresses on the threadpool meanwhile.
import type { GzipBlockIndex, GzipBlockWriter } from '../io/gzip-blocks.js';
import type { TarOut } from './tar-out.js';

/** The buffer the archive fills: the block writer's target (1 MiB), so a flush is about one block. */
const BUFFER_BYTES = 1 << 20;

export class GzipTarOut implements TarOut {
  readonly buffer: Buffer;
  pos = 0;
  written = 0;
  /** Where members ended in the buffer since the last flush (rising, no repeats). */
  private readonly ends: number[] = [];

  constructor(private readonly gz: GzipBlockWriter, bufferBytes = BUFFER_BYTES) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  get room(): number {
    return this.buffer.length - this.pos;
  }

  async write(data: Buffer | string): Promise<void> {
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (buf.length > 0) {
      if (this.room === 0) await this.flush();
      const n = buf.copy(this.buffer, this.pos);
      this.commit(n);
      buf = buf.subarray(n);
    }
  }

  put(data: Buffer): boolean {
    if (data.length > this.room) return false;
    this.commit(data.copy(this.buffer, this.pos));
    return true;
  }

  putRange(src: Buffer, start: number, end: number): boolean {
    if (end - start > this.room) return false;
    this.commit(src.copy(this.buffer, this.pos, start, end));
    return true;
  }

  commit(n: number): void {
    this.pos += n;
    this.written += n;
  }

  async writeZeros(n: number): Promise<void> {
    while (n > 0) {
      if (this.room === 0) await this.flush();
      const k = Math.min(n, this.room);
      this.buffer.fill(0, this.pos, this.pos + k);
      this.commit(k);
      n -= k;
    }
  }

  memberEnd(): void {
    if (this.ends.at(-1) !== this.pos) this.ends.push(this.pos);
  }

  /** The buffer to the block writer, cut at the member ends noted; the buffer is free again after. */
  async flush(): Promise<void> {
    let at = 0;
    for (const end of this.ends) {
      if (end > at) await this.gz.write(this.buffer.subarray(at, end));
      await this.gz.memberEnd();
      at = end;
    }
    if (this.pos > at) await this.gz.write(this.buffer.subarray(at, this.pos));
    this.ends.length = 0;
    this.pos = 0;
  }

  /** Everything to the block writer and every block to the sink; the index of the `.tar.gz`. */
  async finish(): Promise<GzipBlockIndex> {
    this.memberEnd(); // the end-of-archive marker is the last "member"
    await this.flush();
    return this.gz.finish();
  }

  /**
   * The failure path: lets the blocks still being compressed reach the sink (or fail), so that
   * nothing writes into the snapshot's folder while it is removed. Never throws.
   */
  async abandon(): Promise<void> {
    await this.gz.finish().catch(() => {});
  }
}
