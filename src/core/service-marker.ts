// The line that says a service file was written by airgap, with the SHA-256 of the rest of the
// file: a unit the user edited by hand no longer matches it, and airgap then neither overwrites
// nor removes it without --force; a file without the line is not airgap's, and is never touched.
// Pure: the caller hands in the hash function (node:crypto lives outside core).

export type Digest = (text: string) => string;

const MARKER_RE = /^(?:# |<!-- )airgap-generated sha256=([0-9a-f]{64})\b.*$/;
const NOTE = 'written by `airgap service install`; once edited, airgap will not overwrite or remove it without --force';

/** The file as written: the marker as a `#` comment on the first line, or an XML comment after the XML declaration. */
export function withMarker(body: string, digest: Digest): string {
  const lines = body.split('\n');
  const xml = lines[0]?.startsWith('<?xml');
  const hash = digest(body);
  // An XML comment may not hold "--": the option is named in words there.
  lines.splice(xml ? 1 : 0, 0, xml ? `<!-- airgap-generated sha256=${hash}: ${NOTE.replace('--force', 'the force option')} -->` : `# airgap-generated sha256=${hash}: ${NOTE}`);
  return lines.join('\n');
}

/** What a file at one of airgap's paths is, compared with what airgap would write there now. */
export type FileState =
  | 'absent'
  /** Written by airgap, exactly what it would write now. */
  | 'current'
  /** Written by airgap and not edited, but airgap would write something else now (another config path, time, node or airgap). */
  | 'outdated'
  /** Written by airgap, then edited by hand: its text no longer matches its marker. */
  | 'edited'
  /** Not airgap's: no marker. */
  | 'foreign';

/** Compares the text found (undefined: no file) with the body airgap would write. */
export function fileState(found: string | undefined, body: string, digest: Digest): FileState {
  if (found === undefined) return 'absent';
  const lines = found.split('\n');
  const at = lines.findIndex((l) => MARKER_RE.test(l));
  if (at < 0) return 'foreign';
  const recorded = MARKER_RE.exec(lines[at]!)![1];
  lines.splice(at, 1);
  const rest = lines.join('\n');
  if (digest(rest) !== recorded) return 'edited';
  return rest === body ? 'current' : 'outdated';
}
