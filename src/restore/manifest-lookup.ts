// Format 2: the manifest lines of a few named files, found without parsing the whole manifest.
// Parsing every line of a 300,000-file MANIFEST.tsv into the restore's index took over a second
// (measured), for a restore that then reads one member at its offset (issue 16: one file out of
// a huge snapshot in under a second). Instead the file (inflated: format 2's manifest is
// MANIFEST.tsv.gz) is scanned as bytes for each path's field
// (`\t<path, escaped>\t`: a memchr-speed search), and only the lines found are parsed. The
// manifest is the one SHA256SUMS vouched for (restore.ts verified it first). Anything this
// cannot settle exactly as the whole index would (a path missing, a folder, a path with entries
// under it, a line broken by a bare CR, a line that does not parse) gives up: the caller then
// loads the whole index, which names the problem as it always does.
import { openTextFile } from '../io/text-file.js';
import { MAX_MANIFEST_LINE_BYTES } from '../layout/format.js';
import { escapeField, MANIFEST_HEADER_V2, parseManifestLineV2, type ManifestEntry } from '../layout/manifest.js';
import { ManifestIndex } from './manifest-index.js';

/** Up to this many paths are looked up this way (each one is a search of the whole file). */
export const MAX_LOOKUP_PATHS = 16;

const CHUNK = 4 << 20;
const NL = 0x0a;
const HASH = 0x23;
/** Line 1 of a v2 manifest (one with CRLF line ends is left to the whole index). */
const HEADER = Buffer.from(`${MANIFEST_HEADER_V2}\n`);

interface Wanted {
  path: string;
  exact: Buffer;
  under: Buffer;
  found?: { at: number; entry: ManifestEntry };
}

/**
 * A ManifestIndex of just these files (and the first copy of each hard link among them), in
 * manifest order, or undefined when the whole manifest must be read instead (see above).
 * `paths` as the user gave them (selection.ts's spelling rules: no leading `./`, no trailing `/`).
 */
export async function lookupFiles(manifestPath: string, paths: string[]): Promise<ManifestIndex | undefined> {
  if (paths.length === 0 || paths.length > MAX_LOOKUP_PATHS) return undefined;
  const wanted = paths.map((p) => want(p.replace(/^\.?\/+/, '').replace(/\/+$/, '')));
  if (!(await scan(manifestPath, wanted))) return undefined;
  // A hard link's content is its first copy's: that line is needed too (selection.ts `extra`).
  const copies = [...new Set(wanted.flatMap((w) => (w.found?.entry.type === 'hardlink' ? [w.found.entry.link!] : [])))]
    .filter((l) => !wanted.some((w) => w.path === l)).map(want);
  if (copies.length && !(await scan(manifestPath, copies))) return undefined;
  const all = [...wanted, ...copies];
  if (all.some((w) => !w.found || (w.found.entry.type !== 'file' && w.found.entry.type !== 'hardlink'))) return undefined;
  const index = new ManifestIndex();
  for (const w of all.sort((a, b) => a.found!.at - b.found!.at)) index.add(w.found!.entry);
  return index;
}

const want = (path: string): Wanted => ({ path, exact: Buffer.from(`\t${escapeField(path)}\t`), under: Buffer.from(`\t${escapeField(path)}/`) });

/** Scans the manifest for each path's line (its first); false when something must be left to the whole index. */
async function scan(manifestPath: string, wanted: Wanted[]): Promise<boolean> {
  const fh = await openTextFile(manifestPath); // MANIFEST.tsv.gz: inflated as it is read
  try {
    // One buffer for the whole file, the unfinished last line moved to its start each time: a
    // fresh 4 MiB buffer per read cost ~25 ms in page faults (measured, 45 MB manifest: 260 ms
    // against 7 ms).
    const buf = Buffer.allocUnsafe(CHUNK + MAX_MANIFEST_LINE_BYTES);
    let kept = 0; // bytes of an unfinished line at buf's start
    let base = 0; // the file offset of buf[0]
    let first = true;
    for (;;) {
      const { bytesRead } = await fh.read(buf, kept, CHUNK, null);
      const data = buf.subarray(0, kept + bytesRead);
      // Whole lines only; the last one, unless the file ended, waits for the next read.
      const end = bytesRead === 0 ? data.length : data.lastIndexOf(NL) + 1;
      const lines = data.subarray(0, end);
      if (first) {
        if (!lines.subarray(0, lines.indexOf(NL) + 1).equals(HEADER)) return false;
        first = false;
      }
      for (const w of wanted) if (!searchChunk(lines, base, w)) return false;
      if (bytesRead === 0) return true;
      kept = data.length - end;
      if (kept > MAX_MANIFEST_LINE_BYTES) return false; // the whole index names the over-long line
      buf.copyWithin(0, end, data.length);
      base += end;
    }
  } finally {
    await fh.close();
  }
}

/** Finds w's line in these whole lines (starting at file offset base); false to give up. */
function searchChunk(lines: Buffer, base: number, w: Wanted): boolean {
  for (const [pattern, exact] of [[w.exact, true], [w.under, false]] as const) {
    for (let hit = lines.indexOf(pattern); hit >= 0; hit = lines.indexOf(pattern, hit + 1)) {
      const start = lines.lastIndexOf(NL, hit) + 1;
      if (lines[start] === HASH) continue; // the header's column names
      const stop = lines.indexOf(NL, hit);
      const text = lines.toString('utf8', start, stop < 0 ? lines.length : stop).replace(/\r$/, '');
      if (text.includes('\r')) return false;
      let entry: ManifestEntry;
      try {
        entry = parseManifestLineV2(text);
      } catch {
        return false;
      }
      // The pattern may have matched another field (a symlink's target): only the path counts.
      if (!exact && entry.path.startsWith(`${w.path}/`)) return false;
      if (exact && entry.path === w.path && !w.found) w.found = { at: base + start, entry };
    }
  }
  return true;
}
