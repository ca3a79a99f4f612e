// verify.html's deep mode: FILES.sha256 (format 1) or FILES.sha256.gz (format 2), the list for
// checking restored files with sha256sum, must say what the manifest says: the same files, in the
// same order, with the same hashes. Checked as verify/file-sums-check.ts checks it (the same
// codes and words, only the first disagreement), fed each manifest entry by the walk's one read
// of the manifest; the lines parsed by the CLI's own parser (layout/sha256sums.ts).
import type { ManifestEntry } from '../layout/manifest.js';
import { parseSumLine, type SumLine } from '../layout/sha256sums.js';
import type { DeepFinding } from './deep-walk.js';
import { lines } from './manifest-lines.js';

export class FileSumsLines {
  private readonly it: AsyncGenerator<string> | undefined;
  private line = 0;
  private done = false;
  readonly findings: DeepFinding[] = [];

  /** `blob` undefined: the file is not there (SHA256SUMS names it missing; here it cannot be read). */
  constructor(blob: Blob | undefined, gzipped: boolean, private readonly name: string, private readonly manifestName: string) {
    if (blob) this.it = lines(blob, gzipped, true);
    else this.stop('file-sums-invalid', `${name} cannot be read: it is not there`);
  }

  /** The next manifest entry (every one, carried or not); only those with a hash have a line. */
  async next(e: ManifestEntry): Promise<void> {
    if (this.done || !e.sha256) return;
    this.line++;
    let s: SumLine | undefined;
    try {
      const r = await this.it!.next();
      s = r.done ? undefined : parseSumLine(r.value, this.line);
    } catch (err) {
      return this.stop('file-sums-invalid', `${this.name} is malformed: ${(err as Error).message}`);
    }
    if (!s || s.name !== e.path || s.sha256 !== e.sha256) {
      this.stop('file-sums-mismatch', `${this.name} disagrees with ${this.manifestName} at ${JSON.stringify(e.path)} (line ${this.line})`, e.path);
    }
  }

  /** After the manifest's last entry (unless it broke off): no line may be left over. */
  async finish(manifestComplete: boolean): Promise<void> {
    if (this.done || !manifestComplete) return void this.it?.return(undefined);
    const extra = await this.it!.next().then((r) => (r.done ? undefined : r.value), () => '');
    if (extra !== undefined) this.findings.push({ code: 'file-sums-mismatch', file: this.name, message: `${this.name} lists more files than ${this.manifestName}, from line ${this.line + 1} on` });
    this.done = true;
    void this.it!.return(undefined);
  }

  private stop(code: string, message: string, member?: string): void {
    this.done = true;
    this.findings.push({ code, message, file: this.name, ...(member !== undefined ? { member } : {}) });
  }
}
