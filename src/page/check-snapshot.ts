// One snapshot folder checked the way `airgap verify` checks it without --deep
// (src/verify/verify-snapshot.ts): every file SHA256SUMS lists, by its SHA-256; what SHA256SUMS
// must list (the tarball or its parts, the lists, snapshot.json); snapshot.json by the CLI's own
// rules (layout/snapshot-meta-parse.ts). The same parsers as the CLI: layout/sha256sums.ts and
// layout/format.ts. Nothing is OK unless it was read and matched: a listed file that is not
// there is MISSING by name, one that cannot be read is DAMAGED. Format 3 (docs/FORMAT.md "Format
// 3"): SHA256SUMS lists `<ID>.tar.gz` (or its parts) and the index `<ID>.tar.gz.idx`, which must be
// listed and, as `airgap verify` does, parse as an index of exactly this tarball.
import { parseSumFile, type SumLine } from '../layout/sha256sums.js';
import { parseSnapshotMetaText } from '../layout/snapshot-meta-parse.js';
import {
  fileSumsFileOf, gzipIndexName, isCompressedFormat, MANIFEST_FILE_GZ, manifestFileOf, MAX_SNAPSHOT_JSON_BYTES, MAX_SUMS_BYTES, partName, sealedName, SNAPSHOT_JSON, SUMS_FILE,
  tarballFiles, tarballName, type SnapshotMeta,
} from '../layout/format.js';
import { readIndex } from './gzip-tarball.js';
import type { SnapshotFiles } from './drive-tree.js';

export type FileVerdict = 'OK' | 'DAMAGED' | 'MISSING';
/** UNCHECKED (deep mode only): no damage found, but files the page cannot check (deep-walk.ts): never OK. */
export type SnapshotVerdict = 'OK' | 'UNCHECKED' | 'DAMAGED' | 'INCOMPLETE';

export interface FileResult {
  name: string;
  verdict: FileVerdict;
  why?: string;
}

export interface SnapshotResult {
  id: string;
  verdict: SnapshotVerdict;
  files: FileResult[];
  /** Damage that is not one file's (what SHA256SUMS fails to list, snapshot.json, the chain). */
  problems: string[];
  warnings: string[];
  encrypted: boolean;
  /** Format 3: SHA256SUMS lists the tarball block-gzipped (`<ID>.tar.gz` or its parts). */
  compressed: boolean;
  /** SHA-256 of SHA256SUMS as found (the next snapshot's link to this one). */
  sumsSha256?: string;
  meta?: SnapshotMeta;
}

/** How the page reads a picked file: whole (small, capped), or hashed in pieces. */
export interface FileReader<F> {
  size(f: F): number;
  bytes(f: F): Promise<Uint8Array>;
  /** `tap` sees every piece as it is hashed (deep mode walks the tarball in the same read). */
  sha256(f: F, tap?: (piece: Uint8Array) => Promise<void>): Promise<string>;
  sha256OfBytes(b: Uint8Array): string;
}

/** The bytes this snapshot's check will read: for the progress bar. */
export function bytesToRead<F>(s: SnapshotFiles<F>, read: FileReader<F>): number {
  let n = 0;
  for (const f of s.files.values()) n += read.size(f);
  return n;
}

/**
 * Deep mode's hook: before the tarball's files are hashed, `start` is given their names in part
 * order (as layout/format.ts tarballFiles orders them) and returns a tap per name, or undefined
 * (no walk). The parts are then hashed in that order, so that the walk sees one stream.
 */
export interface TarballTap {
  start(names: string[], listed: Map<string, string>, encrypted: boolean, compressed: boolean): Promise<Map<string, (piece: Uint8Array) => Promise<void>> | undefined>;
}

export async function checkSnapshot<F>(s: SnapshotFiles<F>, read: FileReader<F>, deep?: TarballTap): Promise<SnapshotResult> {
  const r: SnapshotResult = { id: s.id, verdict: 'OK', files: [], problems: [], warnings: [], encrypted: false, compressed: false };
  const sumsFile = s.files.get(SUMS_FILE);
  if (sumsFile === undefined) {
    r.problems.push(`no ${SUMS_FILE}: the snapshot was never completed (interrupted write or partial copy); do not trust it`);
    r.verdict = 'INCOMPLETE';
    return r;
  }
  const lines = await readSums(sumsFile, read, r);
  if (!lines) return done(r);
  const listed = new Map(lines.map((l) => [l.name, l.sha256]));
  r.encrypted = listed.has(sealedName(MANIFEST_FILE_GZ, true)); // as verify/sealed-snapshot.ts isSealed
  r.compressed = tarballFiles(s.id, listed.keys(), r.encrypted, true).length > 0; // as verify's isCompressedListing
  checkCoverage(s.id, listed, r);
  for (const name of s.files.keys()) {
    if (name !== SUMS_FILE && !listed.has(name)) r.warnings.push(`${name} is not covered by ${SUMS_FILE} (added after the backup?)`);
  }
  const tarNames = tarballFiles(s.id, listed.keys(), r.encrypted, r.compressed);
  const taps = await deep?.start(tarNames, listed, r.encrypted, r.compressed);
  // The tarball's files in part order, the others as SHA256SUMS lists them; shown in its order.
  const order = [...lines.filter((l) => !tarNames.includes(l.name)), ...tarNames.map((n) => ({ name: n, sha256: listed.get(n)! }))];
  const byName = new Map<string, FileResult>();
  for (const { name, sha256 } of order) byName.set(name, await checkFile(name, sha256, s.files.get(name), read, taps?.get(name)));
  for (const { name } of lines) r.files.push(byName.get(name)!);
  const metaFile = s.files.get(SNAPSHOT_JSON);
  if (metaFile !== undefined && r.files.find((f) => f.name === SNAPSHOT_JSON)?.verdict === 'OK') await readMeta(s.id, metaFile, read, r);
  if (r.compressed && !r.encrypted) await checkIndex(s, tarNames, read, listed, r);
  return done(r);
}

const done = (r: SnapshotResult): SnapshotResult => {
  if (r.problems.length > 0 || r.files.some((f) => f.verdict !== 'OK')) r.verdict = 'DAMAGED';
  return r;
};

async function readSums<F>(f: F, read: FileReader<F>, r: SnapshotResult): Promise<SumLine[] | undefined> {
  if (read.size(f) > MAX_SUMS_BYTES) {
    r.problems.push(`${SUMS_FILE} is ${read.size(f)} bytes, more than a snapshot's ${SUMS_FILE} can be (${MAX_SUMS_BYTES}): damaged or not airgap's`);
    return undefined;
  }
  try {
    const raw = await read.bytes(f);
    r.sumsSha256 = read.sha256OfBytes(raw);
    return parseSumFile(new TextDecoder().decode(raw));
  } catch (e) {
    r.problems.push(`${SUMS_FILE} is unreadable or malformed: ${(e as Error).message}`);
    return undefined;
  }
}

/** SHA256SUMS must cover the tarball (or every part, without a gap) and the snapshot's lists: what it leaves out is not protected. */
function checkCoverage(id: string, listed: Map<string, string>, r: SnapshotResult): void {
  const sealed = r.encrypted;
  const gz = r.compressed;
  const tarNames = tarballFiles(id, listed.keys(), sealed, gz);
  if (tarNames.length === 0) r.problems.push(`${SUMS_FILE} does not list ${tarballName(id, sealed)} (or its parts)`);
  const gap = tarNames.length > 1 ? tarNames.findIndex((n, i) => n !== partName(id, i, sealed, gz)) : -1;
  if (gap >= 0) r.problems.push(`${SUMS_FILE} lists the tarball's parts with a gap: ${partName(id, gap, sealed, gz)} is not listed`);
  const lists = listed.has(MANIFEST_FILE_GZ) || sealed ? 2 : 1;
  // Format 3: the index that places tar offsets in the `.tar.gz` (a forged one could place them anywhere).
  const index = gz ? [gzipIndexName(id, sealed)] : [];
  for (const required of [manifestFileOf(lists, sealed), fileSumsFileOf(lists, sealed), SNAPSHOT_JSON, ...index, ...(sealed ? [sealedName(SNAPSHOT_JSON, true)] : [])]) {
    if (!listed.has(required)) r.problems.push(`${SUMS_FILE} does not list ${required}`);
  }
}

async function checkFile<F>(name: string, expected: string, f: F | undefined, read: FileReader<F>, tap?: (piece: Uint8Array) => Promise<void>): Promise<FileResult> {
  if (f === undefined) return { name, verdict: 'MISSING', why: `listed in ${SUMS_FILE} but not in the folder` };
  try {
    const got = await read.sha256(f, tap);
    return got === expected ? { name, verdict: 'OK' } : { name, verdict: 'DAMAGED', why: `SHA-256 is ${got}, ${SUMS_FILE} says ${expected}` };
  } catch (e) {
    return { name, verdict: 'DAMAGED', why: `could not be read: ${(e as Error).message}` };
  }
}

/** snapshot.json by the CLI's rules; its links to other snapshots are judged by check-chain.ts. */
async function readMeta<F>(id: string, f: F, read: FileReader<F>, r: SnapshotResult): Promise<void> {
  if (read.size(f) > MAX_SNAPSHOT_JSON_BYTES) {
    r.problems.push(`${SNAPSHOT_JSON} is larger than ${MAX_SNAPSHOT_JSON_BYTES} bytes`);
    return;
  }
  const { meta, problems } = parseSnapshotMetaText(new TextDecoder().decode(await read.bytes(f)), id);
  for (const p of problems) r.problems.push(p.message);
  if (meta) r.meta = meta;
  if (meta && (meta.encryption !== undefined) !== r.encrypted) {
    r.problems.push(`${SNAPSHOT_JSON} says the snapshot is ${meta.encryption ? '' : 'not '}encrypted, but ${SUMS_FILE} lists ${r.encrypted ? 'encrypted' : 'plain'} files`);
  }
  if (meta && isCompressedFormat(meta.formatVersion) !== r.compressed) {
    r.problems.push(`${SNAPSHOT_JSON} says snapshot format ${meta.formatVersion}, but ${SUMS_FILE} lists ${r.compressed ? 'a compressed' : 'an uncompressed'} tarball`);
  }
  const indexName = gzipIndexName(id, r.encrypted);
  if (meta?.tarball.gzip && meta.tarball.gzip.index !== indexName) {
    r.problems.push(`${SNAPSHOT_JSON} names the tarball's index ${JSON.stringify(meta.tarball.gzip.index)}, not ${indexName}`);
  }
}

/**
 * Format 3, plain: an index that matches SHA256SUMS must still be an index of exactly this
 * tarball (its real size, snapshot.json's tar size), as verify/gzip-index-check.ts checks it.
 * An index not listed, missing or not matching is named by the checks above already.
 */
async function checkIndex<F>(s: SnapshotFiles<F>, tarNames: string[], read: FileReader<F>, listed: Map<string, string>, r: SnapshotResult): Promise<void> {
  const name = gzipIndexName(s.id);
  if (r.files.find((f) => f.name === name)?.verdict !== 'OK') return;
  const parts = tarNames.map((n) => s.files.get(n));
  if (parts.length === 0 || parts.some((p) => p === undefined)) return; // the tarball's own damage says enough
  const storedSize = parts.reduce((n, p) => n + read.size(p!), 0);
  const file = s.files.get(name)!;
  const got = await readIndex(name, { size: read.size(file), bytes: () => read.bytes(file) }, listed.get(name), storedSize, r.meta?.tarball.gzip?.tarSize);
  if ('why' in got) r.problems.push(got.why);
}
