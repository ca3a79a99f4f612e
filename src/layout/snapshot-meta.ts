// snapshot.json, the one reader: every command that needs a snapshot's facts (verify, the
// catalog's summaries, the gate's choice of a snapshot to compare with) reads it here, with the
// same size cap, schema and format-version rule.
import { join } from 'node:path';
import { readRegularFile } from '../io/read-regular.js';
import { check } from '../core/validate.js';
import { FORMAT_VERSION, MAX_SNAPSHOT_JSON_BYTES, SNAPSHOT_JSON, snapshotMetaSchema, type SnapshotMeta } from './format.js';

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
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    problems.push({ code: 'format-too-new', message: `${SNAPSHOT_JSON} is format version ${version}; this airgap reads up to ${FORMAT_VERSION}: upgrade airgap (or verify with sha256sum -c SHA256SUMS)` });
  }
  const r = check(snapshotMetaSchema, json);
  if (!r.ok) return { problems: problems.length ? problems : [{ code: 'meta-invalid', message: `${SNAPSHOT_JSON} is invalid: ${r.path.join('.') || '(root)'}: ${r.message}` }] };
  if (r.value.id !== folderId) {
    problems.push({ code: 'meta-mismatch', message: `${SNAPSHOT_JSON} says it is snapshot ${r.value.id}, but its folder is ${folderId} (renamed?)` });
  }
  return { meta: r.value, problems };
}

/** Reads a snapshot folder's snapshot.json (a regular file, capped); throws when it is unusable. */
export async function readSnapshotMeta(folder: { id: string; dir: string }): Promise<SnapshotMeta> {
  const data = await readRegularFile(join(folder.dir, SNAPSHOT_JSON), { maxBytes: MAX_SNAPSHOT_JSON_BYTES });
  const { meta, problems } = parseSnapshotMeta(data, folder.id);
  if (!meta) throw new Error(problems[0]!.message);
  return meta;
}
