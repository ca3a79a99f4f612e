// snapshot.json's rules, pure: the schema, the format-version rule and format 2's chain fields.
// Shared by snapshot-meta.ts (the CLI's one reader) and the browser page (src/page), so that
// both judge a snapshot.json alike. No node: imports here: the page is built from it.
import { compareSnapshotIds, isSnapshotId } from './snapshot-id.js';
import { check } from '../core/validate.js';
import { MAX_SNAPSHOT_FORMAT, SNAPSHOT_JSON, snapshotMetaSchema, type SnapshotMeta } from './format.js';

export interface MetaProblem {
  code: 'meta-invalid' | 'format-too-new' | 'meta-mismatch';
  message: string;
}

/**
 * Parses a snapshot.json's bytes. `meta` holds the fields this airgap knows whenever they are
 * valid; `problems` says what is wrong. A newer format version is a problem (verify refuses to
 * judge such a snapshot), but its known fields are still shown by list and status, as before.
 */
export function parseSnapshotMetaText(text: string, folderId: string): { meta?: SnapshotMeta; problems: MetaProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
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
 * Format 2's (and 3's) chain fields must agree with each other (docs/FORMAT.md): a full's chain is
 * itself; an increment's chain ends with its base, then itself, oldest first. A reader that
 * trusted a chain that does not would extract the wrong tarballs. Format 1 has none of them.
 */
function chainFieldsProblem(m: SnapshotMeta): string | undefined {
  // Format 3's tarball is block-gzipped, and says so; no other format's may claim it.
  if ((m.formatVersion === 3) !== (m.tarball.gzip !== undefined)) return m.formatVersion === 3 ? 'format 3 needs tarball.gzip' : 'tarball.gzip is for format 3 only';
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

