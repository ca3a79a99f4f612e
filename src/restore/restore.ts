// `airgap restore`: verify, then extract into a fresh staging folder inside the target, then
// promote. The target is untouched until the extraction is complete; on failure the staging
// folder is removed. This file holds the checks made before anything is written (the snapshot,
// the paths asked for, the target); restore-staged.ts does the writing. The target is checked
// first (target-check.ts), then against the manifest (collisions, space), and only then is any
// tarball byte read.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AirgapError, damage, EXIT } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { isChainedFormat, MANIFEST_FILE, MANIFEST_FILE_GZ, sealedName, SNAPSHOT_JSON } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { ManifestSyntaxError } from '../layout/manifest.js';
import { isEncrypted, manifestFileFor, manifestVersionsOf } from '../layout/snapshot-meta.js';
import { isKeyProblem } from '../io/age-feed.js';
import { AgeDamagedError } from '../crypto/age-errors.js';
import { verifySnapshot, type VerifiedSnapshot } from '../verify/verify-snapshot.js';
import { chainLinks, chainOfMeta, namedNeeds, ownLink, sourceOf, tarballNeeds, type TarballNeed } from './chain-links.js';
import { STAGING_NAME, type ExtractReport } from './extract.js';
import { ManifestIndex } from './manifest-index.js';
import { lookupFiles } from './manifest-lookup.js';
import { restoreThroughStaging } from './restore-staged.js';
import { notInSnapshot, selection } from './selection.js';
import { removeLeftoverStaging } from './staging.js';
import { checkSpace, checkTarget } from './target-check.js';
import { findCollisions, planBlocked, type Collisions } from './target-scan.js';

export interface RestoreInput {
  snapshot: SnapshotFolder;
  target: string;
  /** Paths inside the snapshot (files or folders); empty: everything. */
  paths: string[];
  overwrite: boolean;
  salvage: boolean;
  dryRun: boolean;
  keepSpecialBits: boolean;
  owners: boolean;
  /** For hints: how the user names the drive. */
  driveName: string;
  /** The drive's folder: a target on the drive itself is refused. */
  driveRoot?: string;
  onFile?: (path: string, bytes: number) => void;
  /** Ctrl+C: checked after each file and before promoting; the target is then left untouched. */
  signal?: AbortSignal;
}

export interface RestoreResult {
  snapshot: string;
  target: string;
  verified: 'ok' | 'damaged';
  report?: ExtractReport;
  /** For a dry run: what would be restored, what exists (replaced with --overwrite), and what would be left as it is. */
  planned?: Planned;
  alsoRestored: string[];
}

/** A dry run's answer: what would be written, what exists, what would be left as it is, and (format 2) which tarballs it reads. */
export interface Planned {
  files: number;
  bytes: number;
  /** What already exists and would be replaced (--overwrite): the first 50, and how many in all. */
  conflicts: string[];
  conflictCount: number;
  blocked: { path: string; reason: string }[];
  /** Format 2: each tarball of the chain that holds something selected, oldest first, with the files (and bytes) it holds. */
  tarballs?: TarballNeed[];
  /** Format 2, up to 100 files: the tarball (snapshot) and byte offset of each selected file. */
  sources?: { path: string; snapshot: string; offset: number; blocksIn?: string[] }[];
}

export async function restoreSnapshot(input: RestoreInput): Promise<RestoreResult> {
  const { snapshot, target } = input;
  // The target first: nothing of the snapshot is read for a target that cannot be used.
  const place = await checkTarget(target, input.driveRoot);
  const existing = place.existing;
  let check = await checkSnapshot(input);
  // A few named files of a format 2 snapshot: only their lines are read (see manifest-lookup.ts).
  const sealed = check.encrypted === true || isEncrypted(check.meta);
  const few = check.meta && isChainedFormat(check.meta.formatVersion) ? await lookupFiles(join(snapshot.dir, sealedName(MANIFEST_FILE_GZ, sealed)), input.paths).catch(passKeyProblem) : undefined;
  const manifest = few ?? await loadManifest(snapshot, check);
  const { select, missing, extra } = selection(manifest, input.paths);
  if (missing.length) throw notInSnapshot(snapshot.id, manifest, missing, input.driveName);
  const wanted: number[] = [];
  for (let i = 0; i < manifest.length; i++) if (!select || select(manifest.path(i))) wanted.push(i);
  const files = wanted.filter((i) => manifest.type(i) === 'file');
  const bytes = files.reduce((n, i) => n + manifest.size(i), 0);
  // What the manifest says of the target, still before any tarball byte is read: collisions
  // (refused without --overwrite, a dry run too), then room for the staged files.
  // An empty or new target has no collisions: skip a check of every path (one lstat each).
  const targetEntries = existing ? await readdir(target).catch(() => [] as string[]) : [];
  const collisions = targetEntries.some((n) => !n.startsWith(STAGING_NAME)) ? findCollisions(target, manifest, wanted) : { paths: [], count: 0 };
  if (!input.overwrite && collisions.count > 0) throw collisionRefusal(target, collisions);
  await checkSpace(place, bytes); // a dry run says so too
  // Now the snapshot's own damage (a tarball of the wrong size, say), and for a dry run the
  // tarball's bytes, hashed now (a restore hashes them while extracting).
  if (input.dryRun) check = await verifySnapshot(snapshot, { deep: false });
  refuseDamaged(input, check);
  const tarDamaged = check.status !== 'ok';
  // Format 2: the tarballs of the chain that hold something selected, each link verified.
  const chain = chainOfMeta(check.meta, snapshot.id);
  const needs = manifest.hasLocations ? tarballNeeds(manifest, wanted, chain, snapshot.id) : undefined;
  const links = manifest.hasLocations
    ? await chainLinks({ snapshot, check, manifest, salvage: input.salvage, hashNeeded: input.dryRun ? new Set(needs!.map((n) => n.snapshot)) : undefined })
    : [ownLink(snapshot, check)];
  const read = needs?.length ? links.filter((l) => needs.some((n) => n.snapshot === l.id)) : links.filter((l) => l.own);
  const linkDamaged = links.some((l) => l.problem !== undefined);
  if (existing && !input.dryRun) await removeLeftoverStaging(target, existing.dev);
  if (input.dryRun) {
    const blocked = existing && targetEntries.length > 0 ? await planBlocked(target, existing.dev, manifest, wanted, input.overwrite) : [];
    const planned: Planned = { files: files.length, bytes, conflicts: collisions.paths, conflictCount: collisions.count, blocked };
    if (needs) Object.assign(planned, { tarballs: namedNeeds(needs, links) }, files.length <= MAX_LISTED_SOURCES ? { sources: fileSources(manifest, files, snapshot.id) } : {});
    return { snapshot: snapshot.id, target, verified: tarDamaged || linkDamaged ? 'damaged' : 'ok', planned, alsoRestored: extra };
  }
  return restoreThroughStaging({ input, check, manifest, select, rows: wanted, links: read, chainDamaged: linkDamaged, extra, targetExisted: existing !== undefined });
}

/** Collisions without --overwrite: refused before anything is written, the first few named, with their count. */
function collisionRefusal(target: string, c: Collisions): AirgapError {
  const shown = c.paths.slice(0, MAX_NAMED_COLLISIONS).map((p) => JSON.stringify(p)).join(', ');
  const more = c.count > MAX_NAMED_COLLISIONS ? ` and ${c.count - MAX_NAMED_COLLISIONS} more` : '';
  return new AirgapError('target-collision', `${target} already has ${plural(c.count, 'path')} the restore would replace: ${shown}${more}; nothing was written`, EXIT.refused,
    'pass --overwrite to replace exactly these (nothing else in the folder is touched), or restore into a new folder', { collisions: c.paths, collisionCount: c.count });
}

/** How many collisions the refusal names (the JSON error's details hold up to 50). */
const MAX_NAMED_COLLISIONS = 10;

/** A dry run names the tarball (and offset) of each file, up to this many files. */
const MAX_LISTED_SOURCES = 100;

/** Where each file's content is (format 2): the snapshot whose tarball holds it, and the member's offset there. */
function fileSources(manifest: ManifestIndex, files: number[], self: string): NonNullable<Planned['sources']> {
  return files.map((i) => {
    const blocks = manifest.delta(i)?.links.map((l) => l.in ?? self);
    return { path: manifest.path(i), snapshot: sourceOf(manifest, i, self), offset: manifest.offset(i)!, ...(blocks ? { blocksIn: blocks } : {}) };
  });
}

/** A few named files' lookup failed: the whole manifest is read instead, unless no key opens it (a refusal). */
function passKeyProblem(e: unknown): undefined {
  if (isKeyProblem(e)) throw e;
  return undefined;
}

/** The snapshot's manifest, read as the version its snapshot.json's format says (format 2: v2, with where each member is). */
async function loadManifest(snapshot: SnapshotFolder, check: VerifiedSnapshot): Promise<ManifestIndex> {
  try {
    // Only format 2 is ever encrypted: with a damaged snapshot.json, SHA256SUMS's .age names say so.
    const versions = check.meta ? manifestVersionsOf(check.meta) : check.encrypted ? [2] as const : [1] as const;
    const sealed = check.encrypted === true || isEncrypted(check.meta);
    return await ManifestIndex.load(join(snapshot.dir, manifestFileFor(versions, sealed)), versions);
  } catch (e) {
    // One that matched SHA256SUMS and does not decrypt (written wrong, or forged and re-signed):
    // a manifest that cannot be read, as a bad line is (restore --from-any then tries another copy).
    if (e instanceof AgeDamagedError) {
      throw damage('manifest-invalid', `the manifest of snapshot ${snapshot.id} cannot be decrypted: ${e.message}`, 'without a sound manifest no file can be checked: restore from another drive');
    }
    // A manifest that does not read (a version its snapshot.json does not say, a bad line) is
    // damage, named as such by cli/exit; without a readable snapshot.json (--salvage) its
    // version is unknown, which is said too.
    if (check.meta || !(e instanceof ManifestSyntaxError)) throw e;
    throw damage('manifest-invalid', `${MANIFEST_FILE} of snapshot ${snapshot.id} cannot be read: ${e.message}; its ${SNAPSHOT_JSON}, which says the manifest's version, is damaged too`,
      'without a sound manifest no file can be checked: restore from another drive');
  }
}

/**
 * Verifies the snapshot, its tarball's bytes left unread (a restore hashes them while
 * extracting, a dry run once the target is checked). Refuses at once only what stops the
 * manifest from being read or trusted; the rest of the damage waits until the target has been
 * checked against the manifest (refuseDamaged).
 */
async function checkSnapshot(input: RestoreInput): Promise<VerifiedSnapshot> {
  const check = await verifySnapshot(input.snapshot, { deep: false, skipTarballRead: true });
  const manifestBad = check.findings.some((f) => f.severity === 'damage' && (f.file === MANIFEST_FILE || f.file === MANIFEST_FILE_GZ || f.file === sealedName(MANIFEST_FILE_GZ, true) || f.code === 'sums-invalid' || f.code === 'incomplete'));
  if (manifestBad || (check.status !== 'ok' && !check.meta)) refuseDamaged(input, check);
  if (manifestBad) {
    throw damage('manifest-damaged', `snapshot ${input.snapshot.id}'s manifest cannot be trusted (${check.findings.find((f) => f.severity === 'damage')?.message})`,
      'without a sound manifest no file can be checked: restore from another drive');
  }
  return check;
}

/** A damaged snapshot is refused, unless --salvage. */
function refuseDamaged(input: RestoreInput, check: VerifiedSnapshot): void {
  if (check.status !== 'ok' && !input.salvage) {
    throw damage('snapshot-damaged', `snapshot ${input.snapshot.id} failed verification: ${check.findings.find((f) => f.severity === 'damage')?.message ?? 'damaged'}`,
      'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
  }
}
