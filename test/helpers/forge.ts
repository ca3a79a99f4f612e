// Forges airgap snapshots by hand, the way an attacker with write access to a drive would: a
// tarball written byte by byte (node-tar's Header/Pax encoders for well-formed headers, raw
// header bytes with a correct checksum where we want fields node-tar would not write), plus a
// MANIFEST.tsv, FILES.sha256, snapshot.json and SHA256SUMS that all agree with it, so that
// `airgap verify` passes and only the restore's own defences stand between the archive and
// the disk.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Header, Pax } from 'tar';
import {
  DRIVE_DIR, FILE_SUMS_FILE, IDENTITY_FILE, MANIFEST_FILE, SNAPSHOT_JSON, SUMS_FILE, identitySchema, snapshotMetaSchema, tarballName,
  type SnapshotMeta,
} from '../../src/layout/format.js';
import { parse } from '../../src/core/validate.js';
import { formatManifestLine, MANIFEST_COLUMNS, MANIFEST_HEADER, type ManifestEntry } from '../../src/layout/manifest.js';
import { formatSumLine } from '../../src/layout/sha256sums.js';

export const FORGED_ID = '2026-01-02T030405Z';
export const FORGED_MTIME = 1_700_000_000;

export type ForgeType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface ForgeMember {
  /** The name in the ustar header (a trailing '/' is added for folders). */
  path: string;
  type?: ForgeType; // default File
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkpath?: string;
  /**
   * pax records written in an `x` header right before this member, verbatim: they override
   * the ustar fields (a pax `path` wins over the ustar name). Without it, a pax header is
   * added only when a field does not fit, as airgap's own writer does.
   */
  pax?: [string, string][];
  /** Write the ustar header bytes ourselves instead of with node-tar's encoder. */
  raw?: boolean;
  devmajor?: number;
  devminor?: number;
  /** false: not in MANIFEST.tsv; an object: fields that differ from the truth (a lying manifest). */
  manifest?: false | Partial<ManifestEntry>;
}

/** Bytes put into the tarball as they are (a broken or oversized header, say). */
export interface ForgeRaw {
  bytes: Buffer;
  manifest?: ManifestEntry[];
}

export type ForgeItem = ForgeMember | ForgeRaw;

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
const body = (m: ForgeMember) => (m.content === undefined ? Buffer.alloc(0) : Buffer.from(m.content));

/** One pax record: "<len> <key>=<value>\n", the length counting itself. */
export function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.from(`${len} ${key}=${value}\n`);
}

const TYPE_FLAG: Record<ForgeType | 'ExtendedHeader', string> = {
  File: '0', Link: '1', SymbolicLink: '2', CharacterDevice: '3', BlockDevice: '4', Directory: '5', FIFO: '6', ExtendedHeader: 'x',
};

/**
 * A ustar header written field by field (`typeflag` overrides the type's flag: 'L', 'K', 'g'…), checksum computed as POSIX says (the checksum field
 * counted as eight spaces). Strings are cut at their field size, never split into a prefix.
 */
export function rawHeader(f: {
  name: string; type: ForgeType | 'ExtendedHeader'; typeflag?: string; mode?: number; uid?: number; gid?: number; size?: number; mtime?: number;
  linkname?: string; devmajor?: number; devminor?: number; prefix?: string;
}): Buffer {
  const b = Buffer.alloc(512);
  const str = (off: number, len: number, s: string) => Buffer.from(s).copy(b, off, 0, len);
  const oct = (off: number, len: number, n: number) => str(off, len, n.toString(8).padStart(len - 1, '0') + '\0');
  str(0, 100, f.name);
  oct(100, 8, f.mode ?? 0o644);
  oct(108, 8, f.uid ?? 0);
  oct(116, 8, f.gid ?? 0);
  oct(124, 12, f.size ?? 0);
  oct(136, 12, f.mtime ?? FORGED_MTIME);
  b.fill(0x20, 148, 156);
  b[156] = (f.typeflag ?? TYPE_FLAG[f.type]).charCodeAt(0);
  str(157, 100, f.linkname ?? '');
  str(257, 8, 'ustar\u000000');
  oct(329, 8, f.devmajor ?? 0);
  oct(337, 8, f.devminor ?? 0);
  str(345, 155, f.prefix ?? '');
  let sum = 0;
  for (const x of b) sum += x;
  str(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return b;
}

/** An `x` header and its body, from records written verbatim. */
export function paxBlock(records: Buffer[] | [string, string][], name = 'PaxHeader/forged'): Buffer {
  const bodyBytes = Buffer.concat((records as (Buffer | [string, string])[]).map((r) => (Buffer.isBuffer(r) ? r : paxRecord(r[0], r[1]))));
  return Buffer.concat([rawHeader({ name, type: 'ExtendedHeader', size: bodyBytes.length }), bodyBytes, pad(bodyBytes.length)]);
}

function memberBytes(m: ForgeMember): Buffer {
  const type = m.type ?? 'File';
  const content = body(m);
  const size = type === 'File' ? content.length : 0;
  const path = type === 'Directory' && !m.path.endsWith('/') ? `${m.path}/` : m.path;
  const mtime = m.mtime ?? FORGED_MTIME;
  const parts: Buffer[] = [];
  if (m.pax) parts.push(paxBlock(m.pax));
  if (m.raw) {
    parts.push(rawHeader({ name: path, type, mode: m.mode ?? (type === 'Directory' ? 0o755 : 0o644), uid: m.uid, gid: m.gid, size, mtime, linkname: m.linkpath, devmajor: m.devmajor, devminor: m.devminor }));
  } else {
    const data = {
      path, type, mode: m.mode ?? (type === 'Directory' ? 0o755 : 0o644), uid: m.uid ?? 0, gid: m.gid ?? 0, size,
      mtime: new Date(mtime * 1000), linkpath: m.linkpath, devmaj: m.devmajor ?? 0, devmin: m.devminor ?? 0,
    };
    const header = new Header(data);
    const needPax = header.encode();
    if (needPax && !m.pax) parts.push(new Pax(data).encode());
    parts.push(header.block!);
  }
  parts.push(content.subarray(0, size), pad(size));
  return Buffer.concat(parts);
}

const MANIFEST_TYPE: Partial<Record<ForgeType, ManifestEntry['type']>> = { File: 'file', Directory: 'dir', SymbolicLink: 'symlink', Link: 'hardlink' };

/** What an honest MANIFEST.tsv line for this member would say (undefined: types the manifest cannot hold). */
function manifestEntry(m: ForgeMember, files: Map<string, { sha256: string; size: number }>): ManifestEntry | undefined {
  const type = MANIFEST_TYPE[m.type ?? 'File'];
  if (!type || m.manifest === false) return undefined;
  const paxOf = (k: string) => m.pax?.find(([key]) => key === k)?.[1];
  const path = (paxOf('path') ?? m.path).replace(/\/+$/, '') || m.path;
  const link = paxOf('linkpath') ?? m.linkpath;
  const content = body(m);
  const e: ManifestEntry = { type, path, mode: (m.mode ?? (type === 'dir' ? 0o755 : 0o644)) & 0o7777, uid: m.uid ?? 0, gid: m.gid ?? 0, size: 0, mtime: m.mtime ?? FORGED_MTIME };
  if (type === 'file') Object.assign(e, { size: content.length, sha256: sha256(content) });
  if (type === 'hardlink') Object.assign(e, { ...(files.get(link ?? '') ?? { size: 0, sha256: sha256('') }), link: link ?? '' });
  if (type === 'symlink') e.link = link ?? '';
  return { ...e, ...m.manifest };
}

export interface Forged {
  dir: string;
  tarPath: string;
  tarSize: number;
  manifest: ManifestEntry[];
}

/**
 * Writes snapshot FORGED_ID (or `id`) into a labelled drive's airgap folder: the tarball, a
 * manifest and file list matching it, a valid snapshot.json and SHA256SUMS over the four.
 */
export async function forgeSnapshot(drive: string, items: ForgeItem[], opts: { id?: string; tail?: Buffer } = {}): Promise<Forged> {
  const id = opts.id ?? FORGED_ID;
  const airgap = join(drive, DRIVE_DIR);
  const identity = parse(identitySchema, JSON.parse(await readFile(join(airgap, IDENTITY_FILE), 'utf8')));
  const tarParts: Buffer[] = [];
  const manifest: ManifestEntry[] = [];
  const files = new Map<string, { sha256: string; size: number }>();
  for (const item of items) {
    if ('bytes' in item) {
      tarParts.push(item.bytes);
      manifest.push(...(item.manifest ?? []));
      continue;
    }
    tarParts.push(memberBytes(item));
    const e = manifestEntry(item, files);
    if (!e) continue;
    manifest.push(e);
    if (e.type === 'file' && !files.has(e.path)) files.set(e.path, { sha256: e.sha256!, size: e.size });
  }
  tarParts.push(opts.tail ?? Buffer.alloc(1024)); // two zero blocks end the archive
  const tar = Buffer.concat(tarParts);

  const manifestText = MANIFEST_HEADER + '\n' + MANIFEST_COLUMNS + '\n' + manifest.map(formatManifestLine).join('');
  const fileSums = manifest.filter((e) => e.type === 'file' || e.type === 'hardlink').map((e) => formatSumLine({ sha256: e.sha256!, name: e.path })).join('');
  const count = (t: ManifestEntry['type']) => manifest.filter((e) => e.type === t).length;
  const tops = [...new Set(manifest.map((e) => e.path.split('/')[0]!))];
  const meta: SnapshotMeta = parse(snapshotMetaSchema, {
    format: 'airgap-snapshot',
    formatVersion: 1,
    id,
    createdAt: '2026-01-02T03:04:05.000Z',
    completedAt: '2026-01-02T03:04:06.000Z',
    host: 'forger',
    drive: { id: identity.id, name: identity.name },
    sources: tops.map((t) => ({ path: `/forged/${t}`, root: t })),
    excludes: [],
    counts: { files: count('file'), dirs: count('dir'), symlinks: count('symlink'), hardlinks: count('hardlink'), problems: 0 },
    bytes: { content: manifest.filter((e) => e.type === 'file').reduce((n, e) => n + e.size, 0), tarball: tar.length },
    tarball: { name: tarballName(id), size: tar.length, sha256: sha256(tar) },
    previous: null,
    problems: [],
    problemsTruncated: false,
    tool: { name: 'airgap', version: '0.1.0' },
  });
  const metaText = JSON.stringify(meta, null, 2) + '\n';

  const dir = join(airgap, id);
  await mkdir(dir);
  const written: [string, Buffer | string][] = [[tarballName(id), tar], [MANIFEST_FILE, manifestText], [FILE_SUMS_FILE, fileSums], [SNAPSHOT_JSON, metaText]];
  for (const [name, data] of written) await writeFile(join(dir, name), data);
  await writeFile(join(dir, SUMS_FILE), written.map(([name, data]) => formatSumLine({ sha256: sha256(data), name })).join(''));
  return { dir, tarPath: join(dir, tarballName(id)), tarSize: tar.length, manifest };
}
