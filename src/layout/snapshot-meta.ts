// snapshot.json, the one reader: every command that needs a snapshot's facts (verify, the
// catalog's summaries, the gate's choice of a snapshot to compare with) reads it here, with the
// same size cap, schema and format-version rule.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFile } from '../io/read-regular.js';
import { readSealedFile } from '../io/sealed-file.js';
import { damage } from '../core/errors.js';
import { parseSnapshotMetaText, type MetaProblem } from './snapshot-meta-parse.js';

export type { MetaProblem };
import { isChainedFormat, isCompressedFormat, MANIFEST_FILE, MANIFEST_FILE_GZ, MAX_SNAPSHOT_JSON_BYTES, sealedName, SNAPSHOT_JSON, type SnapshotMeta } from './format.js';
import type { ManifestVersion } from './manifest.js';

/** Parses a snapshot.json's bytes (the rules: snapshot-meta-parse.ts, shared with the browser page). */
export function parseSnapshotMeta(data: Buffer, folderId: string): { meta?: SnapshotMeta; problems: MetaProblem[] } {
  return parseSnapshotMetaText(data.toString('utf8'), folderId);
}

/** Reads a snapshot folder's snapshot.json (a regular file, capped); throws when it is unusable. */
export async function readSnapshotMeta(folder: { id: string; dir: string }): Promise<SnapshotMeta> {
  const data = await readRegularFile(join(folder.dir, SNAPSHOT_JSON), { maxBytes: MAX_SNAPSHOT_JSON_BYTES });
  const { meta, problems } = parseSnapshotMeta(data, folder.id);
  if (!meta) throw new Error(problems[0]!.message);
  return meta;
}

/**
 * A snapshot's whole snapshot.json. For a plain snapshot that is the one read above; an
 * encrypted one keeps only what an outsider may see in it (host, sources, excludes, problems
 * and the gate's reasons are empty: docs/FORMAT.md "Encrypted drives") and the whole file in
 * snapshot.json.age, decrypted here (a key is needed: io/keys.ts). The two must agree on what
 * the plain one is trusted for (which tarball, which chain): a sealed file that says otherwise
 * was swapped or forged, and is damage. Use it where the private fields are needed (restore's
 * sources); the plain one suffices for list, status and plain verify.
 */
export async function readFullSnapshotMeta(folder: { id: string; dir: string }, plain?: SnapshotMeta): Promise<SnapshotMeta> {
  const outer = plain ?? await readSnapshotMeta(folder);
  if (!outer.encryption) return outer;
  const name = sealedName(SNAPSHOT_JSON, true);
  const data = await readSealedFile(join(folder.dir, name), MAX_SNAPSHOT_JSON_BYTES);
  const { meta, problems } = parseSnapshotMeta(data, folder.id);
  if (!meta) throw damage('meta-invalid', `${name} of snapshot ${folder.id}: ${problems[0]!.message}`);
  const differs = (['id', 'chain', 'base', 'kind', 'tarball', 'encryption'] as const).filter((k) => JSON.stringify(meta[k]) !== JSON.stringify(outer[k]));
  if (differs.length) throw damage('meta-mismatch', `${name} and ${SNAPSHOT_JSON} of snapshot ${folder.id} disagree on ${differs.join(', ')}`);
  return meta;
}

/**
 * The manifest of a format 2 snapshot found by its folder alone (a base, a link of a chain):
 * MANIFEST.tsv.gz.age when its plain snapshot.json says it is encrypted; with a snapshot.json
 * that cannot be read, whichever of the two is there (the reader then finds the damage).
 */
export async function chainManifestPath(dir: string, id: string): Promise<string> {
  const meta = await readSnapshotMeta({ id, dir }).catch(() => undefined);
  const sealed = meta ? isEncrypted(meta) : await lstat(join(dir, sealedName(MANIFEST_FILE_GZ, true))).then(() => true, () => false);
  return join(dir, sealedName(MANIFEST_FILE_GZ, sealed));
}

/** Whether a snapshot's files are encrypted (its plain snapshot.json says so). */
export const isEncrypted = (meta: Pick<SnapshotMeta, 'encryption'> | undefined): boolean => meta?.encryption !== undefined;

/**
 * The MANIFEST.tsv versions a snapshot may hold, by its snapshot.json's format: a reader is told
 * them (layout/manifest-reader.ts), so that a v2 manifest in a format 1 snapshot is damage at
 * line 1, never read as if it were whole.
 */
export function manifestVersionsOf(meta: Pick<SnapshotMeta, 'formatVersion'>): ManifestVersion[] {
  return isChainedFormat(meta.formatVersion) ? [2] : [1];
}

/** The manifest's file name for those versions: format 2's is gzipped (MANIFEST.tsv.gz), an encrypted one's MANIFEST.tsv.gz.age. */
export const manifestFileFor = (versions: readonly ManifestVersion[], encrypted = false): string => sealedName(versions.includes(2) ? MANIFEST_FILE_GZ : MANIFEST_FILE, encrypted);

/**
 * The manifest versions of a snapshot folder, from its snapshot.json. One that cannot be read
 * gives [1], what every snapshot held before format 2 (a v2 manifest is then refused at line 1),
 * with the reason, for a caller to add to that refusal.
 */
export async function manifestVersionsIn(folder: { id: string; dir: string }): Promise<{ versions: ManifestVersion[]; encrypted: boolean; compressed?: boolean; metaProblem?: string }> {
  try {
    const meta = await readSnapshotMeta(folder);
    return { versions: manifestVersionsOf(meta), encrypted: isEncrypted(meta), ...(isCompressedFormat(meta.formatVersion) ? { compressed: true } : {}) };
  } catch (e) {
    return { versions: [1], encrypted: false, metaProblem: (e as Error).message };
  }
}
