// Streams MANIFEST.tsv one entry at a time (a manifest can list millions of members).
import type { ReadStream } from 'node:fs';
import { NotRegularFileError, openRegularFile } from '../io/read-regular.js';
import { createInterface } from 'node:readline';
import { isManifestComment, MANIFEST_HEADER, parseManifestLine, ManifestSyntaxError, type ManifestEntry } from '../core/manifest.js';

export class ManifestReader {
  private lines: AsyncIterator<string> | undefined;
  private stream: ReadStream | undefined;
  private closed = false;
  private lineNo = 0;
  private headerSeen = false;

  constructor(private readonly path: string) {}

  /**
   * Opened on the first next(): O_NONBLOCK so that a FIFO in its place opens at once (and is
   * refused) instead of blocking forever; O_NOFOLLOW and fstat so that only a regular file is read.
   */
  private async open(): Promise<AsyncIterator<string>> {
    let fh;
    try {
      ({ fh } = await openRegularFile(this.path));
    } catch (e) {
      // "it is a FIFO (named pipe), not a regular file": the manifest's own wording.
      if (e instanceof NotRegularFileError) throw new ManifestSyntaxError(`it is ${e.what}, not a regular file`);
      throw e;
    }
    if (this.closed) {
      await fh.close();
      return { next: async () => ({ done: true, value: undefined }) };
    }
    this.stream = fh.createReadStream();
    const rl = createInterface({ input: this.stream, crlfDelay: Infinity });
    return rl[Symbol.asyncIterator]();
  }

  /** The next entry, or undefined at the end. Throws ManifestSyntaxError with the line number. */
  async next(): Promise<ManifestEntry | undefined> {
    this.lines ??= await this.open();
    for (;;) {
      const r = await this.lines.next();
      if (r.done) {
        if (!this.headerSeen) throw new ManifestSyntaxError('manifest is empty');
        return undefined;
      }
      this.lineNo++;
      const line = r.value;
      if (this.lineNo === 1) {
        if (line !== MANIFEST_HEADER) throw new ManifestSyntaxError(`line 1: expected "${MANIFEST_HEADER}"`);
        this.headerSeen = true;
        continue;
      }
      if (isManifestComment(line) || line === '') continue;
      try {
        return parseManifestLine(line);
      } catch (e) {
        throw new ManifestSyntaxError(`line ${this.lineNo}: ${(e as Error).message}`);
      }
    }
  }

  close(): void {
    this.closed = true;
    void this.lines?.return?.();
    this.stream?.destroy();
  }
}
