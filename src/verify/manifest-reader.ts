// Streams MANIFEST.tsv one entry at a time (a manifest can list millions of members).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isManifestComment, MANIFEST_HEADER, parseManifestLine, ManifestSyntaxError, type ManifestEntry } from '../core/manifest.js';

export class ManifestReader {
  private lines: AsyncIterator<string>;
  private lineNo = 0;
  private headerSeen = false;

  constructor(path: string) {
    const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    this.lines = rl[Symbol.asyncIterator]();
  }

  /** The next entry, or undefined at the end. Throws ManifestSyntaxError with the line number. */
  async next(): Promise<ManifestEntry | undefined> {
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
    void this.lines.return?.();
  }
}
