// `airgap restore`: verify, then extract into a fresh staging folder inside the target, then
// promote. The target is untouched until the extraction is complete; on failure the staging
// folder is removed. This file holds the checks made before anything is written (the snapshot,
// the paths asked for, the target); restore-staged.ts does the writing.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { damage, refusal } from '../core/errors.js';
import { MANIFEST_FILE } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { verifySnapshot, type VerifiedSnapshot } from '../verify/verify-snapshot.js';
import { STAGING_NAME, type ExtractReport } from './extract.js';
import { ManifestIndex } from './manifest-index.js';
import { restoreThroughStaging } from './restore-staged.js';
import { notInSnapshot, selection } from './selection.js';
import { removeLeftoverStaging } from './staging.js';
import { findConflicts, planBlocked } from './target-scan.js';

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
  const check = await checkSnapshot(input);
  const tarDamaged = check.status !== 'ok';
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw refusal('target-not-a-folder', `${target} exists and is not a folder`, 'give a new or empty folder with --to');
  }
  const manifest = await ManifestIndex.load(join(snapshot.dir, MANIFEST_FILE));
  const { select, missing, extra } = selection(manifest, input.paths);
  if (missing.length) throw notInSnapshot(snapshot.id, manifest, missing, input.driveName);
  const wanted: number[] = [];
  for (let i = 0; i < manifest.length; i++) if (!select || select(manifest.path(i))) wanted.push(i);
  // An empty or new target has no conflicts: skip a check of every path (one lstat each).
  const targetEntries = await readdir(target).catch(() => [] as string[]);
  const conflicts = targetEntries.some((n) => !n.startsWith(STAGING_NAME)) ? findConflicts(target, manifest, wanted) : [];
  if (existing && !input.dryRun) await removeLeftoverStaging(target, existing.dev);
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
  return restoreThroughStaging({ input, check, manifest, select, extra, targetExisted: existing !== undefined });
}

/** Verifies the snapshot; refuses a damaged one (unless --salvage) and one whose manifest cannot be trusted. */
async function checkSnapshot(input: RestoreInput): Promise<VerifiedSnapshot> {
  const { snapshot } = input;
  // Everything but the tarball's bytes now; those are hashed while extracting (one read, not
  // two), and nothing reaches the target unless they match (or --salvage was asked for).
  const check = await verifySnapshot(snapshot, { deep: false, skipTarballRead: !input.dryRun });
  const tarDamaged = check.status !== 'ok';
  const manifestBad = check.findings.some((f) => f.severity === 'damage' && (f.file === MANIFEST_FILE || f.code === 'sums-invalid' || f.code === 'incomplete'));
  if (tarDamaged && !input.salvage) {
    throw damage('snapshot-damaged', `snapshot ${snapshot.id} failed verification: ${check.findings.find((f) => f.severity === 'damage')?.message ?? 'damaged'}`,
      'restore it from another drive, or pass --salvage to restore every file that still matches its checksum');
  }
  if (manifestBad) {
    throw damage('manifest-damaged', `snapshot ${snapshot.id}'s manifest cannot be trusted (${check.findings.find((f) => f.severity === 'damage')?.message})`,
      'without a sound manifest no file can be checked: restore from another drive');
  }
  return check;
}
