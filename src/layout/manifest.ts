// The per-file manifest (MANIFEST.tsv): one line per archive member, in archive order, so a
// person or a script can see what a snapshot holds without reading the tarball, and `verify
// --deep` can check every member against it. Format documented in docs/FORMAT.md (version 1)
// and docs/FORMAT.md (version 2: two more fields, where each member's content is).
import { BLOCK_SIZE } from '../core/block-delta.js';
import { isInt, isSha256Hex } from './field-checks.js';
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
   * Manifest v2 (format 2, docs/FORMAT.md): the snapshot whose tarball holds this member's
   * content, when it is not this snapshot (an unchanged file carried forward from the chain).
   */
  in?: string;
  /** Manifest v2: byte offset of the member's first header in that tarball (its parts as one stream). */
  offset?: number;
  /**
   * Manifest v2, field 12: where this file's block list is (a file of 16 MiB or more): at `offset`
   * in the BLOCKS file of snapshot `in` (undefined: this snapshot). docs/FORMAT.md.
   */
  blocks?: { in?: string; offset: number };
  /**
   * Manifest v2, field 13: the links since the file's last whole copy (`in`/`offset`) that
   * changed it block by block, oldest first (core/block-delta.ts).
   */
  delta?: DeltaLink[];
}

/** Blocks [first, first + count) of a file, one member `.airgap-delta/<ID>/<n>/<first>` of a link's tarball. */
export interface DeltaMember {
  first: number;
  count: number;
}

/** One link's change of a delta'd file: its members, consecutive in that link's tarball. */
export interface DeltaLink {
  /** The snapshot whose tarball holds the members (undefined: this snapshot, written `.`). */
  in?: string;
  /** The `<n>` of the member names: the delta'd files of a snapshot are numbered 1, 2, … */
  n: number;
  /** Offset of the first member's first header in that tarball (its parts as one stream). */
  offset: number;
  /** The file's size after this link. */
  size: number;
  /** In block order, not overlapping. */
  members: DeltaMember[];
}

/** The manifest versions this airgap reads; a reader is told which ones its snapshot may hold. */
export type ManifestVersion = 1 | 2;

export const MANIFEST_HEADER = '# airgap manifest v1';
export const MANIFEST_COLUMNS = '# type\tmode\tuid\tgid\tsize\tmtime\tsha256\tpath\tlink';
export const MANIFEST_HEADER_V2 = '# airgap manifest v2';
export const MANIFEST_COLUMNS_V2 = `${MANIFEST_COLUMNS}\tin\toffset\tblocks\tdelta`;
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
  // Without a backslash there is nothing to undo: the common case, returned as it is (the
  // replace below would scan it with a regexp and copy it, for every line of a base manifest).
  if (!s.includes('\\')) return s;
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

export class ManifestSyntaxError extends Error {
  /** The manifest's file name (MANIFEST.tsv, or format 2's MANIFEST.tsv.gz), once the reader knows it. */
  file?: string;
}

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

/**
 * A v2 line: the nine fields of v1, then where the content is (`.` = this snapshot's tarball) and
 * the member's offset; then, for a file with a block list, fields 12 and 13 (else the line ends
 * after field 11: most lines).
 */
export function formatManifestLineV2(e: ManifestEntry & { offset: number }): string;
/** `offset`: the member's offset when the entry has none of its own (the archive passes it, rather than a copy of the entry with it). */
export function formatManifestLineV2(e: ManifestEntry, offset: number): string;
export function formatManifestLineV2(e: ManifestEntry, offset?: number): string {
  const where = `${formatManifestLine(e).slice(0, -1)}\t${e.in ?? '.'}\t${e.offset ?? offset}`;
  if (!e.blocks && !e.delta?.length) return `${where}\n`;
  return `${where}\t${e.blocks ? `${e.blocks.in ?? '.'}@${e.blocks.offset}` : ''}\t${formatDelta(e.delta ?? [])}\n`;
}

/** Field 13: `<id|.>/<n>@<offset>:<size>:<first>+<count>,…` per link, joined by `;`. */
export const formatDelta = (links: readonly DeltaLink[]): string =>
  links.map((l) => `${l.in ?? '.'}/${l.n}@${l.offset}:${l.size}:${l.members.map((m) => `${m.first}+${m.count}`).join(',')}`).join(';');


/** Parses one data line (not a comment) of a v1 manifest. Throws ManifestSyntaxError naming the bad field. */
export function parseManifestLine(line: string): ManifestEntry {
  const f = line.split('\t');
  if (f.length !== 9) throw new ManifestSyntaxError(`expected 9 tab-separated fields, found ${f.length}`);
  return parseV1Fields(f);
}

/** Parses one data line of a v2 manifest: the v1 fields, then `in` and `offset`, then (a file with a block list) `blocks` and `delta`. */
export function parseManifestLineV2(line: string): ManifestEntry {
  const f = line.split('\t');
  if (f.length !== 11 && f.length !== 13) throw new ManifestSyntaxError(`expected 11 or 13 tab-separated fields, found ${f.length}`);
  const e = Object.assign(parseV1Fields(f), whereV2(f[9]!, f[10]!));
  if (f.length === 13) {
    if (e.type !== 'file') throw new ManifestSyntaxError(`fields 12 and 13 (blocks, delta) on a line of type ${f[0]}`);
    if (f[11] !== '') e.blocks = blocksField(f[11]!);
    if (f[12] !== '') e.delta = deltaField(f[12]!, e.size);
    if (!e.blocks && !e.delta) throw new ManifestSyntaxError('fields 12 and 13 (blocks, delta) are both empty');
  }
  return e;
}

/** A snapshot id, or `.` for this snapshot (undefined). */
function idOrSelf(v: string, name: string): string | undefined {
  if (v === '.') return undefined;
  if (!validIds.has(v)) {
    if (!isSnapshotId(v)) throw new ManifestSyntaxError(`bad ${name} ${quote(v)} (a snapshot id, or . for this snapshot)`);
    if (validIds.size >= 1024) validIds.clear(); // a forged manifest naming ids without end
    validIds.add(v);
  }
  return v;
}

function blocksField(v: string): { in?: string; offset: number } {
  const m = /^([^@]+)@(\d+)$/.exec(v);
  if (!m || !isInt(m[2]!) || Number(m[2]) % 32 !== 0) throw new ManifestSyntaxError(`bad blocks ${quote(v)} (<id>@<offset>, a multiple of 32)`);
  const id = idOrSelf(m[1]!, 'blocks');
  return id === undefined ? { offset: Number(m[2]) } : { in: id, offset: Number(m[2]) };
}

/** At most this many links per line, and members per link: a forged line cannot make a reader loop for long. */
const MAX_DELTA_LINKS = 4096;
const MAX_DELTA_MEMBERS = 4096;

function deltaField(v: string, size: number): DeltaLink[] {
  const links = v.split(';');
  if (links.length > MAX_DELTA_LINKS) throw new ManifestSyntaxError(`bad delta: more than ${MAX_DELTA_LINKS} links`);
  return links.map((l) => {
    const m = /^([^/@:]+)\/(\d+)@(\d+):(\d+):(.+)$/.exec(l);
    if (!m) throw new ManifestSyntaxError(`bad delta link ${quote(l)} (<id>/<n>@<offset>:<size>:<first>+<count>,…)`);
    const [, id, n, offset, linkSize, list] = m as unknown as [string, string, string, string, string, string];
    for (const x of [n, offset, linkSize]) if (!isInt(x)) throw new ManifestSyntaxError(`bad delta link ${quote(l)}: ${quote(x)} is not a whole number`);
    if (Number(offset) % 512 !== 0) throw new ManifestSyntaxError(`bad delta link ${quote(l)}: offset ${offset} is not a multiple of 512`);
    if (Number(n) < 1) throw new ManifestSyntaxError(`bad delta link ${quote(l)}: n must be 1 or more`);
    const parts = list.split(',');
    if (parts.length > MAX_DELTA_MEMBERS) throw new ManifestSyntaxError(`bad delta link: more than ${MAX_DELTA_MEMBERS} members`);
    let next = 0;
    const members = parts.map((p) => {
      const mm = /^(\d+)\+(\d+)$/.exec(p);
      if (!mm || !isInt(mm[1]!) || !isInt(mm[2]!)) throw new ManifestSyntaxError(`bad delta member ${quote(p)} (<first>+<count>)`);
      const first = Number(mm[1]), count = Number(mm[2]);
      if (count < 1 || count > 64) throw new ManifestSyntaxError(`bad delta member ${quote(p)}: a member holds 1 to 64 blocks`);
      if (first < next) throw new ManifestSyntaxError(`bad delta member ${quote(p)}: members must be in block order, not overlapping`);
      if (first * BLOCK_SIZE >= Number(linkSize)) throw new ManifestSyntaxError(`bad delta member ${quote(p)}: starts past the end of the file (${linkSize} bytes)`);
      next = first + count;
      return { first, count };
    });
    const id2 = idOrSelf(id, 'delta link');
    const link: DeltaLink = { n: Number(n), offset: Number(offset), size: Number(linkSize), members };
    if (id2 !== undefined) link.in = id2;
    return link;
  }).map((l, i, all) => {
    if (i === all.length - 1 && l.size !== size) throw new ManifestSyntaxError(`bad delta: its last link's size ${l.size} is not the file's size ${size}`);
    return l;
  });
}

/**
 * Ids already found valid: a manifest names the few snapshots of its chain on line after line, and
 * checking an id (a date round trip) cost a third of reading a manifest (profiled, 300,000 lines).
 */
const validIds = new Set<string>();

/** The two v2 fields: a snapshot id (or `.`) and a whole number. */
function whereV2(inField: string, offset: string): { in?: string; offset: number } {
  const id = idOrSelf(inField, 'in');
  if (!isInt(offset) || Number(offset) % 512 !== 0) throw new ManifestSyntaxError(`bad offset ${quote(offset)} (a multiple of 512)`);
  return id === undefined ? { offset: Number(offset) } : { in: id, offset: Number(offset) };
}

function checkInt(name: string, v: string): void {
  if (!isInt(v)) throw new ManifestSyntaxError(`bad ${name} ${quote(v)}`);
}

function parseV1Fields(f: string[]): ManifestEntry {
  const [code, mode, uid, gid, size, mtime, sha, path, link] = f as [string, ...string[]];
  const type = CODE_TYPE[code];
  if (!type) throw new ManifestSyntaxError(`unknown type ${quote(code)}`);
  if (!/^[0-7]{1,6}$/.test(mode!)) throw new ManifestSyntaxError(`bad mode ${quote(mode!)}`);
  // One call per field, not a loop over [name, value] pairs: that made five arrays a line.
  checkInt('uid', uid!);
  checkInt('gid', gid!);
  checkInt('size', size!);
  checkInt('mtime', mtime!);
  const hasHash = type === 'file' || type === 'hardlink';
  if (hasHash ? !isSha256Hex(sha!) : sha !== '') throw new ManifestSyntaxError(`bad sha256 ${quote(sha!)}`);
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
