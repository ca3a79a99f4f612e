// Verifies one snapshot folder. Plain: every file against SHA256SUMS (what `sha256sum -c`
// does) plus the consistency of snapshot.json. Deep: also every member of the tarball against
// MANIFEST.tsv, in the same single read of the tarball. Format 2 (docs/FORMAT.md) adds two
// required files, and a manifest whose carried lines are checked against the chain's manifests.
// An encrypted snapshot (docs/FORMAT.md "Encrypted drives") lists its files as stored (`.age`):
// plain verify needs no key; deep and sample decrypt (io/keys.ts) and need one. Format 3 stores
// the tarball block-gzipped (`<ID>.tar.gz`) with its index (`<ID>.tar.gz.idx`): both listed,
// sizes and hashes in the stored space; deep inflates on the way to the walk, sample reads
// members through the index (verify/gzip-walk.ts, layout/tar-gzip.ts).
import { localHasher, openHashThread } from '../io/hash-thread.js';
import { readdir } from 'node:fs/promises';
import { FileTooLargeError, NotRegularFileError, readRegularFile, sha256OfRegularFile } from '../io/read-regular.js';
import { dirname, join } from 'node:path';
import {
  gzipIndexName, isChainedFormat, MANIFEST_FILE_GZ, manifestFileOf, MAX_SNAPSHOT_JSON_BYTES, MAX_SUMS_BYTES, sealedName, SNAPSHOT_JSON, SUMS_FILE, type SnapshotFormat, type SnapshotMeta,
} from '../layout/format.js';
import { parseSnapshotMeta } from '../layout/snapshot-meta.js';
import { isKeyProblem } from '../io/age-feed.js';
import { checkSealedMeta, isSealed, SealedWalk } from './sealed-snapshot.js';
import { checkSizes } from './tarball-sizes.js';
import { gzipWalk } from './gzip-walk.js';
import { checkCoverage, checkMetaAgrees, isEncryptedMeta, listsFormat } from './coverage.js';
import { checkIndex, indexForWalk, isCompressedListing } from './gzip-index-check.js';
import { REMOVE_FILE, RESTORE_FILE } from '../layout/restore-text.js';
import { parseSumFile, type SumLine } from '../layout/sha256sums.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { DeepCheck } from './deep-check.js';
import { sampleSnapshot } from './sample-check.js';
import { siblingContext, type ChainContext } from './chain-check.js';
import type { TarballDamage } from '../core/tarball-damage.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { FileSumsCheck, type Damage } from './file-sums-check.js';
import { damaged, type Finding, type SnapshotReport } from '../core/findings.js';
import { readChunks } from '../io/read-chunks.js';
import { sha256Hex } from '../io/sha256.js';

export interface VerifyOptions {
  deep: boolean;
  /**
   * Check everything but leave the tarball's bytes unread (restore reads and hashes them while
   * extracting, against `tarSums`): sizes and listings are still checked.
   */
  skipTarballRead?: boolean;
  /** `--sample`: the percent, in (0, 100], of a format 2 tarball's own files read at their offsets instead of the whole tarball. */
  sample?: number;
  onBytes?: (n: number) => void;
  /** The drive's other snapshots, for format 2's chains (default: the snapshot folder's siblings). */
  chain?: ChainContext;
}

export interface VerifiedSnapshot extends SnapshotReport {
  meta?: SnapshotMeta;
  /** SHA-256 of the SHA256SUMS file, for the hash chain. */
  sumsSha256?: string;
  /** The tarball's files in order (one, or its parts on FAT drives), as SHA256SUMS lists them. */
  tarFiles?: string[];
  /** Their SHA-256 as SHA256SUMS gives them. */
  tarSums?: string[];
  /** SHA256SUMS lists the snapshot's files encrypted (`.age`): its readers decrypt (also when snapshot.json is damaged: --salvage). */
  encrypted?: boolean;
  /** SHA256SUMS lists the tarball block-gzipped (`<ID>.tar.gz`, format 3): its readers inflate (also with a damaged snapshot.json). */
  compressed?: boolean;
  /** Format 3: the tarball's index is listed, present and matches its SHA-256 (and, when plain, parses): members may be read through it. */
  indexChecked?: boolean;
}

export async function verifySnapshot(folder: SnapshotFolder, opts: VerifyOptions): Promise<VerifiedSnapshot> {
  const findings: Finding[] = [];
  const report: VerifiedSnapshot = { id: folder.id, status: 'ok', deep: opts.deep, findings, bytesRead: 0 };
  const damage = (code: string, message: string, extra: Partial<Finding> = {}) =>
    findings.push({ severity: 'damage', code, message, ...extra });

  if (!folder.complete) {
    damage('incomplete', `no ${SUMS_FILE}: the snapshot was never completed (interrupted write or partial copy); do not trust it`);
    report.status = 'incomplete';
    return report;
  }

  const sums = await readSums(folder.dir, report, damage);
  if (!sums) {
    report.status = 'damaged';
    return report;
  }
  const listed = new Map(sums.map((s) => [s.name, s.sha256]));
  const lists = listsFormat(listed);
  const sealed = isSealed(listed);
  if (sealed) report.encrypted = true;
  const compressed = isCompressedListing(folder.id, listed);
  if (compressed) report.compressed = true;
  const tarNames = checkCoverage(folder.id, listed, lists, compressed, damage);
  report.tarFiles = tarNames.map((n) => join(folder.dir, n));
  report.tarSums = tarNames.map((n) => listed.get(n)!);
  const present = new Set(await readdir(folder.dir));
  for (const name of present) {
    if (name !== SUMS_FILE && !listed.has(name)) {
      findings.push({ severity: 'warning', code: 'unlisted-file', file: name, message: `${name} is not covered by ${SUMS_FILE} (added after the backup?)` });
    }
  }

  // Small files first: snapshot.json tells the tarball's expected size.
  const matched = await checkSmallFiles(folder, listed, tarNames, present, report, damage);
  const meta = report.meta;
  if (meta) {
    report.files = meta.counts.files;
    report.bytes = meta.bytes.content;
    checkMetaAgrees(meta, folder.id, tarNames, listed, compressed, damage);
    if (isEncryptedMeta(meta) !== sealed) {
      damage('meta-mismatch', `${SNAPSHOT_JSON} says the snapshot is ${isEncryptedMeta(meta) ? '' : 'not '}encrypted, but ${SUMS_FILE} lists ${sealed ? 'encrypted' : 'plain'} files`, { file: SNAPSHOT_JSON });
    }
    // Format 2: restoring with stock tools needs these two as well (RESTORE.txt says how).
    if (isChainedFormat(meta.formatVersion) !== (lists === 2)) {
      damage('meta-mismatch', `${SNAPSHOT_JSON} says snapshot format ${meta.formatVersion}, but ${SUMS_FILE} lists ${lists === 2 ? 'format 2 or 3' : 'format 1'}'s ${manifestFileOf(lists)}`, { file: SNAPSHOT_JSON });
    }
    if (isChainedFormat(meta.formatVersion)) {
      for (const required of [sealedName(REMOVE_FILE, sealed), RESTORE_FILE]) {
        if (!listed.has(required)) damage('not-covered', `${SUMS_FILE} does not list ${required}`, { file: required });
      }
    }
  }

  if (compressed) report.indexChecked = await checkIndex(folder, tarNames, present, matched, meta, sealed, damage);
  const absent = tarNames.filter((n) => !present.has(n));
  for (const n of absent) damage('missing-file', `the tarball ${tarNames.length > 1 ? 'part ' : ''}${n} is missing`, { file: n });
  const tarDamage = tarNames.length && absent.length === 0 ? await checkTarball(folder, tarNames, listed, meta, opts, report, damage, matched.has(manifestFileOf(lists, sealed))) : ALL_DAMAGED;
  if (opts.deep && sealed && meta) await checkSealedMeta(folder, meta, damage);
  if (tarDamage) opts.chain?.onTarballDamage?.(folder.id, tarDamage);
  report.status = damaged(findings) ? 'damaged' : 'ok';
  return report;
}

/** SHA256SUMS, parsed; its own hash goes into the report (the hash chain). Undefined if unusable. */
async function readSums(dir: string, report: VerifiedSnapshot, damage: Damage): Promise<SumLine[] | undefined> {
  try {
    const raw = await readRegularFile(join(dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES });
    report.sumsSha256 = sha256Hex(raw);
    return parseSumFile(raw.toString('utf8'));
  } catch (e) {
    damage('sums-invalid', e instanceof FileTooLargeError ? tooLarge(SUMS_FILE, e) : `${SUMS_FILE} is unreadable or malformed: ${(e as Error).message}`, { file: SUMS_FILE });
    return undefined;
  }
}

/** Every listed file but the tarball against its SHA-256 (returns those that match); snapshot.json is also parsed into report.meta. */
async function checkSmallFiles(
  folder: SnapshotFolder, listed: Map<string, string>, tarNames: string[], present: Set<string>,
  report: VerifiedSnapshot, damage: Damage,
): Promise<Set<string>> {
  const matched = new Set<string>();
  for (const [name, expected] of listed) {
    if (tarNames.includes(name)) continue;
    if (!present.has(name)) {
      damage('missing-file', `${name} is missing`, { file: name });
      continue;
    }
    try {
      // Only regular files are read: a FIFO planted under a listed name would block forever.
      // snapshot.json is read whole (it is parsed); the manifests, large for many files, stream.
      const data = name === SNAPSHOT_JSON ? await readRegularFile(join(folder.dir, name), { maxBytes: MAX_SNAPSHOT_JSON_BYTES }) : undefined;
      const actual = data ? sha256Hex(data) : await sha256OfRegularFile(join(folder.dir, name));
      if (actual !== expected) damage('checksum-mismatch', `${name} does not match its SHA-256 (damaged or edited)`, { file: name, expected, actual });
      else matched.add(name);
      if (data) report.meta = parseMeta(data, folder.id, report.findings);
    } catch (e) {
      if (e instanceof FileTooLargeError) damage('too-large', tooLarge(name, e), { file: name });
      else if (e instanceof NotRegularFileError) damage('not-a-file', `${name} is not a regular file (it is ${e.what})`, { file: name });
      else damage('unreadable', `${name} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: name, ...errnoOf(e) });
    }
  }
  return matched;
}

/** Whether nothing of the tarball can be trusted: every member counts as damaged. */
const ALL_DAMAGED: TarballDamage = { all: true, paths: new Set() };

/** Checks the tarball; returns what of it is damaged (undefined: nothing, or its bytes were not read). */
async function checkTarball(
  folder: SnapshotFolder, names: string[], listed: Map<string, string>, meta: SnapshotMeta | undefined,
  opts: VerifyOptions, report: VerifiedSnapshot, damage: Damage, manifestOk: boolean,
): Promise<TarballDamage | undefined> {
  const sized = await checkSizes(folder, names, meta, damage);
  if (!sized) return ALL_DAMAGED;
  const { paths, sizes, total, sizeWrong } = sized;
  if (sizeWrong && !opts.deep) return ALL_DAMAGED; // the hash cannot match; deep mode still names the damaged members
  if (opts.skipTarballRead) return undefined;
  if (opts.sample !== undefined && !opts.deep) {
    const sampled = await sampleSnapshot({ manifest: join(folder.dir, manifestFileOf(listsFormat(listed), isSealed(listed))), paths, sizes, meta, manifestOk, percent: opts.sample, report, id: folder.id, dir: folder.dir, ...(report.compressed ? { gzip: report.indexChecked ? { index: join(folder.dir, gzipIndexName(folder.id, isSealed(listed))) } : {} } : {}), ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) });
    if (sampled !== 'whole') return sampled;
  }
  const lists = listsFormat(listed);
  const sealed = isSealed(listed);
  const fileSums = opts.deep ? await FileSumsCheck.open(folder.dir, lists, damage, sealed) : undefined;
  const deep = opts.deep ? await deepCheck(folder, meta, lists, opts, report, fileSums!, sealed) : undefined;
  // Deep, encrypted: the parts are one age file, decrypted on the way to the walk.
  // Deep: the tarball's SHA-256 runs on a second thread (when it is large enough to pay for one)
  // while this one parses the tarball and hashes every member. Plain verify hashes once here.
  // Format 3: the index the walk cuts the stream by (read before the hashing thread opens).
  const walkIndex = deep && report.compressed ? await indexForWalk(folder, paths, sealed, report.indexChecked === true, damage) : undefined;
  const thread = deep ? openHashThread(total) : undefined;
  const hasher = thread?.hasher ?? localHasher;
  // Format 3: inflated after the decryption, before the walk.
  const gz = deep && report.compressed ? gzipWalk((p) => deep.feed(p), damage, names[0]!, walkIndex, meta?.tarball.gzip?.tarSize) : undefined;
  const toWalk = gz ? (p: Buffer) => gz.push(p) : (p: Buffer) => deep!.feed(p);
  const age = deep && sealed ? new SealedWalk(paths, hasher, toWalk, damage, names[0]!) : undefined;
  const walk = deep && (age ? (chunk: Buffer) => age.push(chunk) : toWalk);
  let bad = sizeWrong;
  try {
    for (const [i, name] of names.entries()) {
      const hash = hasher.create();
      const before = report.bytesRead;
      try {
        await readChunks(paths[i]!, async (chunk) => {
          report.bytesRead += chunk.length;
          opts.onBytes?.(chunk.length);
          if (walk) await walk(chunk);
        }, { hasher, hash: age ? age.hashing(hash) : hash });
      } catch (e) {
        if (isKeyProblem(e)) throw e;
        damage('unreadable', `${name} cannot be read after ${report.bytesRead - before} bytes: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: name, ...errnoOf(e) });
        return ALL_DAMAGED;
      }
      const actual = await hash.digest();
      const expected = listed.get(name)!;
      if (actual !== expected) bad = true;
      if (actual !== expected && !sizeWrong) {
        damage('checksum-mismatch', `${name} does not match its SHA-256 (damaged)${opts.deep ? '' : '; run verify --deep to name the damaged files'}`,
          { file: name, expected, actual });
      }
    }
    if (deep) {
      if (age) await age.push(undefined);
      if (age?.failed) bad = true; // bytes as stored, and still no tarball: written wrong, or forged and re-signed
      if (gz && !age?.failed) await gz.push(undefined);
      if (gz?.failed) bad = true; // likewise for a block that does not inflate
      await deep.finish();
      report.membersChecked = deep.checked;
      await fileSums!.finish(!deep.manifestBroken);
      if (meta?.carried && !deep.manifestBroken && deep.carried && deep.carried.count !== meta.carried.files) {
        damage('meta-mismatch', `${SNAPSHOT_JSON} says ${meta.carried.files} file(s) are carried from the chain, ${MANIFEST_FILE_GZ} has ${deep.carried.count}`, { file: SNAPSHOT_JSON });
      }
    }
  } finally {
    gz?.close();
    await thread?.close();
    await fileSums?.finish(false); // closes it when an unreadable tarball ended the walk early
    deep?.carried?.close();
  }
  // Only a tarball that differs from its SHA-256 has damaged content; the walk says which members.
  return !bad ? undefined : deep ? deep.damage() : ALL_DAMAGED;
}

/**
 * The deep walk, told which manifest versions snapshot.json allows (a v2 manifest in a format 1
 * snapshot is damage at line 1; with no usable snapshot.json, either is read) and, for format 2,
 * how to check the files carried from the chain.
 */
async function deepCheck(folder: SnapshotFolder, meta: SnapshotMeta | undefined, lists: SnapshotFormat, opts: VerifyOptions, report: VerifiedSnapshot, fileSums: FileSumsCheck, sealed: boolean): Promise<DeepCheck> {
  const versions = meta ? (isChainedFormat(meta.formatVersion) ? [2] as const : [1] as const) : [1, 2] as const;
  const chain = meta?.formatVersion === 1 ? undefined : opts.chain ?? await siblingContext(dirname(folder.dir));
  const carried = chain && {
    id: folder.id, chain: meta?.chain, dirOf: (id: string) => chain.dirOf(id),
    onCarried: (e: ManifestEntry & { in: string }) => chain.onCarried?.(folder.id, e),
  };
  return new DeepCheck(join(folder.dir, manifestFileOf(lists, sealed)), report.findings, fileSums.next, { versions, ...(carried ? { carried } : {}) });
}

/** The message for a small file past its cap (not read: a forged one could be a gigabyte). */
function tooLarge(name: string, e: FileTooLargeError): string {
  return `${name} is ${e.size} bytes, more than the ${e.maxBytes} a ${name} can be: damaged or forged (not read)`;
}

/** snapshot.json's facts, its problems added to the findings as damage. */
function parseMeta(data: Buffer, folderId: string, findings: Finding[]): SnapshotMeta | undefined {
  const { meta, problems } = parseSnapshotMeta(data, folderId);
  // A newer format is not judged by this airgap's rules: that one finding, and no facts from it.
  const tooNew = problems.find((p) => p.code === 'format-too-new');
  for (const p of tooNew ? [tooNew] : problems) findings.push({ severity: 'damage', code: p.code, file: SNAPSHOT_JSON, message: p.message });
  return tooNew ? undefined : meta;
}


/** The errno of a failed read, kept on its finding (an EIO is the drive's own failure: jobs/verify counts them). */
const errnoOf = (e: unknown): { errno?: string } => (typeof (e as NodeJS.ErrnoException).code === 'string' ? { errno: (e as NodeJS.ErrnoException).code! } : {});
