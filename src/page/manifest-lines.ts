// A snapshot's MANIFEST.tsv (format 1) or MANIFEST.tsv.gz (format 2) as verify.html's deep mode
// reads it: streamed from the picked file (gunzipped by the browser's DecompressionStream), one
// entry at a time, never the whole file in memory. The lines are parsed by the CLI's own parser
// (layout/manifest.ts), with the rules of its reader (layout/manifest-reader.ts): line 1 names a
// version the snapshot may hold, comments and empty lines are skipped, a line is capped in length.
import { MAX_MANIFEST_LINE_BYTES } from '../layout/format.js';
import { isManifestComment, MANIFEST_HEADERS, ManifestSyntaxError, parseManifestLine, parseManifestLineV2, type ManifestEntry, type ManifestVersion } from '../layout/manifest.js';

/** The entries of the manifest in `blob`, in order. Throws ManifestSyntaxError (with the line number) on damage. */
export async function* manifestEntries(blob: Blob, gzipped: boolean, versions: readonly ManifestVersion[]): AsyncGenerator<ManifestEntry> {
  let version: ManifestVersion | undefined;
  let n = 0;
  for await (const line of lines(blob, gzipped)) {
    n++;
    if (n === 1) {
      version = versions.find((v) => MANIFEST_HEADERS[v] === line);
      if (!version) throw new ManifestSyntaxError(`line 1: expected ${versions.map((v) => `"${MANIFEST_HEADERS[v]}"`).join(' or ')}`);
      continue;
    }
    if (isManifestComment(line) || line === '') continue;
    try {
      yield version === 2 ? parseManifestLineV2(line) : parseManifestLine(line);
    } catch (e) {
      throw new ManifestSyntaxError(`line ${n}: ${(e as Error).message}`);
    }
  }
  if (n === 0) throw new ManifestSyntaxError('manifest is empty');
}

/**
 * The lines of the text; for a manifest `\r\n` and a bare `\r` end a line too, as the CLI's
 * reader reads them; `newlineOnly` (FILES.sha256, as file-sums-check.ts reads it): only `\n`.
 */
export async function* lines(blob: Blob, gzipped: boolean, newlineOnly = false): AsyncGenerator<string> {
  let bytes: ReadableStream<Uint8Array> = blob.stream();
  if (gzipped) bytes = bytes.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const reader = bytes.pipeThrough(new TextDecoderStream('utf-8', { ignoreBOM: true }) as unknown as TransformStream<Uint8Array, string>).getReader();
  let rest = '';
  try {
    for (;;) {
      let got;
      try {
        got = await reader.read();
      } catch (e) {
        throw new ManifestSyntaxError(gzipped ? `not a valid gzip file: ${(e as Error).message}` : (e as Error).message);
      }
      if (got.done) break;
      rest += got.value;
      const parts = rest.split(newlineOnly ? '\n' : /\r\n|\r|\n/);
      rest = parts.pop()!;
      // A "\r\n" cut between two chunks reads as two breaks here: the empty line between them is
      // skipped like any other, so only a later error's line number could differ from the CLI's.
      for (const p of parts) yield capped(p);
      capped(rest);
    }
    if (rest !== '') yield capped(rest);
  } finally {
    // Stopped early (damage found, or the walk broke off): the file is read no further.
    void reader.cancel().catch(() => {});
  }
}

const utf8 = new TextEncoder();

/** A line within the CLI's cap, counted in UTF-8 bytes as its reader counts them (io/capped-lines.ts); else damage. */
function capped(line: string): string {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: encode only a line that may be over.
  if (line.length > MAX_MANIFEST_LINE_BYTES / 3 && (line.length > MAX_MANIFEST_LINE_BYTES || utf8.encode(line).length > MAX_MANIFEST_LINE_BYTES)) {
    throw new ManifestSyntaxError(`a line is longer than ${MAX_MANIFEST_LINE_BYTES} bytes (the most a line can be)`);
  }
  return line;
}
