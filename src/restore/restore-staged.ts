// The writing half of a restore, once every check has passed: extract into a fresh staging
// folder inside the target while the tarball is hashed, then promote. The target is untouched
// until the extraction is complete and the tarball's bytes are known good (or --salvage); on
// failure the staging folder is removed, and so is a target folder this restore created.
// Format 2 reads the tarballs of the snapshot's chain that hold something selected, each
// hashed as it is read, or, for a few named files, only their members (extract-at.ts).
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { joinedName } from '../io/joined-files.js';
import { AirgapError, damage, EXIT } from '../core/errors.js';
import { openHashThread } from '../io/hash-thread.js';
import type { VerifiedSnapshot } from '../verify/verify-snapshot.js';
import type { ChainLink } from './chain-links.js';
import { extractAtOffsets, rowsAtOffsets } from './extract-at.js';
import { extractArchive, type ExtractOptions, type ExtractReport, type FolderAttrs, type TarballSource } from './extract.js';
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
  /** The selected manifest rows. */
  rows: number[];
  /** The tarballs to read, oldest first: the snapshot's own (format 1), or those of its chain that hold something selected. */
  links: ChainLink[];
  /** Format 2, --salvage: a snapshot of the chain did not verify (read or not). */
  chainDamaged: boolean;
  /** Paths restored besides the ones asked for (the first copy of a selected hard link). */
  extra: string[];
  /** Whether the target existed before: if not, a failed restore removes it again. */
  targetExisted: boolean;
}

export async function restoreThroughStaging(run: StagedRestore): Promise<RestoreResult> {
  const { input, check, extra } = run;
  const { snapshot, target } = input;
  let tarDamaged = check.status !== 'ok' || run.chainDamaged;
  await mkdir(target, { recursive: true });
  const staging = await makeStaging(target);
  let failed = false;
  try {
    const { report, folders, bad } = await extractStaged(run, staging);
    // Bytes that are not the ones SHA256SUMS lists reach the target only with --salvage, a
    // broken header among them (the whole tarball is hashed, past the break). An archive whose
    // bytes match but that breaks off (written that way: a forged drive) restores what is
    // sound and names the rest, exit 3, as for any hostile archive.
    if (bad) {
      tarDamaged = true;
      if (!input.salvage) {
        const which = bad.link.own ? basename(bad.file) : `${basename(bad.file)}, the tarball of snapshot ${bad.link.id} of its chain,`;
        const broke = report.brokenAt && (report.brokenAt.snapshot ?? snapshot.id) === bad.link.id ? `; the archive breaks off at byte ${report.brokenAt.offset}` : '';
        throw damage('snapshot-damaged', `snapshot ${snapshot.id} failed verification: ${which} ${bad.why} (damaged${broke}); nothing was restored`,
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

interface Extracted {
  report: ExtractReport;
  folders: FolderAttrs[];
  /** The first tarball file whose bytes are not the ones SHA256SUMS lists (`why`: how that is known). */
  bad?: { link: ChainLink; file: string; why: string };
}

/** A few named files at their offsets when the manifest allows (format 2), else every tarball concerned, whole and hashed. */
async function extractStaged(run: StagedRestore, staging: string): Promise<Extracted> {
  const { input, manifest, links } = run;
  const parts = new Map(links.map((l) => [l.id, l.parts]));
  const rows = rowsAtOffsets(manifest, run.rows, (id) => parts.get(id), input.snapshot.id);
  if (!rows) return extractHashed(run, staging);
  // Each member's SHA-256 in the manifest (which SHA256SUMS authenticates) vouches for its
  // bytes: the tarballs are not read, nor hashed, beyond those members.
  return extractAtOffsets({ ...extractOptions(run, staging, links.map((l) => source(l))), partsOf: (id) => parts.get(id) }, rows, (id) => parts.get(id)!);
}

/** Extracts into `staging`; the tarballs' SHA-256 (per part) runs on a second thread while this one extracts and hashes every file. */
async function extractHashed(run: StagedRestore, staging: string): Promise<Extracted> {
  const { links } = run;
  const thread = openHashThread(links.reduce((n, l) => n + (l.size ?? Number.POSITIVE_INFINITY), 0));
  try {
    // An encrypted tarball is not hashed: age authenticates its every byte as it is decrypted
    // (report.notAsWritten), and the thread opens its chunks instead.
    const tarballs = links.map((l) => source(l, l.encrypted ? undefined : l.tarPaths.map(() => thread.hasher.create())));
    const { report, folders } = await extractArchive({ ...extractOptions(run, staging, tarballs), hasher: thread.hasher });
    const digests = await Promise.all(tarballs.map((t) => t.hashes && Promise.all(t.hashes.map((h) => h.digest()))));
    for (const [k, link] of links.entries()) {
      if (link.encrypted) {
        if (report.notAsWritten?.includes(link.id)) return { report, folders, bad: { link, file: joinedName(link.tarPaths), why: 'fails decryption' } };
        continue;
      }
      const bad = link.tarPaths.findIndex((_, i) => link.tarSums[i] !== undefined && digests[k]![i] !== link.tarSums[i]);
      if (bad >= 0) return { report, folders, bad: { link, file: link.tarPaths[bad]!, why: 'does not match its SHA-256' } };
    }
    return { report, folders };
  } finally {
    await thread.close();
  }
}

const source = (l: ChainLink, hashes?: TarballSource['hashes']): TarballSource => ({ snapshot: l.id, own: l.own, tarPaths: l.tarPaths, ...(hashes ? { hashes } : {}), ...(l.encrypted ? { encrypted: true } : {}), ...(l.gzip ? { gzip: l.gzip } : {}) });

function extractOptions(run: StagedRestore, staging: string, tarballs: TarballSource[]): ExtractOptions {
  const { input, manifest, select } = run;
  const parts = new Map(run.links.map((l) => [l.id, l.parts]));
  return {
    tarballs, snapshot: input.snapshot.id, staging, manifest, select, partsOf: (id) => parts.get(id),
    keepSpecialBits: input.keepSpecialBits, owners: input.owners,
    onFile: (path, bytes) => {
      stopIfCancelled(input);
      input.onFile?.(path, bytes);
    },
  };
}

/** Ctrl+C: the restore stops, and the target is left as it was. */
function stopIfCancelled(input: RestoreInput): void {
  if (input.signal?.aborted) {
    throw new AirgapError('cancelled', `restore cancelled; nothing was restored into ${input.target}`, EXIT.cancelled, 'run the restore again when you are ready');
  }
}
