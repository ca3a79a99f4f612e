// snapshot.json, the one reader: every command that needs a snapshot's facts (verify, the
// catalog's summaries, the gate's choice of a snapshot to compare with) reads it here, with the
// same size cap, schema and format-version rule.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFile } from '../io/read-regular.js';
import { readSealedFile } from '../io/sealed-file.js';
import { damage } from '../core/errors.js';
import { compareSnapshotIds, isSnapshotId } from './snapshot-id.js';
import { check } from '../core/validate.js';
import { MANIFEST_FILE, MANIFEST_FILE_GZ, MAX_SNAPSHOT_FORMAT, MAX_SNAPSHOT_JSON_BYTES, sealedName, SNAPSHOT_JSON, snapshotMetaSchema, type SnapshotMeta } from './format.js';
import type { ManifestVersion } from './manifest.js';

export interface MetaProblem {
  code: 'meta-invalid' | 'format-too-new' | 'meta-mismatch';
  message: string;
}

/**
 * Parses a snapshot.json's bytes. `meta` holds the fields this airgap knows whenever they are
 * valid; `problems` says what is wrong. A newer format version is a problem (verify refuses to
 * judge such a snapshot), but its known fields are still shown by list and status, as before.
 */
export function parseSnapshotMeta(data: Buffer, folderId: string): { meta?: SnapshotMeta; problems: MetaProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { problems: [{ code: 'meta-invalid', message: `${SNAPSHOT_JSON} is not valid JSON` }] };
  }
  const problems: MetaProblem[] = [];
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > MAX_SNAPSHOT_FORMAT) {
    problems.push({ code: 'format-too-new', message: `${SNAPSHOT_JSON} is format version ${version}; this airgap reads up to ${MAX_SNAPSHOT_FORMAT}: upgrade airgap (or verify with sha256sum -c SHA256SUMS)` });
  }
  const r = check(snapshotMetaSchema, json);
  if (!r.ok) return { problems: problems.length ? problems : [{ code: 'meta-invalid', message: `${SNAPSHOT_JSON} is invalid: ${r.path.join('.') || '(root)'}: ${r.message}` }] };
  const chainProblem = r.value.formatVersion <= MAX_SNAPSHOT_FORMAT ? chainFieldsProblem(r.value) : undefined;
  if (chainProblem) return { problems: [{ code: 'meta-invalid', message: `${SNAPSHOT_JSON} is invalid: ${chainProblem}` }] };
  if (r.value.id !== folderId) {
    problems.push({ code: 'meta-mismatch', message: `${SNAPSHOT_JSON} says it is snapshot ${r.value.id}, but its folder is ${folderId} (renamed?)` });
  }
  return { meta: r.value, problems };
}

/**
 * Format 2's chain fields must agree with each other (docs/FORMAT.md): a full's chain is
 * itself; an increment's chain ends with its base, then itself, oldest first. A reader that
 * trusted a chain that does not would extract the wrong tarballs. Format 1 has none of them.
 */
function chainFieldsProblem(m: SnapshotMeta): string | undefined {
  if (m.formatVersion === 1) {
    return m.kind !== undefined || m.base !== undefined || m.chain !== undefined ? 'format 1 has no kind, base or chain' : undefined;
  }
  if (!m.kind || !m.chain) return 'format 2 needs kind and chain';
  const chain = m.chain;
  if (chain.at(-1) !== m.id) return 'chain: its last id must be the snapshot itself';
  if (!chain.every(isSnapshotId)) return 'chain: not every entry is a snapshot id';
  if (chain.some((c, i) => i > 0 && compareSnapshotIds(chain[i - 1]!, c) >= 0)) return 'chain: not oldest first';
  if (m.kind === 'full') return chain.length === 1 && m.base === undefined ? undefined : 'a full snapshot has no base and a chain of itself';
  return chain.length >= 2 && m.base === chain.at(-2) ? undefined : 'an incremental snapshot\'s base must be the one before it in its chain';
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
  return meta.formatVersion === 2 ? [2] : [1];
}

/** The manifest's file name for those versions: format 2's is gzipped (MANIFEST.tsv.gz), an encrypted one's MANIFEST.tsv.gz.age. */
export const manifestFileFor = (versions: readonly ManifestVersion[], encrypted = false): string => sealedName(versions.includes(2) ? MANIFEST_FILE_GZ : MANIFEST_FILE, encrypted);

/**
 * The manifest versions of a snapshot folder, from its snapshot.json. One that cannot be read
 * gives [1], what every snapshot held before format 2 (a v2 manifest is then refused at line 1),
 * with the reason, for a caller to add to that refusal.
 */
export async function manifestVersionsIn(folder: { id: string; dir: string }): Promise<{ versions: ManifestVersion[]; encrypted: boolean; metaProblem?: string }> {
  try {
    const meta = await readSnapshotMeta(folder);
    return { versions: manifestVersionsOf(meta), encrypted: isEncrypted(meta) };
  } catch (e) {
    return { versions: [1], encrypted: false, metaProblem: (e as Error).message };
  }
}
