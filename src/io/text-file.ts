// A list file on a drive, read as its text bytes whether it is stored plain (format 1:
// MANIFEST.tsv, FILES.sha256) or gzip-compressed (format 2: MANIFEST.tsv.gz, FILES.sha256.gz;
// docs/FORMAT.md says why). The line readers (io/capped-lines.ts, restore/manifest-lookup.ts)
// read through this one interface, so a drive's compressed list gets every check a plain one
// does: the line cap, and here a cap on the text it may inflate to (a drive is untrusted input:
// a few MB of forged gzip can stand for terabytes of text). An encrypted drive's lists end in
// `.age` (MANIFEST.tsv.gz.age: gzip inside age, docs/FORMAT.md "Encrypted drives"): decrypted
// here as they are read, with the same caps, the key from io/keys.ts; age's typed errors pass
// through as they are (a wrong key is a refusal, never "damaged").
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decryptStream } from '../crypto/age-file.js';
import { identitiesFor, isEncryptedName, ENCRYPTED_SUFFIX } from './keys.js';
import { openRegularFile } from './read-regular.js';

/** What the line readers need of a file: FileHandle.read's shape, reading on from where the last read stopped. */
export interface TextSource {
  read(buffer: Buffer, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
}

export interface TextFile extends TextSource {
  close(): Promise<void>;
}

/** The gzip data is not whole or not gzip (a damaged or forged file). */
export class BadGzipError extends Error {
  readonly code = 'EBADGZIP';
}

/**
 * The most text one compressed list may hold: 8 GiB, over 40 million files of MANIFEST.tsv
 * lines (~150 bytes each). Past it the file is refused, not read on for hours.
 */
export const MAX_INFLATED_BYTES = 8 * 1024 ** 3;

/** The name of a gzip-compressed list ends so (and only such a name is inflated). */
export const isGzipName = (path: string) => path.endsWith('.gz');

/**
 * Opens a list file from a drive (a regular file only: io/read-regular.ts's guarantees): plain,
 * decrypted when its name ends in `.age`, then inflated as it is read when the name (without
 * `.age`) ends in `.gz`. The caller closes it.
 */
export async function openTextFile(path: string, opts: { maxInflated?: number } = {}): Promise<TextFile> {
  const sealed = isEncryptedName(path);
  const inner = sealed ? path.slice(0, -ENCRYPTED_SUFFIX.length) : path;
  // Asked before the file is opened: without a key, nothing is read.
  const identities = sealed ? await identitiesFor(path) : undefined;
  const { fh } = await openRegularFile(path);
  if (!identities && !isGzipName(inner)) return fh;
  const stages: NodeJS.ReadWriteStream[] = [];
  if (identities) stages.push(decryptStream(identities, path));
  if (isGzipName(inner)) stages.push(createGunzip({ chunkSize: 64 << 10 }));
  return new StreamedFile(fh, stages, opts.maxInflated ?? MAX_INFLATED_BYTES);
}

/** A file read through transforms (decrypt, gunzip), with a cap on what comes out. */
class StreamedFile implements TextFile {
  private readonly stream: Readable;
  private readonly last: Readable;
  private readonly chunks: AsyncIterator<Buffer>;
  private rest: Buffer = Buffer.alloc(0);
  private inflated = 0;
  private ended = false;

  constructor(private readonly fh: FileHandle, private readonly stages: NodeJS.ReadWriteStream[], private readonly maxInflated: number) {
    this.stream = fh.createReadStream({ autoClose: false, start: 0, highWaterMark: 64 << 10 });
    this.last = stages.at(-1) as unknown as Readable;
    // A read error of the file, or a stage's, reaches the iterator through the last stage it destroys.
    pipeline([this.stream, ...stages] as unknown as [Readable, Readable], () => {});
    this.chunks = this.last[Symbol.asyncIterator]();
  }

  /** Fills up to `length` bytes (fewer only at the end): callers read in large chunks. */
  async read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }> {
    let n = 0;
    while (n < length) {
      if (this.rest.length === 0) {
        if (this.ended) break;
        const r = await this.nextChunk();
        if (r === undefined) {
          this.ended = true;
          break;
        }
        this.rest = r;
      }
      const k = this.rest.copy(buffer, offset + n, 0, Math.min(this.rest.length, length - n));
      this.rest = this.rest.subarray(k);
      n += k;
    }
    return { bytesRead: n };
  }

  private async nextChunk(): Promise<Buffer | undefined> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.chunks.next();
    } catch (e) {
      // zlib's errors carry a Z_* code ("incorrect header check", "unexpected end of file").
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('Z_')) throw new BadGzipError(`it is not whole gzip data (${(e as Error).message})`);
      throw e;
    }
    if (r.done) return undefined;
    this.inflated += r.value.length;
    if (this.inflated > this.maxInflated) throw new BadGzipError(`it inflates to more than ${this.maxInflated} bytes`);
    return r.value;
  }

  async close(): Promise<void> {
    this.stream.destroy();
    for (const s of this.stages) (s as unknown as Readable).destroy();
    await this.fh.close();
  }
}
