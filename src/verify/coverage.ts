// What SHA256SUMS must list for a snapshot, and snapshot.json's tarball against it (plain verify,
// no key needed): the tarball (`<ID>.tar`, format 3's `<ID>.tar.gz`, `.age` when encrypted, or
// their parts without a gap), the lists of its format, snapshot.json, and in format 3 the
// tarball's index. What SHA256SUMS leaves out is not protected.
import {
  fileSumsFileOf, gzipIndexName, isCompressedFormat, MANIFEST_FILE_GZ, manifestFileOf, partName, sealedName, SNAPSHOT_JSON, SUMS_FILE, tarballFiles, tarballName,
  type SnapshotFormat, type SnapshotMeta,
} from '../layout/format.js';
import type { Damage } from './file-sums-check.js';
import { isSealed } from './sealed-snapshot.js';

/**
 * Which lists the snapshot holds, by the names SHA256SUMS gives: format 2's (and 3's) gzipped
 * ones, or format 1's plain ones (snapshot.json's format must agree; with no usable
 * snapshot.json this alone says which manifest to read).
 */
export const listsFormat = (listed: Map<string, string>): SnapshotFormat => (listed.has(MANIFEST_FILE_GZ) || isSealed(listed) ? 2 : 1);
export const isEncryptedMeta = (meta: SnapshotMeta): boolean => meta.encryption !== undefined;

/** Checks what SHA256SUMS lists; returns the tarball's file names as it lists them. */
export function checkCoverage(id: string, listed: Map<string, string>, lists: SnapshotFormat, compressed: boolean, damage: Damage): string[] {
  const sealed = isSealed(listed);
  const tarName = tarballName(id, sealed, compressed);
  const tarNames = tarballFiles(id, listed.keys(), sealed, compressed);
  if (tarNames.length === 0) damage('not-covered', `${SUMS_FILE} does not list ${tarName} (or its parts)`, { file: tarName });
  if (tarNames.length > 1) {
    // Parts must run 000, 001, … without a gap: a missing line would silently shorten the archive.
    const gap = tarNames.findIndex((n, i) => n !== partName(id, i, sealed, compressed));
    if (gap >= 0) damage('parts-missing', `${SUMS_FILE} lists the tarball's parts with a gap: ${partName(id, gap, sealed, compressed)} is not listed`, { file: SUMS_FILE });
  }
  // Format 3: the index that places tar offsets in the `.tar.gz` (a forged one could place them anywhere).
  const index = compressed ? [gzipIndexName(id, sealed)] : [];
  for (const required of [manifestFileOf(lists, sealed), fileSumsFileOf(lists, sealed), SNAPSHOT_JSON, ...index, ...(sealed ? [sealedName(SNAPSHOT_JSON, true)] : [])]) {
    if (!listed.has(required)) damage('not-covered', `${SUMS_FILE} does not list ${required}`, { file: required });
  }
  return tarNames;
}

/** snapshot.json and SHA256SUMS must name the same tarball files with the same hashes, and agree on whether it is compressed. */
export function checkMetaAgrees(meta: SnapshotMeta, id: string, tarNames: string[], listed: Map<string, string>, compressed: boolean, damage: Damage): void {
  const metaNames = meta.tarball.parts ? meta.tarball.parts.map((p) => p.name) : [tarballName(id, isEncryptedMeta(meta), isCompressedFormat(meta.formatVersion))];
  const metaSums = meta.tarball.parts ? meta.tarball.parts.map((p) => p.sha256) : [meta.tarball.sha256];
  if (tarNames.length && (metaNames.join('/') !== tarNames.join('/') || metaSums.some((h, i) => h !== listed.get(tarNames[i]!)))) {
    damage('meta-mismatch', `${SNAPSHOT_JSON} and ${SUMS_FILE} disagree on the tarball${tarNames.length > 1 || meta.tarball.parts ? "'s parts" : "'s SHA-256"}`, { file: SNAPSHOT_JSON });
  }
  if (isCompressedFormat(meta.formatVersion) !== compressed) {
    damage('meta-mismatch', `${SNAPSHOT_JSON} says snapshot format ${meta.formatVersion}, but ${SUMS_FILE} lists ${compressed ? 'a compressed' : 'an uncompressed'} tarball`, { file: SNAPSHOT_JSON });
  }
}
