// `verify --deep`: FILES.sha256 checked against MANIFEST.tsv, line by line, as the deep check
// walks the manifest.
import { join } from 'node:path';
import type { Finding } from '../core/findings.js';
import { AgeDamagedError } from '../crypto/age-errors.js';
import { isKeyProblem } from '../io/age-feed.js';
import { CappedLineReader, LineTooLongError } from '../io/capped-lines.js';
import { BadGzipError, openTextFile, type TextFile } from '../io/text-file.js';
import { fileSumsFileOf, manifestFileOf, MAX_MANIFEST_LINE_BYTES, type SnapshotFormat } from '../layout/format.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { parseSumLine, type SumLine } from '../layout/sha256sums.js';

/** An OS error by its code (EIO); anything else (an encrypted list's age chunk that fails) by its message. */
const reasonOf = (e: unknown): string => (e instanceof AgeDamagedError ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message);

/** Records a damage finding. */
export type Damage = (code: string, message: string, extra?: Partial<Finding>) => void;

/**
 * FILES.sha256 (for checking restored files with sha256sum) must say what MANIFEST.tsv says:
 * the same files, in the same order, with the same hashes. Both are written together, one
 * line each per stored file. Fed the manifest's entries by the deep check's walk (one read of
 * the manifest for both); a broken manifest is reported by the deep check itself.
 */
export class FileSumsCheck {
  private sums: CappedLineReader | undefined;
  private fh: TextFile | undefined;
  private line = 0;
  private done = false;

  /** FILES.sha256 (format 1) or FILES.sha256.gz (format 2), and the manifest it is checked against. */
  private readonly name: string;
  private readonly manifestName: string;

  private constructor(private readonly damage: Damage, format: SnapshotFormat, encrypted: boolean) {
    this.name = fileSumsFileOf(format, encrypted);
    this.manifestName = manifestFileOf(format, encrypted);
  }

  /** `encrypted`: the lists are FILES.sha256.gz.age and MANIFEST.tsv.gz.age (decrypted as read). */
  static async open(dir: string, format: SnapshotFormat, damage: Damage, encrypted = false): Promise<FileSumsCheck> {
    const c = new FileSumsCheck(damage, format, encrypted);
    try {
      // Line by line: a snapshot may hold millions of files. Split on \n only (readline would
      // also split on \r and hide CRLF damage); a line has the manifest's cap.
      c.fh = await openTextFile(join(dir, c.name));
      c.sums = new CappedLineReader(c.fh, MAX_MANIFEST_LINE_BYTES);
    } catch (e) {
      if (isKeyProblem(e)) throw e;
      c.done = true;
      damage('file-sums-invalid', `${c.name} cannot be read: ${reasonOf(e)}`, { file: c.name });
    }
    return c;
  }

  /** The next manifest entry; only the first disagreement is reported. */
  readonly next = async (e: ManifestEntry): Promise<void> => {
    if (this.done || !e.sha256) return;
    this.line++;
    let s: SumLine | undefined;
    try {
      const next = await this.sums!.next();
      s = next === undefined ? undefined : parseSumLine(next, this.line);
    } catch (err) {
      if (isKeyProblem(err)) throw err;
      const why = err instanceof LineTooLongError ? `${err.message} (the most a line can be)`
        : err instanceof BadGzipError ? err.message : reasonOf(err);
      return this.stop('file-sums-invalid', `${this.name} is malformed: ${why}`, { file: this.name });
    }
    if (!s || s.name !== e.path || s.sha256 !== e.sha256) {
      this.stop('file-sums-mismatch', `${this.name} disagrees with ${this.manifestName} at ${JSON.stringify(e.path)} (line ${this.line})`, { file: this.name, member: e.path });
    }
  };

  /** After the manifest's last entry (unless it broke off): no line may be left over. */
  async finish(manifestComplete: boolean): Promise<void> {
    try {
      if (this.done || !manifestComplete) return;
      const extra = await this.sums!.next().catch(() => ''); // a line too long is one left over too
      if (extra !== undefined) this.damage('file-sums-mismatch', `${this.name} lists more files than ${this.manifestName}, from line ${this.line + 1} on`, { file: this.name });
    } finally {
      this.done = true;
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close().catch(() => {});
    }
  }

  private stop(code: string, message: string, extra: Partial<Finding>): void {
    this.done = true;
    this.damage(code, message, extra);
  }
}
