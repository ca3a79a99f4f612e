// Verifies one snapshot folder. Plain: every file against SHA256SUMS (what `sha256sum -c`
// does) plus the consistency of snapshot.json. Deep: also every member of the tarball against
// MANIFEST.tsv, in the same single read of the tarball.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FILE_SUMS_FILE, FORMAT_VERSION, MANIFEST_FILE, SNAPSHOT_JSON, snapshotMetaSchema, SUMS_FILE, tarballName, type SnapshotMeta,
} from '../core/format.js';
import { parseSumFile, type SumLine } from '../core/sha256sums.js';
import type { SnapshotFolder } from '../snapshot/drive-contents.js';
import { DeepCheck } from './deep-check.js';
import { damaged, type Finding, type SnapshotReport } from '../core/findings.js';
import { readChunks } from './read-chunks.js';
import { sha256Hex } from '../io/sha256.js';

export interface VerifyOptions {
  deep: boolean;
  onBytes?: (n: number) => void;
}

export interface VerifiedSnapshot extends SnapshotReport {
  meta?: SnapshotMeta;
  /** SHA-256 of the SHA256SUMS file, for the hash chain. */
  sumsSha256?: string;
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

  let sums: SumLine[];
  try {
    const raw = await readFile(join(folder.dir, SUMS_FILE));
    report.sumsSha256 = sha256Hex(raw);
    sums = parseSumFile(raw.toString('utf8'));
  } catch (e) {
    damage('sums-invalid', `${SUMS_FILE} is unreadable or malformed: ${(e as Error).message}`, { file: SUMS_FILE });
    report.status = 'damaged';
    return report;
  }
  const listed = new Map(sums.map((s) => [s.name, s.sha256]));
  const tarName = tarballName(folder.id);
  for (const required of [tarName, MANIFEST_FILE, FILE_SUMS_FILE, SNAPSHOT_JSON]) {
    if (!listed.has(required)) damage('not-covered', `${SUMS_FILE} does not list ${required}`, { file: required });
  }
  const present = new Set(await readdir(folder.dir));
  for (const name of present) {
    if (name !== SUMS_FILE && !listed.has(name)) {
      findings.push({ severity: 'warning', code: 'unlisted-file', file: name, message: `${name} is not covered by ${SUMS_FILE} (added after the backup?)` });
    }
  }

  // Small files first: snapshot.json tells the tarball's expected size.
  for (const [name, expected] of listed) {
    if (name === tarName) continue;
    if (!present.has(name)) {
      damage('missing-file', `${name} is missing`, { file: name });
      continue;
    }
    try {
      const data = await readFile(join(folder.dir, name));
      const actual = sha256Hex(data);
      if (actual !== expected) damage('checksum-mismatch', `${name} does not match its SHA-256 (damaged or edited)`, { file: name, expected, actual });
      if (name === SNAPSHOT_JSON) report.meta = parseMeta(data, folder.id, findings);
    } catch (e) {
      damage('unreadable', `${name} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: name });
    }
  }
  const meta = report.meta;
  if (meta) {
    report.files = meta.counts.files;
    report.bytes = meta.bytes.content;
    if (listed.has(tarName) && meta.tarball.sha256 !== listed.get(tarName)) {
      damage('meta-mismatch', `${SNAPSHOT_JSON} and ${SUMS_FILE} disagree on the tarball's SHA-256`, { file: SNAPSHOT_JSON });
    }
  }

  const expectedTar = listed.get(tarName);
  if (expectedTar && present.has(tarName)) {
    await checkTarball(folder, tarName, expectedTar, meta, opts, report, damage);
  } else if (expectedTar) {
    damage('missing-file', `the tarball ${tarName} is missing`, { file: tarName });
  }
  report.status = damaged(findings) ? 'damaged' : 'ok';
  return report;
}

async function checkTarball(
  folder: SnapshotFolder, tarName: string, expected: string, meta: SnapshotMeta | undefined,
  opts: VerifyOptions, report: VerifiedSnapshot, damage: (code: string, message: string, extra?: Partial<Finding>) => void,
): Promise<void> {
  const path = join(folder.dir, tarName);
  const size = (await stat(path)).size;
  const sizeWrong = meta !== undefined && size !== meta.tarball.size;
  if (sizeWrong) {
    damage('size-mismatch', `${tarName} is ${size} bytes, expected ${meta!.tarball.size} (${size < meta!.tarball.size ? 'truncated' : 'extra bytes'})`,
      { file: tarName, expected: String(meta!.tarball.size), actual: String(size) });
    if (!opts.deep) return; // the hash cannot match; deep mode still names the damaged members
  }
  const hash = createHash('sha256');
  const deep = opts.deep ? new DeepCheck(join(folder.dir, MANIFEST_FILE), report.findings) : undefined;
  try {
    await readChunks(path, async (chunk) => {
      hash.update(chunk);
      report.bytesRead += chunk.length;
      opts.onBytes?.(chunk.length);
      if (deep) await deep.feed(chunk);
    });
  } catch (e) {
    damage('unreadable', `${tarName} cannot be read after ${report.bytesRead} bytes: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: tarName });
    return;
  }
  if (deep) {
    await deep.finish();
    report.membersChecked = deep.checked;
  }
  const actual = hash.digest('hex');
  if (actual !== expected && !sizeWrong) {
    damage('checksum-mismatch', `${tarName} does not match its SHA-256 (damaged)${opts.deep ? '' : '; run verify --deep to name the damaged files'}`,
      { file: tarName, expected, actual });
  }
}

function parseMeta(data: Buffer, folderId: string, findings: Finding[]): SnapshotMeta | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    findings.push({ severity: 'damage', code: 'meta-invalid', file: SNAPSHOT_JSON, message: `${SNAPSHOT_JSON} is not valid JSON` });
    return undefined;
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    findings.push({ severity: 'damage', code: 'format-too-new', file: SNAPSHOT_JSON, message: `${SNAPSHOT_JSON} is format version ${version}; this airgap reads up to ${FORMAT_VERSION}: upgrade airgap (or verify with sha256sum -c SHA256SUMS)` });
    return undefined;
  }
  const r = snapshotMetaSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    findings.push({ severity: 'damage', code: 'meta-invalid', file: SNAPSHOT_JSON, message: `${SNAPSHOT_JSON} is invalid: ${i.path.join('.') || '(root)'}: ${i.message}` });
    return undefined;
  }
  if (r.data.id !== folderId) {
    findings.push({ severity: 'damage', code: 'meta-mismatch', file: SNAPSHOT_JSON, message: `${SNAPSHOT_JSON} says it is snapshot ${r.data.id}, but its folder is ${folderId} (renamed?)` });
  }
  return r.data;
}

