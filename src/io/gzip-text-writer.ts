// A list file written gzip-compressed (format 2's MANIFEST.tsv.gz and FILES.sha256.gz) through
// a HashedWriter, so that what SHA256SUMS vouches for is the compressed file as it lies on the
// drive (`sha256sum -c` checks it without airgap). The text is gathered in one buffer, as
// HashedWriter's own (putText needs no await), and each full buffer is compressed by one gzip
// stream: one gzip member for the whole file, which every gunzip reads (some readers stop after
// the first member of a multi-member file).
import { createGzip, type Gzip } from 'node:zlib';
import type { Encryption } from '../crypto/age-file.js';
import { HashedWriter, type Written } from './hashed-writer.js';

/** What the archive writes its lists through: a HashedWriter, or this. */
export interface TextOut {
  putText(text: string): boolean;
  write(data: Buffer | string): Promise<void>;
  finish(): Promise<Written>;
  abandon(): Promise<void>;
}

/** A list file created for writing: plain (format 1), or gzipped (format 2); sealed into an age file when given an encryption. */
export async function createListFile(path: string, gzip: boolean, seal?: Encryption): Promise<TextOut> {
  const file = await HashedWriter.create(path, gzip ? 64 << 10 : 256 << 10, undefined, undefined, seal);
  return gzip ? new GzipTextWriter(file) : file;
}

/** gzip's own default: level 1 made 5 % more bytes, for half the (threadpool) time. */
const LEVEL = 6;

export class GzipTextWriter implements TextOut {
  private buffer: Buffer;
  private pos = 0;
  private readonly gzip: Gzip;
  /** Compressed output not yet handed to the file. */
  private out: Buffer[] = [];
  private failed: Error | undefined;

  constructor(private readonly file: HashedWriter, chunkSize = 256 << 10) {
    this.buffer = Buffer.allocUnsafe(chunkSize);
    this.gzip = createGzip({ level: LEVEL });
    this.gzip.on('data', (c: Buffer) => this.out.push(c));
    this.gzip.on('error', (e) => (this.failed ??= e));
  }

  /** Encodes text into the buffer if it surely fits; false otherwise (then write()). */
  putText(text: string): boolean {
    if (text.length * 3 > this.buffer.length - this.pos) return false; // a UTF-16 unit is at most 3 UTF-8 bytes
    this.pos += this.buffer.write(text, this.pos);
    return true;
  }

  async write(data: Buffer | string): Promise<void> {
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    while (buf.length > 0) {
      if (this.pos === this.buffer.length) await this.flush();
      const n = buf.copy(this.buffer, this.pos);
      this.pos += n;
      buf = buf.subarray(n);
    }
  }

  /** Compresses the buffer (on the threadpool) and hands what came out to the file. */
  private async flush(): Promise<void> {
    if (this.pos > 0) {
      const chunk = Buffer.from(this.buffer.subarray(0, this.pos)); // the buffer is refilled at once
      this.pos = 0;
      await new Promise<void>((resolve, reject) => this.gzip.write(chunk, (e) => (e ? reject(e) : resolve())));
    }
    await this.drainOut();
  }

  private async drainOut(): Promise<void> {
    if (this.failed) throw this.failed;
    const out = this.out;
    this.out = [];
    for (const c of out) await this.file.write(c);
  }

  /** Ends the gzip stream, writes its tail, and finishes the file (fsync): its SHA-256 and size. */
  async finish(): Promise<Written> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
      this.gzip.end();
    });
    await this.drainOut();
    return this.file.finish();
  }

  async abandon(): Promise<void> {
    this.gzip.destroy();
    await this.file.abandon();
  }
}
