// The writing half of a restore, once every check has passed: extract into a fresh staging
// folder inside the target while the tarball is hashed, then promote. The target is untouched
// until the extraction is complete and the tarball's bytes are known good (or --salvage); on
// failure the staging folder is removed, and so is a target folder this restore created.
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AirgapError, damage, EXIT } from '../core/errors.js';
import { openHashThread } from '../io/hash-thread.js';
import { tarballName } from '../layout/format.js';
import type { VerifiedSnapshot } from '../verify/verify-snapshot.js';
import { extractArchive, type ExtractReport, type FolderAttrs } from './extract.js';
import { applyFolderAttrs } from './folder-attrs.js';
import type { ManifestIndex } from './manifest-index.js';
import { promote } from './promote.js';
import type { RestoreInput, RestoreResult } from './restore.js';
import { makeStaging } from './staging.js';

/** What restoreSnapshot settled before writing anything. */
export interface StagedRestore {
  input: RestoreInput;
  check: VerifiedSnapshot;
  manifest: ManifestIndex;
  select: ((path: string) => boolean) | undefined;
  /** Paths restored besides the ones asked for (the first copy of a selected hard link). */
  extra: string[];
  /** Whether the target existed before: if not, a failed restore removes it again. */
  targetExisted: boolean;
}

export async function restoreThroughStaging(run: StagedRestore): Promise<RestoreResult> {
  const { input, check, extra } = run;
  const { snapshot, target } = input;
  let tarDamaged = check.status !== 'ok';
  await mkdir(target, { recursive: true });
  const staging = await makeStaging(target);
  let failed = false;
  try {
    const tarPaths = check.tarFiles?.length ? check.tarFiles : [join(snapshot.dir, tarballName(snapshot.id))];
    const { report, folders, digests } = await extractHashed(run, tarPaths, staging);
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
    await applyFolderAttrs(target, folders, blocked);
    return { snapshot: snapshot.id, target, verified: tarDamaged ? 'damaged' : 'ok', report, alsoRestored: extra };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
    // After a failure, a target folder this restore created goes too (rmdir: only if empty).
    if (failed && !run.targetExisted) await rmdir(target).catch(() => {});
  }
}

/** Extracts into `staging`; the tarball's SHA-256 (per part) runs on a second thread while this one extracts and hashes every file. */
async function extractHashed(run: StagedRestore, tarPaths: string[], staging: string): Promise<{ report: ExtractReport; folders: FolderAttrs[]; digests: string[] }> {
  const { input, check, manifest, select } = run;
  const thread = openHashThread(check.meta?.tarball.size ?? Number.POSITIVE_INFINITY);
  try {
    const hashes = tarPaths.map(() => thread.hasher.create());
    const { report, folders } = await extractArchive({
      tarPaths, staging, manifest, select,
      keepSpecialBits: input.keepSpecialBits, owners: input.owners,
      onFile: (path, bytes) => {
        stopIfCancelled(input);
        input.onFile?.(path, bytes);
      },
      hashing: { hasher: thread.hasher, hashes },
    });
    const digests = await Promise.all(hashes.map((h) => h.digest()));
    return { report, folders, digests };
  } finally {
    await thread.close();
  }
}

/** Ctrl+C: the restore stops, and the target is left as it was. */
function stopIfCancelled(input: RestoreInput): void {
  if (input.signal?.aborted) {
    throw new AirgapError('cancelled', `restore cancelled; nothing was restored into ${input.target}`, EXIT.cancelled, 'run the restore again when you are ready');
  }
}
