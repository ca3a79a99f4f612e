// Streams MANIFEST.tsv (format 2: MANIFEST.tsv.gz, inflated as it is read) one entry at a time
// (a manifest can list millions of members), with a cap on the length of a line
// (MAX_MANIFEST_LINE_BYTES): a drive is untrusted input.
import { basename } from 'node:path';
import { NotRegularFileError } from '../io/read-regular.js';
import { CappedLineReader, LineTooLongError } from '../io/capped-lines.js';
import { BadGzipError, openTextFile, type TextFile } from '../io/text-file.js';
import { MAX_MANIFEST_LINE_BYTES } from './format.js';
import { isManifestComment, MANIFEST_HEADERS, parseManifestLine, parseManifestLineV2, ManifestSyntaxError, type ManifestEntry, type ManifestVersion } from './manifest.js';

export class ManifestReader {
  private lines: CappedLineReader | undefined;
  private fh: TextFile | undefined;
  private closed = false;
  private lineNo = 0;
  private headerSeen = false;
  /** The rest of a line that held a bare `\r`: read as line breaks, as readline did (see next()). */
  private split: string[] = [];
  /** The version line 1 named (one of those this reader was told to take). */
  version: ManifestVersion | undefined;

  /** `versions`: the manifest versions the snapshot may hold (its snapshot.json's format says which); any other is damage. */
  constructor(private readonly path: string, private readonly versions: readonly ManifestVersion[] = [1]) {}

  /**
   * Opened on the first next(): O_NONBLOCK so that a FIFO in its place opens at once (and is
   * refused) instead of blocking forever; O_NOFOLLOW and fstat so that only a regular file is read.
   */
  private async open(): Promise<CappedLineReader | undefined> {
    let fh;
    try {
      fh = await openTextFile(this.path);
    } catch (e) {
      // "it is a FIFO (named pipe), not a regular file": the manifest's own wording.
      if (e instanceof NotRegularFileError) throw new ManifestSyntaxError(`it is ${e.what}, not a regular file`);
      throw e;
    }
    if (this.closed) {
      await fh.close();
      return undefined;
    }
    this.fh = fh;
    return new CappedLineReader(fh, MAX_MANIFEST_LINE_BYTES);
  }

  /** The next line; `\r\n` and a bare `\r` end a line too (a CRLF manifest still reads, as it always did). */
  private async nextLine(): Promise<string | undefined> {
    if (this.split.length > 0) return this.split.shift();
    let line: string | undefined;
    try {
      line = await this.lines!.next();
    } catch (e) {
      if (e instanceof LineTooLongError) throw new ManifestSyntaxError(`${e.message} (the most a manifest line can be)`);
      if (e instanceof BadGzipError) throw new ManifestSyntaxError(e.message);
      throw e;
    }
    if (line === undefined || !line.includes('\r')) return line;
    this.split = line.split('\r');
    if (this.split.at(-1) === '') this.split.pop(); // "…\r\n": one break, not two
    return this.split.shift();
  }

  /**
   * The next entry, or undefined at the end. Throws ManifestSyntaxError with the line number;
   * the file is closed at the end and on an error, so a caller that stops there leaks nothing.
   */
  async next(): Promise<ManifestEntry | undefined> {
    try {
      return await this.read();
    } catch (e) {
      this.close();
      if (e instanceof ManifestSyntaxError) e.file ??= this.file;
      throw e;
    }
  }

  private async read(): Promise<ManifestEntry | undefined> {
    if (this.closed) return undefined; // by the caller, or at the end
    if (!this.lines) {
      this.lines = await this.open();
      if (!this.lines) return undefined;
    }
    for (;;) {
      const line = await this.nextLine();
      if (line === undefined) {
        if (!this.headerSeen) throw new ManifestSyntaxError('manifest is empty');
        this.close();
        return undefined;
      }
      this.lineNo++;
      if (this.lineNo === 1) {
        this.version = this.versions.find((v) => MANIFEST_HEADERS[v] === line);
        if (!this.version) throw new ManifestSyntaxError(`line 1: expected ${this.versions.map((v) => `"${MANIFEST_HEADERS[v]}"`).join(' or ')}`);
        this.headerSeen = true;
        continue;
      }
      if (isManifestComment(line) || line === '') continue;
      try {
        return this.version === 2 ? parseManifestLineV2(line) : parseManifestLine(line);
      } catch (e) {
        throw new ManifestSyntaxError(`line ${this.lineNo}: ${(e as Error).message}`);
      }
    }
  }

  /** The manifest's file name (MANIFEST.tsv, or format 2's MANIFEST.tsv.gz), for messages. */
  get file(): string {
    return basename(this.path);
  }

  close(): void {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    void fh?.close().catch(() => {});
  }
}
