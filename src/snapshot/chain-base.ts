// Before a format-2 snapshot is written: is it a new full or an increment of the newest snapshot
// on the drive (core/chains.ts decides, with its reason), and, for an increment, what its chain's
// tarballs already hold: the kinds of their paths (a change of kind starts a new full,
// core/chain-restore.ts) and what REMOVE.nul must list. Reads only the drive, which is untrusted:
// every manifest used is checked against its snapshot's SHA256SUMS first, and a chain that does
// not check out makes a new full, never a wrong increment. An encrypted chain's lists are
// `.age` (docs/FORMAT.md "Encrypted drives"): checked as stored, decrypted as read (a key is
// needed; without one the backup is refused as key-needed, never told the chain is damaged).
import { join } from 'node:path';
import { chainOf, nextSnapshot, type ChainPolicy, type ChainSnapshot, type NextSnapshot } from '../core/chains.js';
import { compareArchivePaths } from '../core/archive-order.js';
import { removalList, type EntryKind } from '../core/chain-restore.js';
import { isKeyProblem } from '../io/age-feed.js';
import { readRegularFile, sha256OfRegularFile } from '../io/read-regular.js';
import { decryptWhole, maxStoredSize } from '../io/sealed-file.js';
import type { DriveContents } from '../layout/drive-contents.js';
import { MANIFEST_FILE_GZ, MAX_SUMS_BYTES, REMOVE_FILE, sealedName, SUMS_FILE, type SnapshotMeta } from '../layout/format.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import { parseSumFile } from '../layout/sha256sums.js';
import { isEncrypted, readSnapshotMeta } from '../layout/snapshot-meta.js';
import type { ScanEntries } from './scan.js';

/** A larger REMOVE.nul (a million-odd paths) is not read whole: the chain's manifests are read instead. */
const MAX_REMOVE_BYTES = 64 * 1024 * 1024;

export interface ChainStart {
  next: NextSnapshot;
  /** What REMOVE.nul lists: paths the chain's tarballs hold that the new tree does not. */
  removal: string[];
  /** The snapshot.json of every complete snapshot on the drive, read once here for the caller too. */
  metas: Map<string, SnapshotMeta>;
}

export interface ChainStartInput {
  contents: DriveContents;
  entries: ScanEntries;
  policy: ChainPolicy;
  forceFull?: boolean;
  /** Snapshots whose last verification found damage (the catalog's word). */
  damaged?: ReadonlySet<string>;
  /** Whether a new full would fit in the free space (core/chains.ts: the policy's limits give way when not). */
  fullFits?: boolean;
  /** The format being written (2 or 3): a newest snapshot of another format is no base. */
  format?: number;
}

/** The snapshots on the drive as the chain rules see them, with their snapshot.json when it reads. */
async function chainSnapshots(contents: DriveContents, damaged?: ReadonlySet<string>): Promise<{ snapshots: ChainSnapshot[]; formatOne: Set<string>; formats: Map<string, number>; metas: Map<string, SnapshotMeta> }> {
  const snapshots: ChainSnapshot[] = [];
  const formatOne = new Set<string>();
  const formats = new Map<string, number>();
  const metas = new Map<string, SnapshotMeta>();
  for (const s of contents.snapshots) {
    const meta = s.complete ? await readSnapshotMeta(s).catch(() => undefined) : undefined;
    if (meta) metas.set(s.id, meta);
    if (meta?.formatVersion === 1) formatOne.add(s.id);
    if (meta) formats.set(s.id, meta.formatVersion);
    snapshots.push({
      id: s.id, bytes: meta?.bytes.tarball ?? 0, complete: meta !== undefined, damaged: damaged?.has(s.id) ?? false,
      ...(meta?.base !== undefined ? { base: meta.base } : {}),
    });
  }
  return { snapshots, formatOne, formats, metas };
}

export async function startChain(input: ChainStartInput): Promise<ChainStart> {
  const { snapshots, formatOne, formats, metas } = await chainSnapshots(input.contents, input.damaged);
  const next = nextSnapshot({ snapshots, policy: input.policy, forceFull: input.forceFull, formatOne, formats, format: input.format, fullFits: input.fullFits });
  if (next.kind === 'full') return { next, removal: [], metas };
  const dirOf = (id: string) => input.contents.snapshots.find((s) => s.id === id)!.dir;
  const linkOf = (id: string): ChainLinkDir => ({ id, dir: dirOf(id), sealed: isEncrypted(metas.get(id)) });
  const chain = chainOf(snapshots, next.base) ?? next.chain;
  const unsure = await firstUncheckedManifest(chain.map(linkOf), next.base);
  if (unsure) return { next: { kind: 'full', reason: unsure }, removal: [], metas };
  const walked = await walkFromBase(linkOf(next.base), input.entries) ?? await walkHeld(chain.map(linkOf), input.entries, true);
  if ('unsorted' in walked) return { next: { kind: 'full', reason: walked.unsorted }, removal: [], metas };
  const changes = walked.kindChanges.sort();
  if (changes.length) {
    const shown = changes.slice(0, 3).join(', ') + (changes.length > 3 ? `, and ${changes.length - 3} more` : '');
    return { next: { kind: 'full', reason: `a path changes kind since the chain holds it (${shown}): stock tar cannot restore that as an increment` }, removal: [], metas };
  }
  // Only the paths the tree no longer has go in (the deleted ones): with an empty tree,
  // removalList lists exactly them, sorted, a removed folder's contents left out.
  return { next, removal: removalList(walked.gone, []), metas };
}

/** A snapshot of the chain: its folder, and whether its files are encrypted (`.age`). */
interface ChainLinkDir {
  id: string;
  dir: string;
  sealed: boolean;
}

/** A reason to start a new full when a chain manifest (or the base's REMOVE.nul) does not match its SHA256SUMS or cannot be read. */
async function firstUncheckedManifest(chain: ChainLinkDir[], baseId: string): Promise<string | undefined> {
  for (const { id, dir, sealed } of chain) {
    for (const plain of id === baseId ? [MANIFEST_FILE_GZ, REMOVE_FILE] : [MANIFEST_FILE_GZ]) {
      const name = sealedName(plain, sealed);
      try {
        const sums = parseSumFile((await readRegularFile(join(dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES })).toString('utf8'));
        const listed = sums.find((l) => l.name === name)?.sha256;
        if (!listed || listed !== await sha256OfRegularFile(join(dir, name))) {
          return `the ${name} of ${id} in the chain does not match its ${SUMS_FILE} (run airgap verify)`;
        }
      } catch (e) {
        return `the ${name} of ${id} in the chain cannot be checked: ${(e as Error).message}`;
      }
    }
  }
  return undefined;
}

/**
 * What the chain's tarballs hold, from the base alone: its manifest (the whole tree that day, every
 * path of it held by some tarball of the chain, with the kind the chain keeps) and its REMOVE.nul
 * (what they held that the base no longer had). Walking one manifest instead of every link's keeps
 * an increment's start from growing with the chain's length. REMOVE.nul names a removed folder once,
 * without what it held: that is enough as long as nothing of the new tree is at or under a removed
 * path. When something is (a path comes back), or the list is larger than expected, undefined: the
 * caller walks every link's manifest instead, which knows every path and its kind.
 */
async function walkFromBase(base: ChainLinkDir, entries: ScanEntries): Promise<Walked | undefined> {
  let removed: string[];
  try {
    removed = (await readRemoveList(base)).toString('utf8').split('\0').filter((p) => p !== '');
  } catch (e) {
    if (isKeyProblem(e)) throw e;
    return undefined;
  }
  if (removed.length > 0) {
    const gone = new Set(removed);
    for (let i = 0; i < entries.length; i++) {
      const path = entries.path(i);
      for (let cut = path.length; cut > 0; cut = path.lastIndexOf('/', cut - 1)) if (gone.has(path.slice(0, cut))) return undefined;
    }
  }
  const walked = await walkHeld([base], entries, false);
  // Removed, and nothing of the new tree at or under it: removalList lists it once, as a folder
  // (whose contents go with it); its real kind only matters to a path that comes back.
  if (!('unsorted' in walked)) for (const p of removed) if (!walked.gone.has(p)) walked.gone.set(p, 'dir');
  return walked;
}

/** The base's REMOVE.nul (capped), or its REMOVE.nul.age decrypted. */
async function readRemoveList(base: ChainLinkDir): Promise<Buffer> {
  const path = join(base.dir, sealedName(REMOVE_FILE, base.sealed));
  if (!base.sealed) return readRegularFile(path, { maxBytes: MAX_REMOVE_BYTES });
  return decryptWhole(await readRegularFile(path, { maxBytes: maxStoredSize(MAX_REMOVE_BYTES) }), path, MAX_REMOVE_BYTES);
}

type Walked = { kindChanges: string[]; gone: Map<string, EntryKind> } | { unsorted: string };

/**
 * Walks what the chain's tarballs hold (their manifests' lines whose content is in their own
 * snapshot) beside the scanned tree, all in archive order, holding neither whole: at 400,000
 * files a map of every held path and a list of the tree took ~150 MB. Returns the tree's paths
 * whose kind differs from what the chain holds there (the newest tarball's word), and the held
 * paths the tree no longer has. A manifest out of archive order (never written by airgap) is a
 * reason for a new full rather than a walk that could miss a path. `ownOnly`: only the lines whose
 * content is in their own snapshot (a link's manifest); otherwise every line (the base's whole tree).
 */
async function walkHeld(links: ChainLinkDir[], entries: ScanEntries, ownOnly: boolean): Promise<Walked> {
  const readers = links.map(({ dir, sealed }) => ({ dir, reader: new ManifestReader(join(dir, sealedName(MANIFEST_FILE_GZ, sealed)), [2]), cur: undefined as { path: string; kind: EntryKind } | undefined }));
  try {
    const advance = async (r: (typeof readers)[number]): Promise<string | undefined> => {
      const prev = r.cur?.path;
      let e = await r.reader.next();
      while (e && ownOnly && e.in !== undefined) e = await r.reader.next();
      r.cur = e && { path: e.path, kind: e.type === 'hardlink' ? 'file' : e.type };
      if (r.cur && prev !== undefined && compareArchivePaths(prev, r.cur.path) >= 0) return `the ${MANIFEST_FILE_GZ} in ${r.dir} is not in archive order`;
      return undefined;
    };
    for (const r of readers) {
      const bad = await advance(r);
      if (bad) return { unsorted: bad };
    }
    const kindChanges: string[] = [];
    const gone = new Map<string, EntryKind>();
    let i = 0;
    for (;;) {
      // The smallest held path among the manifests; the newest manifest holding it says its kind.
      let path: string | undefined;
      let kind: EntryKind | undefined;
      for (const r of readers) {
        if (!r.cur) continue;
        const c = path === undefined ? -1 : r.cur.path === path ? 0 : compareArchivePaths(r.cur.path, path);
        if (c <= 0) ({ path, kind } = r.cur);
      }
      if (path === undefined) break;
      for (const r of readers) {
        if (r.cur?.path !== path) continue;
        const bad = await advance(r);
        if (bad) return { unsorted: bad };
      }
      // (Most held paths are the tree's next one: equal strings skip the comparison.)
      while (i < entries.length && entries.path(i) !== path && compareArchivePaths(entries.path(i), path) < 0) i++;
      if (i < entries.length && entries.path(i) === path) {
        if (entries.kind(i) !== kind) kindChanges.push(path);
      } else gone.set(path, kind!);
    }
    return { kindChanges, gone };
  } finally {
    for (const r of readers) r.reader.close();
  }
}
