// Turns a plain format 2 snapshot folder, written by the real CLI, into an encrypted one exactly
// as docs/FORMAT.md "Encrypted drives (age)" lays it out, so that the readers can be tested
// before (and independently of) the writer: every file but RESTORE.txt, snapshot.json and
// SHA256SUMS becomes `<name>.age`; the tarball (its parts joined) is ONE age file, split again at
// the same part size; snapshot.json.age holds the whole snapshot.json (with its encryption
// field); the plain snapshot.json keeps only what an outsider may see; SHA256SUMS covers the
// files as stored. Snapshots are encrypted oldest first: each one's `previous.sha256sums` (the
// drive's hash chain) is given the SHA-256 of its predecessor's new SHA256SUMS.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, type AgeKeyPair } from '../../src/crypto/age-keys.js';
import { partName, SNAPSHOT_JSON, SUMS_FILE, tarballFiles, tarballName } from '../../src/layout/format.js';
import { formatSumLine, parseSumFile } from '../../src/layout/sha256sums.js';
import { encrypt } from '../crypto/age-helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Sealed besides the tarball, when present. */
const SEALED = ['MANIFEST.tsv.gz', 'FILES.sha256.gz', 'REMOVE.nul', 'BLOCKS'];

export const newKey = (): Promise<AgeKeyPair> => generateKeyPair();

/**
 * Encrypts snapshot folder `dir` (id `id`) in place to `recipients` (`age1…`); `previousSums`: the
 * SHA-256 of the previous snapshot's SHA256SUMS as it now is. Returns that of this one's.
 */
export async function encryptSnapshot(dir: string, id: string, recipients: string[], previousSums?: string): Promise<string> {
  const to = recipients.map((recipient) => ({ kind: 'key' as const, recipient }));
  const listed = parseSumFile(await readFile(join(dir, SUMS_FILE), 'utf8')).map((l) => l.name);
  const meta = JSON.parse(await readFile(join(dir, SNAPSHOT_JSON), 'utf8'));
  const plainParts = tarballFiles(id, listed);
  const tar = Buffer.concat(await Promise.all(plainParts.map((n) => readFile(join(dir, n)))));
  const sealedTar = await encrypt(tar, to, [100_000, 7, 65536]);
  const partSize = plainParts.length > 1 ? (await readFile(join(dir, plainParts[0]!))).length : undefined;
  const stored: { name: string; data: Buffer }[] = [];
  if (partSize === undefined) stored.push({ name: tarballName(id, true), data: sealedTar });
  else for (let i = 0, at = 0; at < sealedTar.length; i++, at += partSize) stored.push({ name: partName(id, i, true), data: sealedTar.subarray(at, at + partSize) });
  for (const n of plainParts) await rm(join(dir, n));
  for (const s of stored) await writeFile(join(dir, s.name), s.data);
  meta.tarball = { name: tarballName(id, true), size: sealedTar.length, sha256: sha(sealedTar),
    ...(partSize !== undefined ? { parts: stored.map((s) => ({ name: s.name, size: s.data.length, sha256: sha(s.data) })) } : {}) };
  meta.bytes.tarball = sealedTar.length;
  meta.encryption = { scheme: 'age', recipients };
  if (meta.previous && previousSums) meta.previous.sha256sums = previousSums;
  const sums: string[] = stored.map((s) => s.name);
  for (const name of SEALED.filter((n) => listed.includes(n))) {
    await writeFile(join(dir, `${name}.age`), await encrypt(await readFile(join(dir, name)), to));
    await rm(join(dir, name));
    sums.push(`${name}.age`);
  }
  await writeFile(join(dir, `${SNAPSHOT_JSON}.age`), await encrypt(Buffer.from(JSON.stringify(meta, null, 2) + '\n'), to));
  const outside = { ...meta, host: '', sources: [], excludes: [], problems: [], ...(meta.gate ? { gate: { ...meta.gate, reasons: [] } } : {}) };
  await writeFile(join(dir, SNAPSHOT_JSON), JSON.stringify(outside, null, 2) + '\n');
  sums.push(`${SNAPSHOT_JSON}.age`, 'RESTORE.txt', SNAPSHOT_JSON);
  const lines = await Promise.all(sums.map(async (name) => formatSumLine({ name, sha256: sha(await readFile(join(dir, name))) })));
  await writeFile(join(dir, SUMS_FILE), lines.join(''));
  const left = (await readdir(dir)).filter((n) => n !== SUMS_FILE && !sums.includes(n));
  if (left.length) throw new Error(`encryptSnapshot: ${left.join(', ')} left unencrypted`);
  return sha(Buffer.from(lines.join('')));
}
