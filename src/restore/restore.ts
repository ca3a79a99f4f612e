// `airgap restore`: verify, then extract into a fresh staging folder inside the target, then
// promote. The target is untouched until the extraction is complete; on failure the staging
// folder is removed.
import { randomBytes } from 'node:crypto';
import { openHashThread } from '../io/hash-thread.js';
import { lstat, mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { chmodSync, lstatSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AirgapError, damage, EXIT, refusal } from '../core/errors.js';
import { collisionKey } from '../core/member-path.js';
import { MANIFEST_FILE, tarballName } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { verifySnapshot } from '../verify/verify-snapshot.js';
import { extractArchive, STAGING_NAME, type ExtractReport, type FolderAttrs } from './extract.js';
import { ManifestIndex } from './manifest-index.js';
import { clash, promote } from './promote.js';

/** Inside every staging folder: a later restore removes a leftover staging folder only if it holds this (it is ours). */
const STAGING_MARKER = `${STAGING_NAME}staging`;

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
  /** For a dry run: what would be restored, what exists (replaced with --overwrite), and what would be left as it is. */
  planned?: { files: number; bytes: number; conflicts: string[]; blocked: { path: string; reason: string }[] };
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
    // A path typed in another case or unicode form (NFD from a Mac keyboard, say) is not the
    // snapshot's path: say which spelling it has rather than leave the user to guess.
    const keys = new Map(missing.map((m) => [collisionKey(m), m]));
    const spelled = new Map<string, string>();
    for (let i = 0; i < manifest.length && spelled.size < keys.size; i++) {
      const m = keys.get(collisionKey(manifest.path(i)));
      if (m !== undefined && !spelled.has(m)) spelled.set(m, manifest.path(i));
    }
    const hint = spelled.size
      ? `the snapshot spells it differently (case or unicode form): ${[...spelled].map(([m, p]) => `${JSON.stringify(m)} is ${JSON.stringify(p)}`).join(', ')}; give that exact path`
      : `find it with: airgap find ${input.driveName} '${missing[0]!.split('/').pop()}*' --all-snapshots`;
    throw refusal('not-in-snapshot', `snapshot ${snapshot.id} has no ${missing.map((p) => JSON.stringify(p)).join(', ')} (nothing was read or written)`, hint);
  }
  const wanted: number[] = [];
  for (let i = 0; i < manifest.length; i++) if (!select || select(manifest.path(i))) wanted.push(i);
  // An empty or new target has no conflicts: skip a check of every path (one lstat each).
  const targetEntries = await readdir(target).catch(() => [] as string[]);
  const conflicts = targetEntries.some((n) => !n.startsWith(STAGING_NAME)) ? findConflicts(target, manifest, wanted) : [];
  // A staging folder left by a killed restore is ours to remove: a real folder (never a link),
  // on the target's own filesystem (never a mount point), holding our marker. Anything else
  // of that name is left alone (it only makes the target non-empty).
  if (existing && !input.dryRun) {
    for (const n of await readdir(target).catch(() => [] as string[])) {
      if (!n.startsWith(STAGING_NAME)) continue;
      const st = await lstat(join(target, n)).catch(() => undefined);
      const marked = await lstat(join(target, n, STAGING_MARKER)).then((m) => m.isFile(), () => false);
      if (st?.isDirectory() && st.dev === existing.dev && marked) await rm(join(target, n), { recursive: true, force: true });
    }
  }
  const nonEmpty = (await readdir(target).catch(() => [] as string[])).length > 0;
  if (!input.overwrite && nonEmpty) {
    throw refusal('target-not-empty', `${target} is not empty${conflicts.length ? `; it already has ${conflicts.slice(0, 5).map((c) => JSON.stringify(c)).join(', ')}${conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : ''}` : ''}`,
      'restore into an empty or new folder, or pass --overwrite to replace what is there');
  }
  const files = wanted.filter((i) => manifest.type(i) === 'file');
  if (input.dryRun) {
    const blocked = existing && nonEmpty ? await planBlocked(target, existing.dev, manifest, wanted, input.overwrite) : [];
    return { snapshot: snapshot.id, target, verified: tarDamaged ? 'damaged' : 'ok', planned: { files: files.length, bytes: files.reduce((n, i) => n + manifest.size(i), 0), conflicts, blocked }, alsoRestored: extra };
  }

  await mkdir(target, { recursive: true });
  const staging = join(target, STAGING_NAME + randomBytes(6).toString('hex'));
  await mkdir(staging, { mode: 0o700 });
  await writeFile(join(staging, STAGING_MARKER), '', { flag: 'wx' });
  let failed = false;
  try {
    const tarPaths = check.tarFiles?.length ? check.tarFiles : [join(snapshot.dir, tarballName(snapshot.id))];
    // The tarball's SHA-256 runs on a second thread while this one extracts and hashes every file.
    const thread = openHashThread(check.meta?.tarball.size ?? Number.POSITIVE_INFINITY);
    let digests: string[];
    let report: ExtractReport;
    let folders: FolderAttrs[];
    try {
      const hashes = tarPaths.map(() => thread.hasher.create());
      ({ report, folders } = await extractArchive({
        tarPaths, staging, manifest, select,
        keepSpecialBits: input.keepSpecialBits, owners: input.owners,
        onFile: (path, bytes) => {
          stopIfCancelled(input);
          input.onFile?.(path, bytes);
        },
        hashing: { hasher: thread.hasher, hashes },
      }));
      digests = await Promise.all(hashes.map((h) => h.digest()));
    } finally {
      await thread.close();
    }
    const bad = tarPaths.findIndex((p, i) => check.tarSums?.[i] !== undefined && digests[i] !== check.tarSums[i]);
    // Bytes that are not the ones SHA256SUMS lists reach the target only with --salvage, a
    // broken header among them (the whole tarball is hashed, past the break). An archive whose
    // bytes match but that breaks off (written that way: a forged drive) restores what is
    // sound and names the rest, exit 3, as for any hostile archive.
    if (bad >= 0) {
      tarDamaged = true;
      if (!input.salvage) {
        throw damage('snapshot-damaged', `snapshot ${snapshot.id} failed verification: ${basename(tarPaths[bad]!)} does not match its SHA-256 (damaged${report.brokenAt ? `; the archive breaks off at byte ${report.brokenAt.offset}` : ''}); nothing was restored`,
          'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
      }
    }
    if (report.brokenAt) tarDamaged = true;
    stopIfCancelled(input); // the last moment the target is still as it was
    const { conflicts: kept, blocked } = await promote(staging, target, input.overwrite);
    report.kept.push(...kept);
    // Folder modes and mtimes last, deepest first, only where every component of the path is a
    // real folder on the target's filesystem: a link planted in the target is never followed,
    // and a folder left as it was (a mount point, say) is not ours to change.
    const isRealFolder = realFolderChecker(target, (await lstat(target)).dev);
    const isBlocked = (p: string) => blocked.some((b) => p === b || p.startsWith(b + '/'));
    for (const d of folders.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
      const p = join(target, d.path);
      if (isRealFolder(d.path) && !isBlocked(d.path)) {
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
function realFolderChecker(root: string, dev: number): (rel: string) => boolean {
  const known = new Map<string, boolean>();
  const check = (rel: string): boolean => {
    let ok = known.get(rel);
    if (ok !== undefined) return ok;
    const slash = rel.lastIndexOf('/');
    const st = slash < 0 || check(rel.slice(0, slash)) ? lstatSync(join(root, rel), { throwIfNoEntry: false }) : undefined;
    ok = (st?.isDirectory() ?? false) && st!.dev === dev;
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

/**
 * For --dry-run: what promote would leave as it is (a folder with contents where the snapshot
 * has a file, a mount point), by the same rule (clash). Walks each selected path's parents from
 * the top, so that nothing is looked at through a link or a folder that would be replaced.
 */
async function planBlocked(target: string, targetDev: number, manifest: ManifestIndex, wanted: number[], overwrite: boolean): Promise<{ path: string; reason: string }[]> {
  const verdict = new Map<string, 'stop' | 'merge'>(); // per path: look below it ('merge') or not
  const blocked: { path: string; reason: string }[] = [];
  const visit = async (rel: string, isDir: boolean): Promise<void> => {
    if (verdict.has(rel)) return;
    const abs = join(target, rel);
    const c = await clash(isDir, await lstat(abs).catch(() => undefined), targetDev, overwrite, async () => (await readdir(abs)).length === 0);
    if (c.action === 'keep') blocked.push({ path: rel, reason: c.reason });
    verdict.set(rel, c.action === 'merge' ? 'merge' : 'stop');
  };
  for (const i of wanted) {
    const parts = manifest.path(i).split('/');
    let under = true;
    for (let k = 1; k <= parts.length && under; k++) {
      const rel = parts.slice(0, k).join('/');
      await visit(rel, k < parts.length || manifest.type(i) === 'dir');
      under = verdict.get(rel) === 'merge';
    }
  }
  return blocked;
}
