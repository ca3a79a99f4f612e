// `airgap restore`: verify, then extract into a fresh staging folder inside the target, then
// promote. The target is untouched until the extraction is complete; on failure the staging
// folder is removed.
import { randomBytes } from 'node:crypto';
import { openHashThread } from '../io/hash-thread.js';
import { lstat, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { chmodSync, lstatSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AirgapError, damage, EXIT, refusal } from '../core/errors.js';
import { MANIFEST_FILE, tarballName } from '../core/format.js';
import type { SnapshotFolder } from '../snapshot/drive-contents.js';
import { verifySnapshot } from '../verify/verify-snapshot.js';
import { extractArchive, STAGING_NAME, type ExtractReport } from './extract.js';
import { ManifestIndex } from './manifest-index.js';
import { promote } from './promote.js';

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
  onFile?: (path: string, bytes: number) => void;
  /** Ctrl+C: checked after each file and before promoting; the target is then left untouched. */
  signal?: AbortSignal;
}

export interface RestoreResult {
  snapshot: string;
  target: string;
  verified: 'ok' | 'damaged';
  report?: ExtractReport;
  /** For a dry run: what would be restored. */
  planned?: { files: number; bytes: number; conflicts: string[] };
  alsoRestored: string[];
}

export async function restoreSnapshot(input: RestoreInput): Promise<RestoreResult> {
  const { snapshot, target } = input;
  // Everything but the tarball's bytes now; those are hashed while extracting (one read, not
  // two), and nothing reaches the target unless they match (or --salvage was asked for).
  const check = await verifySnapshot(snapshot, { deep: false, skipTarballRead: !input.dryRun });
  let tarDamaged = check.status !== 'ok';
  const manifestBad = check.findings.some((f) => f.severity === 'damage' && (f.file === MANIFEST_FILE || f.code === 'sums-invalid' || f.code === 'incomplete'));
  if (tarDamaged && !input.salvage) {
    throw damage('snapshot-damaged', `snapshot ${snapshot.id} failed verification: ${check.findings.find((f) => f.severity === 'damage')?.message ?? 'damaged'}`,
      'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
  }
  if (manifestBad) {
    throw damage('manifest-damaged', `snapshot ${snapshot.id}'s manifest cannot be trusted (${check.findings.find((f) => f.severity === 'damage')?.message})`,
      'without a sound manifest no file can be checked: restore from another drive');
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw refusal('target-not-a-folder', `${target} exists and is not a folder`, 'give a new or empty folder with --to');
  }
  const manifest = await ManifestIndex.load(join(snapshot.dir, MANIFEST_FILE));
  const { select, missing, extra } = selection(manifest, input.paths);
  if (missing.length) {
    throw refusal('not-in-snapshot', `snapshot ${snapshot.id} has no ${missing.map((p) => JSON.stringify(p)).join(', ')}`, `find it with: airgap find ${input.driveName} '${missing[0]!.split('/').pop()}*' --all-snapshots`);
  }
  const wanted: number[] = [];
  for (let i = 0; i < manifest.length; i++) if (!select || select(manifest.path(i))) wanted.push(i);
  // An empty or new target has no conflicts: skip a check of every path (one lstat each).
  const targetEntries = await readdir(target).catch(() => [] as string[]);
  const conflicts = targetEntries.some((n) => !n.startsWith(STAGING_NAME)) ? findConflicts(target, manifest, wanted) : [];
  // A staging folder left by a killed restore (a real folder, never a link) is ours to remove.
  for (const n of await readdir(target).catch(() => [] as string[])) {
    if (n.startsWith(STAGING_NAME) && (await lstat(join(target, n))).isDirectory() && !input.dryRun) await rm(join(target, n), { recursive: true, force: true });
  }
  const nonEmpty = (await readdir(target).catch(() => [] as string[])).length > 0;
  if (!input.overwrite && nonEmpty) {
    throw refusal('target-not-empty', `${target} is not empty${conflicts.length ? `; it already has ${conflicts.slice(0, 5).map((c) => JSON.stringify(c)).join(', ')}${conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : ''}` : ''}`,
      'restore into an empty or new folder, or pass --overwrite to replace what is there');
  }
  const files = wanted.filter((i) => manifest.type(i) === 'file');
  if (input.dryRun) {
    return { snapshot: snapshot.id, target, verified: tarDamaged ? 'damaged' : 'ok', planned: { files: files.length, bytes: files.reduce((n, i) => n + manifest.size(i), 0), conflicts }, alsoRestored: extra };
  }

  await mkdir(target, { recursive: true });
  const staging = join(target, STAGING_NAME + randomBytes(6).toString('hex'));
  await mkdir(staging, { mode: 0o700 });
  let failed = false;
  try {
    const tarPaths = check.tarFiles?.length ? check.tarFiles : [join(snapshot.dir, tarballName(snapshot.id))];
    // The tarball's SHA-256 runs on a second thread while this one extracts and hashes every file.
    const thread = openHashThread();
    let digests: string[];
    let report: Awaited<ReturnType<typeof extractArchive>>;
    try {
      const hashes = tarPaths.map(() => thread.hasher.create());
      report = await extractArchive({
        tarPaths, staging, manifest, select,
        keepSpecialBits: input.keepSpecialBits, owners: input.owners,
        onFile: (path, bytes) => {
          stopIfCancelled(input);
          input.onFile?.(path, bytes);
        },
        hashing: { hasher: thread.hasher, hashes },
      });
      digests = await Promise.all(hashes.map((h) => h.digest()));
    } finally {
      await thread.close();
    }
    const bad = tarPaths.findIndex((p, i) => check.tarSums?.[i] !== undefined && digests[i] !== check.tarSums[i]);
    if (bad >= 0 && !report.brokenAt) {
      tarDamaged = true;
      if (!input.salvage) {
        throw damage('snapshot-damaged', `snapshot ${snapshot.id} failed verification: ${basename(tarPaths[bad]!)} does not match its SHA-256 (damaged); nothing was restored`,
          'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
      }
    }
    if (report.brokenAt) tarDamaged = true;
    stopIfCancelled(input); // the last moment the target is still as it was
    const { conflicts: late } = await promote(staging, target, input.overwrite);
    for (const c of late) report.refused.push({ path: c, reason: 'appeared in the target during the restore; left as it was' });
    // Folder modes and mtimes last, deepest first, only where every component of the path is a
    // real folder: a link planted in the target is never followed.
    const isRealFolder = realFolderChecker(target);
    for (const d of [...report.dirs_].sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
      const p = join(target, d.path);
      if (isRealFolder(d.path)) {
        chmodSync(p, d.mode);
        utimesSync(p, d.mtime, d.mtime);
      }
    }
    return { snapshot: snapshot.id, target, verified: tarDamaged ? 'damaged' : 'ok', report, alsoRestored: extra };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
    // After a failure, a target folder this restore created goes too (rmdir: only if empty).
    if (failed && !existing) await rmdir(target).catch(() => {});
  }
}

function stopIfCancelled(input: RestoreInput): void {
  if (input.signal?.aborted) {
    throw new AirgapError('cancelled', `restore cancelled; nothing was restored into ${input.target}`, EXIT.cancelled, 'run the restore again when you are ready');
  }
}

/**
 * Whether every component of `rel` under `root` is a real folder (lstat: a symlink is not one).
 * Synchronous and memoised per folder: one lstat per folder, not one per path component (a
 * deep tree of thousands of folders otherwise costs tens of thousands of round trips).
 */
function realFolderChecker(root: string): (rel: string) => boolean {
  const known = new Map<string, boolean>();
  const check = (rel: string): boolean => {
    let ok = known.get(rel);
    if (ok !== undefined) return ok;
    const slash = rel.lastIndexOf('/');
    ok = (slash < 0 || check(rel.slice(0, slash))) && (lstatSync(join(root, rel), { throwIfNoEntry: false })?.isDirectory() ?? false);
    known.set(rel, ok);
    return ok;
  };
  return (rel) => {
    try {
      return check(rel);
    } catch {
      return false; // ENOTDIR, EACCES…: not a folder chain we may touch
    }
  };
}

/** The members to restore: the given paths and everything under them, plus the first copy of any selected hard link. */
function selection(manifest: ManifestIndex, paths: string[]) {
  if (paths.length === 0) return { select: undefined, missing: [], extra: [] as string[] };
  const wanted = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
  const under = (path: string) => wanted.some((w) => path === w || path.startsWith(w + '/'));
  const found = new Set<string>();
  const extra = new Set<string>();
  for (let i = 0; i < manifest.length; i++) {
    const path = manifest.path(i);
    for (const w of wanted) if (path === w || path.startsWith(w + '/')) found.add(w);
    const link = manifest.link(i);
    if (manifest.type(i) === 'hardlink' && link && under(path) && !under(link)) extra.add(link);
  }
  const missing = wanted.filter((w) => !found.has(w));
  return { select: (p: string) => under(p) || extra.has(p), missing, extra: [...extra] };
}

function findConflicts(target: string, manifest: ManifestIndex, wanted: number[]): string[] {
  const out: string[] = [];
  for (const i of wanted) {
    if (manifest.type(i) === 'dir') continue;
    try {
      lstatSync(join(target, manifest.path(i)));
      out.push(manifest.path(i));
    } catch {
      // absent (or under a non-folder): no conflict at this path
    }
    if (out.length >= 50) break;
  }
  return out;
}
