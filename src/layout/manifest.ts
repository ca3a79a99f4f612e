// The per-file manifest (MANIFEST.tsv): one line per archive member, in archive order, so a
// person or a script can see what a snapshot holds without reading the tarball, and `verify
// --deep` can check every member against it. Format documented in docs/FORMAT.md (version 1)
// and docs/FORMAT-v2.md (version 2: two more fields, where each member's content is).
import { isSnapshotId } from './snapshot-id.js';

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface ManifestEntry {
  type: MemberType;
  /** Path inside the archive, '/'-separated, no leading or trailing slash. */
  path: string;
  mode: number; // permission bits incl. setuid/setgid/sticky (07777)
  uid: number;
  gid: number;
  /** Content size; for a hardlink, the size of the file it links to (its tar body is empty). */
  size: number;
  /** Whole seconds since the epoch, as stored in the tar header. */
  mtime: number;
  /** SHA-256 of the content for files and hardlinks. */
  sha256?: string;
  /** Symlink target (verbatim) or, for a hardlink, the archive path of the first copy. */
  link?: string;
  /**
   * Manifest v2 (format 2, docs/FORMAT-v2.md): the snapshot whose tarball holds this member's
   * content, when it is not this snapshot (an unchanged file carried forward from the chain).
   */
  in?: string;
  /** Manifest v2: byte offset of the member's first header in that tarball (its parts as one stream). */
  offset?: number;
}

/** The manifest versions this airgap reads; a reader is told which ones its snapshot may hold. */
export type ManifestVersion = 1 | 2;

export const MANIFEST_HEADER = '# airgap manifest v1';
export const MANIFEST_COLUMNS = '# type\tmode\tuid\tgid\tsize\tmtime\tsha256\tpath\tlink';
export const MANIFEST_HEADER_V2 = '# airgap manifest v2';
export const MANIFEST_COLUMNS_V2 = `${MANIFEST_COLUMNS}\tin\toffset`;
/** Line 1 of a manifest of each version. */
export const MANIFEST_HEADERS: Record<ManifestVersion, string> = { 1: MANIFEST_HEADER, 2: MANIFEST_HEADER_V2 };

const TYPE_CODE: Record<MemberType, string> = { file: 'f', dir: 'd', symlink: 'l', hardlink: 'h' };
const CODE_TYPE: Record<string, MemberType> = { f: 'file', d: 'dir', l: 'symlink', h: 'hardlink' };

const NEEDS_ESCAPE = /[\\\t\n\r\x00-\x1f\x7f]/;

/** Backslash escapes for the characters that would break a line or a column. */
export function escapeField(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s; // the common case, without building a new string
  return s.replace(/[\\\t\n\r\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case '\t': return '\\t';
      case '\n': return '\\n';
      case '\r': return '\\r';
      default: return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    }
  });
}

export function unescapeField(s: string): string {
  // Exactly the escapes escapeField writes; anything else (\q, \x4, a lone trailing \) is damage.
  return s.replace(/\\(x[0-9a-f]{2}|[\\tnr]|[^]|$)/g, (_, e: string) => {
    switch (e[0]) {
      case '\\': return '\\';
      case 't': return '\t';
      case 'n': return '\n';
      case 'r': return '\r';
      case 'x': if (e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
      // falls through: \x without two lowercase hex digits
      default: throw new ManifestSyntaxError(!e ? 'incomplete escape: backslash at the end'
        : `unknown escape ${/^[!-~]$/.test(e) ? `\\${e}` : `(a backslash before U+${e.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`}`);
    }
  });
}

export class ManifestSyntaxError extends Error {}

/**
 * A field from a damaged manifest, as shown in a message: quoted, cut at 64 characters, with
 * control, bidi and invisible characters escaped, so that it cannot drive the terminal.
 */
function quote(v: string): string {
  const cut = v.length > 64 ? `${v.slice(0, 64)}…` : v;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatManifestLine(e: ManifestEntry): string {
  // One template, not an array join: this runs once per archived entry.
  return `${TYPE_CODE[e.type]}\t${e.mode.toString(8).padStart(4, '0')}\t${e.uid}\t${e.gid}\t${e.size}\t${e.mtime}\t${e.sha256 ?? ''}\t${escapeField(e.path)}\t${e.link === undefined ? '' : escapeField(e.link)}\n`;
}

/** A v2 line: the nine fields of v1, then where the content is (`.` = this snapshot's tarball) and the member's offset. */
export function formatManifestLineV2(e: ManifestEntry & { offset: number }): string {
  return `${formatManifestLine(e).slice(0, -1)}\t${e.in ?? '.'}\t${e.offset}\n`;
}

const INT = /^(0|[1-9]\d{0,15})$/;
const isInt = (v: string) => INT.test(v) && Number.isSafeInteger(Number(v));
const SHA = /^[0-9a-f]{64}$/;

/** Parses one data line (not a comment) of a v1 manifest. Throws ManifestSyntaxError naming the bad field. */
export function parseManifestLine(line: string): ManifestEntry {
  const f = line.split('\t');
  if (f.length !== 9) throw new ManifestSyntaxError(`expected 9 tab-separated fields, found ${f.length}`);
  return parseV1Fields(f);
}

/** Parses one data line of a v2 manifest: the v1 fields, then `in` and `offset`. */
export function parseManifestLineV2(line: string): ManifestEntry {
  const f = line.split('\t');
  if (f.length !== 11) throw new ManifestSyntaxError(`expected 11 tab-separated fields, found ${f.length}`);
  return Object.assign(parseV1Fields(f), whereV2(f[9]!, f[10]!));
}

/**
 * Ids already found valid: a manifest names the few snapshots of its chain on line after line, and
 * checking an id (a date round trip) cost a third of reading a manifest (profiled, 300,000 lines).
 */
const validIds = new Set<string>();

/** The two v2 fields: a snapshot id (or `.`) and a whole number. */
function whereV2(inField: string, offset: string): { in?: string; offset: number } {
  if (inField !== '.' && !validIds.has(inField)) {
    if (!isSnapshotId(inField)) throw new ManifestSyntaxError(`bad in ${quote(inField)} (a snapshot id, or . for this snapshot)`);
    if (validIds.size >= 1024) validIds.clear(); // a forged manifest naming ids without end
    validIds.add(inField);
  }
  if (!isInt(offset) || Number(offset) % 512 !== 0) throw new ManifestSyntaxError(`bad offset ${quote(offset)} (a multiple of 512)`);
  return inField === '.' ? { offset: Number(offset) } : { in: inField, offset: Number(offset) };
}

function parseV1Fields(f: string[]): ManifestEntry {
  const [code, mode, uid, gid, size, mtime, sha, path, link] = f as [string, ...string[]];
  const type = CODE_TYPE[code];
  if (!type) throw new ManifestSyntaxError(`unknown type ${quote(code)}`);
  if (!/^[0-7]{1,6}$/.test(mode!)) throw new ManifestSyntaxError(`bad mode ${quote(mode!)}`);
  for (const [name, v] of [['uid', uid], ['gid', gid], ['size', size], ['mtime', mtime]] as const)
    if (!isInt(v!)) throw new ManifestSyntaxError(`bad ${name} ${quote(v!)}`);
  const hasHash = type === 'file' || type === 'hardlink';
  if (hasHash ? !SHA.test(sha!) : sha !== '') throw new ManifestSyntaxError(`bad sha256 ${quote(sha!)}`);
  if (!path) throw new ManifestSyntaxError('empty path');
  const hasLink = type === 'symlink' || type === 'hardlink';
  if (hasLink ? link === '' : link !== '') throw new ManifestSyntaxError(`bad link field for type ${code}`);
  const field = (name: string, v: string) => {
    try {
      return unescapeField(v);
    } catch (e) {
      throw new ManifestSyntaxError(`bad ${name}: ${(e as Error).message}`);
    }
  };
  const entry: ManifestEntry = {
    type,
    path: field('path', path!),
    mode: parseInt(mode!, 8),
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtime: Number(mtime),
  };
  if (hasHash) entry.sha256 = sha;
  if (hasLink) entry.link = field('link', link!);
  return entry;
}

/** True for the lines a parser skips: the header comments and a trailing empty line. */
export const isManifestComment = (line: string) => line.startsWith('#');
