// Format 2: the tarballs a restore reads. A snapshot's manifest describes its whole tree, and a
// file's content may be in the tarball of an earlier snapshot of its chain (snapshot.json's
// `chain`, oldest first, itself last; the manifest's `in`). Every snapshot of the chain is
// verified before anything is written (SHA256SUMS, sizes; the tarballs' bytes are hashed while
// they are extracted), and a link that is missing or damaged refuses the restore, by name,
// unless --salvage: then every file that still matches its SHA-256 is restored, the rest named.
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { damage } from '../core/errors.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { gzipIndexName, isChainedFormat, isCompressedFormat, SUMS_FILE, tarballName, type SnapshotMeta } from '../layout/format.js';
import type { TarballParts } from '../layout/member-at.js';
import { verifySnapshot, type VerifiedSnapshot } from '../verify/verify-snapshot.js';
import type { ManifestIndex } from './manifest-index.js';

/** One snapshot of the chain, as a restore reads it. */
export interface ChainLink {
  id: string;
  /** The restored snapshot itself (the last link): its folders, symlinks, hard links and new files. */
  own: boolean;
  /** Its tarball's files in order (one, or its parts), as its SHA256SUMS lists them. */
  tarPaths: string[];
  /** Their SHA-256 as SHA256SUMS gives them (none when it could not be read: --salvage). */
  tarSums: (string | undefined)[];
  /** Its tarball's size as snapshot.json gives it (for the hash thread's choice). */
  size: number | undefined;
  /** For reading one member at its offset; undefined when the parts' sizes are unknown or uneven. */
  parts: TarballParts | undefined;
  /** Why it did not verify (only with --salvage: without, the restore was refused). */
  problem?: string;
  /** Its tarball (its parts joined) is one age file: decrypted as it is read, offsets in its plaintext. */
  encrypted?: boolean;
  /** Format 3: its tarball is block-gzipped, inflated as it is read (`tarSize`: the tar's size, from snapshot.json). */
  gzip?: { tarSize?: number };
}

/** What a restore of these manifest rows reads from each tarball: the snapshot's id, its files and their bytes. */
export interface TarballNeed {
  snapshot: string;
  files: number;
  bytes: number;
  /** Format 3: the stored tarball's name (`<ID>.tar.gz`, `.age` when encrypted; parts joined) and its index's, which a read by offset goes through. */
  tarball?: string;
  index?: string;
}

/** Format 3: each need named by its link's stored tarball and index (the names a person looks for on the drive). */
export function namedNeeds(needs: TarballNeed[], links: ChainLink[]): TarballNeed[] {
  return needs.map((n) => {
    const l = links.find((x) => x.id === n.snapshot);
    if (!l?.gzip) return n;
    const encrypted = l.encrypted === true;
    return { ...n, tarball: tarballName(n.snapshot, encrypted, true), index: gzipIndexName(n.snapshot, encrypted) };
  });
}

/** The snapshot whose tarball holds row i: a file's `in`, or the snapshot itself (folders, links and every format 1 member). */
export function sourceOf(manifest: ManifestIndex, i: number, self: string): string {
  return (manifest.type(i) === 'file' ? manifest.in(i) : undefined) ?? self;
}

/** For each tarball that holds something of `rows`, in the chain's order, what it holds (files and their bytes). */
export function tarballNeeds(manifest: ManifestIndex, rows: number[], chain: readonly string[], self: string): TarballNeed[] {
  const needs = new Map<string, TarballNeed>();
  for (const i of rows) {
    const snapshot = sourceOf(manifest, i, self);
    let n = needs.get(snapshot);
    if (!n) needs.set(snapshot, (n = { snapshot, files: 0, bytes: 0 }));
    if (manifest.type(i) === 'file') {
      n.files++;
      n.bytes += manifest.size(i);
    }
    // A delta'd file also needs the tarballs that hold its changed blocks.
    for (const l of manifest.delta(i)?.links ?? []) {
      const id = l.in ?? self;
      if (!needs.has(id)) needs.set(id, { snapshot: id, files: 0, bytes: 0 });
    }
  }
  const order = (id: string) => (chain.includes(id) ? chain.indexOf(id) : chain.length);
  return [...needs.values()].sort((a, b) => order(a.snapshot) - order(b.snapshot));
}

/** The chain of a snapshot: [itself] for format 1 (or a snapshot.json that could not be read). */
export const chainOfMeta = (meta: SnapshotMeta | undefined, self: string): readonly string[] => (meta && isChainedFormat(meta.formatVersion) && meta.chain ? meta.chain : [self]);

export interface ChainInput {
  snapshot: SnapshotFolder;
  /** The restored snapshot's own verification (restore.ts checkSnapshot). */
  check: VerifiedSnapshot;
  manifest: ManifestIndex;
  salvage: boolean;
  /** A dry run hashes the tarballs it would read now (a restore hashes them while extracting). */
  hashNeeded?: ReadonlySet<string>;
}

/**
 * Every snapshot of the chain, verified, oldest first. Refuses (exit 3, naming the link) a chain
 * with a link missing from the drive or damaged, and a manifest that names a tarball outside the
 * chain; with --salvage, goes on and says why in each link's `problem`.
 */
export async function chainLinks(input: ChainInput): Promise<ChainLink[]> {
  const { snapshot, check, manifest, salvage } = input;
  const chain = chainOfMeta(check.meta, snapshot.id);
  const stranger = manifest.otherSnapshots().find((id) => !chain.includes(id) || id === snapshot.id);
  if (stranger !== undefined && !salvage) {
    throw damage('manifest-damaged', `snapshot ${snapshot.id}'s manifest says a file's content is in snapshot ${stranger}, which is not an earlier snapshot of its chain (${chain.join(', ')})`,
      'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
  }
  const links: ChainLink[] = [];
  for (const id of chain) {
    const own = id === snapshot.id;
    const verified = own ? check : await verifyLink(snapshot, id, input.hashNeeded?.has(id) ?? false);
    const problem = typeof verified === 'string' ? verified : verified.status === 'ok' ? undefined
      : verified.findings.find((f) => f.severity === 'damage')?.message ?? 'damaged';
    if (problem !== undefined && !own && !salvage) {
      throw damage('chain-damaged', `snapshot ${snapshot.id} cannot be restored: snapshot ${id}, whose tarball it builds on (its chain: ${chain.join(', ')}), ${typeof verified === 'string' ? problem : `failed verification: ${problem}`}`,
        `restore ${snapshot.id} from another drive, or pass --salvage to restore every file that still matches its checksum`);
    }
    links.push(linkOf(id, own, typeof verified === 'string' ? undefined : verified, join(dirname(snapshot.dir), id), problem));
  }
  return links;
}

/** The one tarball of a format 1 snapshot (its own), as a link. */
export const ownLink = (snapshot: SnapshotFolder, check: VerifiedSnapshot): ChainLink => linkOf(snapshot.id, true, check, snapshot.dir, undefined);

/** A link other than the snapshot itself, verified (plain); a string when it is not a snapshot on this drive. */
async function verifyLink(snapshot: SnapshotFolder, id: string, readTarball: boolean): Promise<VerifiedSnapshot | string> {
  const dir = join(dirname(snapshot.dir), id);
  // lstat: a link in its place is never followed (the drive is untrusted).
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return st ? 'is not a folder on this drive' : 'is missing from this drive (pruned, or deleted)';
  const complete = await lstat(join(dir, SUMS_FILE)).then(() => true, () => false);
  return verifySnapshot({ id, dir, complete }, { deep: false, skipTarballRead: !readTarball });
}

function linkOf(id: string, own: boolean, v: VerifiedSnapshot | undefined, dir: string, problem: string | undefined): ChainLink {
  const encrypted = v?.encrypted === true || v?.meta?.encryption !== undefined;
  const compressed = v?.compressed === true || (v?.meta !== undefined && isCompressedFormat(v.meta.formatVersion));
  const tarPaths = v?.tarFiles?.length ? v.tarFiles : [join(dir, tarballName(id, encrypted, compressed))];
  const parts = v?.meta?.tarball.parts;
  // readMemberAt finds a part by dividing by the part size: every part but the last must have it
  // (an encrypted tarball's parts are one age file, read by plaintext offset, and a compressed
  // one's are read through its index, by the parts' real sizes: any sizes do).
  const even = encrypted || compressed || parts === undefined || (parts.length === tarPaths.length && parts.slice(0, -1).every((p) => p.size === parts[0]!.size));
  const partSize = !encrypted && !compressed && parts && parts.length > 1 ? { partSize: parts[0]!.size } : {};
  // Format 3: members are read at offsets only through an index that matched SHA256SUMS; without
  // one the tarball is read whole (gunzipped from its start: --salvage still restores).
  const seekable = !compressed || v?.indexChecked === true;
  const gzip = compressed ? { index: join(dir, gzipIndexName(id, encrypted)) } : undefined;
  return {
    id, own, tarPaths, tarSums: tarPaths.map((_, i) => v?.tarSums?.[i]), size: v?.meta?.tarball.size,
    parts: v?.meta && even && seekable ? { files: tarPaths, ...partSize, ...(encrypted ? { encrypted } : {}), ...(gzip ? { gzip } : {}) } : undefined,
    ...(problem !== undefined ? { problem } : {}),
    ...(encrypted ? { encrypted } : {}),
    ...(compressed ? { gzip: { ...(v?.meta?.tarball.gzip ? { tarSize: v.meta.tarball.gzip.tarSize } : {}) } } : {}),
  };
}
