// `verify --sample N%` (issue 16): on a big drive, a format 2 tarball is checked by reading a
// random N % of its files alone, each at the offset its MANIFEST.tsv gives (layout/member-at),
// instead of reading the whole tarball. What makes one member's check worth anything: SHA256SUMS
// authenticates the manifest (the caller samples only when MANIFEST.tsv matched its line), and
// the manifest's SHA-256 authenticates the member's content. Only lines whose content is in this
// tarball are drawn: a carried line's member belongs to an earlier snapshot and is drawn when
// that snapshot is verified, so each tarball is sampled once.
import { AgeDamagedError } from '../crypto/age-errors.js';
import { isKeyProblem } from '../io/age-feed.js';
import { createHash, randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { rebuildProblem } from './delta-rebuild.js';
import { tarballPartsOf } from './tarball-parts.js';
import type { Finding, SnapshotReport } from '../core/findings.js';
import { isChainedFormat, type SnapshotMeta } from '../layout/format.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { readMemberAt, type TarballParts } from '../layout/member-at.js';
import { TarFormatError, type TarEntry } from '../layout/tar-reader.js';
import { isStoredDamage } from './stored-damage.js';
import { MAX_MEMBER_FINDINGS, typeDisagreement } from './deep-check.js';
import type { TarballDamage } from '../core/tarball-damage.js';

export interface SampleInput {
  /** MANIFEST.tsv, version 2 (already matched against SHA256SUMS). */
  manifest: string;
  tarball: TarballParts;
  /** The share of the files to read, in (0, 100]. */
  percent: number;
  findings: Finding[];
  onBytes?: (n: number) => void;
  /** This snapshot's id, and the tarball of another of its chain: for the delta'd files whose newest blocks it holds. */
  self?: string;
  partsOf?: (id: string) => Promise<TarballParts | undefined>;
}

export interface SampleResult {
  /** Members read, of the files whose content is in this tarball, and their content bytes. */
  members: number;
  of: number;
  bytes: number;
  /** Members found damaged; `broken`: the manifest could not be read to its end. */
  damaged: Set<string>;
  broken: boolean;
}

export interface SampledSnapshot {
  manifest: string;
  /** The tarball's files in order, and their sizes (already checked against snapshot.json). */
  paths: string[];
  sizes: number[];
  meta: SnapshotMeta | undefined;
  /** MANIFEST.tsv matched its SHA256SUMS line: only then do its offsets and hashes mean anything. */
  manifestOk: boolean;
  percent: number;
  report: SnapshotReport;
  onBytes?: (n: number) => void;
  /** This snapshot's id and folder: the rest of its chain is beside it. */
  id?: string;
  dir?: string;
  /** Format 3: its tarball is block-gzipped; `index`: the index file, when it checked out (members are read through it). */
  gzip?: { index?: string };
}

/**
 * `--sample` for one snapshot: what of its tarball the sample found damaged, or 'whole' when the
 * tarball is to be read whole instead (no offsets to read at), with a note saying why.
 */
export async function sampleSnapshot(s: SampledSnapshot): Promise<TarballDamage | undefined | 'whole'> {
  const note = (code: string, message: string) => s.report.findings.push({ severity: 'note', code, message });
  if (!s.meta || !isChainedFormat(s.meta.formatVersion)) {
    note('sample-whole', s.meta ? 'format 1 has no member offsets: verified whole' : 'no usable snapshot.json (no member offsets): verified whole');
    return 'whole';
  }
  if (s.gzip && s.gzip.index === undefined) {
    note('sample-whole', "the compressed tarball's index does not check out (no way to its members): verified whole");
    return 'whole';
  }
  const gzip = s.gzip?.index !== undefined ? { index: s.gzip.index } : undefined;
  // readMemberAt finds a part by dividing by the part size: every part but the last must have it
  // (not so an encrypted tarball's: its parts are one age file, read by plaintext offset; nor a
  // compressed one's, read through its index by the parts' real sizes).
  const encrypted = s.meta.encryption !== undefined;
  if (!encrypted && !gzip && s.sizes.slice(0, -1).some((n) => n !== s.sizes[0])) {
    note('sample-whole', "the tarball's parts are not of one size (not as airgap writes them): verified whole");
    return 'whole';
  }
  if (!s.manifestOk) {
    note('sample-skipped', 'no member sampled: MANIFEST.tsv does not check out against SHA256SUMS (verify without --sample reads the tarball whole)');
    return undefined;
  }
  const tarball: TarballParts = gzip ? { files: s.paths, ...(encrypted ? { encrypted } : {}), gzip }
    : encrypted ? { files: s.paths, encrypted } : { files: s.paths, ...(s.paths.length > 1 ? { partSize: s.sizes[0]! } : {}) };
  const chain = s.id !== undefined && s.dir !== undefined
    ? { self: s.id, partsOf: (id: string) => (id === s.id ? Promise.resolve(tarball) : tarballPartsOf(join(dirname(s.dir!), id), id)) } : {};
  const r = await sampleTarball({ manifest: s.manifest, tarball, percent: s.percent, findings: s.report.findings, ...(s.onBytes ? { onBytes: s.onBytes } : {}), ...chain });
  s.report.sampled = { members: r.members, of: r.of, bytes: r.bytes };
  s.report.bytesRead += r.bytes;
  return r.broken ? { all: true, paths: new Set() } : r.damaged.size ? { all: false, paths: r.damaged } : undefined;
}

/**
 * A file line whose content is in this snapshot's own tarball, or a delta'd file whose newest
 * blocks are (a large file changed in place: rebuilt from its chain, layout/delta-file.ts): what
 * a sample draws from.
 */
const own = (m: ManifestEntry) => m.type === 'file' && (m.delta?.length ? m.delta.at(-1)!.in === undefined : m.in === undefined);

/** How many of `of` files `percent` % is: rounded up, at least one when there is any. */
export function sampleSize(of: number, percent: number): number {
  // The small epsilon keeps 7.000000000000001 (0.7 % of 1000 in floating point) at 7.
  return of === 0 ? 0 : Math.min(of, Math.max(1, Math.ceil((of * percent) / 100 - 1e-9)));
}

/**
 * Draws the sample and checks each drawn member. Two passes over the manifest, never held in
 * memory: the first counts the files, the second draws them (selection sampling, Knuth's
 * algorithm S: each line is taken with probability wanted-left / lines-left, so exactly k lines,
 * uniformly) and reads each at once, in archive order, so the tarball is read forward.
 */
export async function sampleTarball(input: SampleInput): Promise<SampleResult> {
  const result: SampleResult = { members: 0, of: 0, bytes: 0, damaged: new Set(), broken: false };
  let shown = 0;
  const report = (m: ManifestEntry, code: string, message: string, extra: Partial<Finding> = {}) => {
    result.damaged.add(m.path);
    // Past the cap the members are counted, not named: one broken disk region can hit thousands.
    if (shown++ < MAX_MEMBER_FINDINGS) input.findings.push({ severity: 'damage', code, member: m.path, message: `${JSON.stringify(m.path)}: ${message}`, ...extra });
  };
  const reader = new ManifestReader(input.manifest, [2]);
  try {
    for (let m = await reader.next(); m; m = await reader.next()) if (own(m)) result.of++;
    const wanted = sampleSize(result.of, input.percent);
    const lines = new ManifestReader(input.manifest, [2]);
    try {
      let seen = 0;
      for (let m = await lines.next(); m && result.members < wanted && seen < result.of; m = await lines.next()) {
        if (!own(m)) continue;
        if (randomInt(result.of - seen++) >= wanted - result.members) continue;
        result.members++;
        await checkMember(input, m, result, report);
      }
    } finally {
      lines.close();
    }
  } catch (e) {
    if (isKeyProblem(e)) throw e;
    // It matched SHA256SUMS and still does not parse: written wrong, or forged and re-signed.
    result.broken = true;
    input.findings.push({ severity: 'damage', code: 'manifest-invalid', message: `${reader.file} cannot be read: ${(e as Error).message}` });
  } finally {
    reader.close();
  }
  if (shown > MAX_MEMBER_FINDINGS) input.findings.push({ severity: 'damage', code: 'more-members-damaged', message: `${shown - MAX_MEMBER_FINDINGS} more damaged member(s) not listed` });
  return result;
}

/** The header disagrees with the manifest line: stop before reading a body it may have forged to be huge. */
class HeaderMismatch extends Error {}

type Report = (m: ManifestEntry, code: string, message: string, extra?: Partial<Finding>) => void;

/** One drawn member: read alone at its offset, its header and content against the manifest line. */
async function checkMember(input: SampleInput, m: ManifestEntry, result: SampleResult, report: Report): Promise<void> {
  if (m.delta?.length) return checkDeltaFile(input, m, result, report);
  const hash = createHash('sha256');
  let entry: TarEntry;
  try {
    entry = await readMemberAt(input.tarball, m.offset ?? -1, (chunk) => {
      hash.update(chunk);
      result.bytes += chunk.length;
      input.onBytes?.(chunk.length);
    }, (e) => {
      const diffs = headerDiffs(m, e);
      if (diffs.length) throw new HeaderMismatch(diffs.join('; '));
    });
  } catch (e) {
    if (isKeyProblem(e)) throw e;
    if (e instanceof HeaderMismatch) return report(m, 'member-damaged', `at byte ${m.offset}: ${e.message}`);
    if (e instanceof TarFormatError) return report(m, 'member-damaged', `no whole member at byte ${m.offset}, where the manifest says it starts: ${e.message}`);
    if (e instanceof AgeDamagedError) return report(m, 'member-damaged', `at byte ${m.offset}, the encrypted tarball does not decrypt: ${e.message}`);
    if (isStoredDamage(e)) return report(m, 'member-damaged', `at byte ${m.offset}, the compressed tarball does not inflate: ${e.message}`);
    return report(m, 'member-unreadable', `cannot be read at byte ${m.offset}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const actual = hash.digest('hex');
  if (actual !== m.sha256) report(m, 'member-damaged', `content does not match its SHA-256 (member at byte ${entry.offset})`, { expected: m.sha256, actual });
}

/** What of a member's header differs from its manifest line (as the deep walk compares them). */
function headerDiffs(m: ManifestEntry, e: TarEntry): string[] {
  const diffs: string[] = [];
  if (e.path !== m.path) diffs.push(`the member there is ${JSON.stringify(e.path)}`);
  const wrongType = typeDisagreement(m.type, e.type);
  if (wrongType) diffs.push(wrongType);
  if (e.size !== m.size) diffs.push(`size is ${e.size}, manifest says ${m.size}`);
  if (e.mode !== m.mode) diffs.push(`mode is ${e.mode.toString(8)}, manifest says ${m.mode.toString(8)}`);
  if (e.mtime !== m.mtime) diffs.push(`mtime is ${e.mtime}, manifest says ${m.mtime}`);
  if (e.uid !== m.uid || e.gid !== m.gid) diffs.push(`owner is ${e.uid}:${e.gid}, manifest says ${m.uid}:${m.gid}`);
  return diffs;
}

/** A delta'd file drawn: rebuilt from its base and every link's blocks, then against its SHA-256. */
async function checkDeltaFile(input: SampleInput, m: ManifestEntry, result: SampleResult, report: Report): Promise<void> {
  const problem = await rebuildProblem(m, input.self ?? '', async (id) => (id === input.self ? input.tarball : input.partsOf?.(id)), (n) => {
    result.bytes += n;
    input.onBytes?.(n);
  });
  if (problem) report(m, problem.code, problem.message, problem.mismatch ? { expected: m.sha256! } : {});
}
