// Turns a plain format 2 snapshot folder, written by the real CLI, into a format 3 one as
// docs/FORMAT.md "Format 3" lays it out, so that the readers can be tested before (and
// independently of) the writer: the tar (its parts joined) is run through the block-gzip writer
// (src/io/gzip-blocks.ts, a block cut at member ends found by the tar reader: helpers/gzip-tar.ts),
// stored as `<ID>.tar.gz` (or split again into `<ID>.tar.gz.000`…, at the same part size or
// at `partSize`), its index written as `<ID>.tar.gz.idx`; snapshot.json says format 3 and
// describes the stored file(s), with `tarball.gzip = { tarSize, index }`; SHA256SUMS lists the
// stored files and the index instead of the tar. Snapshots are converted oldest first: each
// one's `previous.sha256sums` (the drive's hash chain) is given its predecessor's new SHA-256.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GzipBlockIndex } from '../../src/io/gzip-blocks.js';
import { gzipIndexName, partName, SNAPSHOT_JSON, SUMS_FILE, tarballFiles, tarballName } from '../../src/layout/format.js';
import { formatGzipIndex } from '../../src/layout/gzip-index.js';
import { formatSumLine, parseSumFile } from '../../src/layout/sha256sums.js';
import { gzipTar } from './gzip-tar.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface CompressOptions {
  /** The writer's block target (small in tests, so that a snapshot has many blocks). */
  target?: number;
  /** Split the `.tar.gz` into parts of this size (default: the parts' size of the tar, if split). */
  partSize?: number;
  /** The SHA-256 of the previous snapshot's SHA256SUMS as it now is (the hash chain). */
  previousSums?: string;
}

export interface Compressed {
  /** The SHA-256 of this snapshot's new SHA256SUMS. */
  sums: string;
  /** The index as written, and the tar it compresses (for tests that damage one block). */
  index: GzipBlockIndex;
  tar: Buffer;
  /** The stored files' names in order. */
  stored: string[];
}

/** Converts snapshot folder `dir` (id `id`) in place from format 2 to format 3. */
export async function compressSnapshot(dir: string, id: string, opts: CompressOptions = {}): Promise<Compressed> {
  const sumLines = parseSumFile(await readFile(join(dir, SUMS_FILE), 'utf8'));
  const listed = sumLines.map((l) => l.name);
  const meta = JSON.parse(await readFile(join(dir, SNAPSHOT_JSON), 'utf8'));
  if (meta.formatVersion !== 2) throw new Error(`compressSnapshot: ${id} is format ${meta.formatVersion}, not 2`);
  const tarParts = tarballFiles(id, listed);
  const tar = Buffer.concat(await Promise.all(tarParts.map((n) => readFile(join(dir, n)))));
  const { gz, index } = await gzipTar(tar, { target: opts.target ?? 64 * 1024 }, 50_000);
  const partSize = opts.partSize ?? (tarParts.length > 1 ? (await readFile(join(dir, tarParts[0]!))).length : undefined);
  const stored: { name: string; data: Buffer }[] = [];
  // Parts only when the stream is longer than one (as the writer splits).
  if (partSize === undefined || gz.length <= partSize) stored.push({ name: tarballName(id, false, true), data: gz });
  else for (let i = 0, at = 0; at < gz.length; i++, at += partSize) stored.push({ name: partName(id, i, false, true), data: gz.subarray(at, at + partSize) });
  for (const n of tarParts) await rm(join(dir, n));
  for (const s of stored) await writeFile(join(dir, s.name), s.data);
  const indexName = gzipIndexName(id);
  await writeFile(join(dir, indexName), formatGzipIndex(index));
  meta.formatVersion = 3;
  meta.tarball = {
    name: tarballName(id, false, true), size: gz.length, sha256: sha(gz),
    ...(stored.length > 1 ? { parts: stored.map((s) => ({ name: s.name, size: s.data.length, sha256: sha(s.data) })) } : {}),
    gzip: { tarSize: tar.length, index: indexName },
  };
  meta.bytes.tarball = gz.length;
  if (meta.previous && opts.previousSums) meta.previous.sha256sums = opts.previousSums;
  await writeFile(join(dir, SNAPSHOT_JSON), JSON.stringify(meta, null, 2) + '\n');
  // SHA256SUMS: the stored files (and the index) where the tar's lines were, the rest re-hashed.
  const names: string[] = [];
  for (const n of listed) {
    if (!tarParts.includes(n)) names.push(n);
    else if (n === tarParts[0]) names.push(...stored.map((s) => s.name), indexName);
  }
  const lines = await Promise.all(names.map(async (name) => formatSumLine({ name, sha256: sha(await readFile(join(dir, name))) })));
  await writeFile(join(dir, SUMS_FILE), lines.join(''));
  return { sums: sha(Buffer.from(lines.join(''))), index, tar, stored: stored.map((s) => s.name) };
}

/** Converts a drive's snapshots (ids oldest first) in `airgapDir`, keeping the hash chain. */
export async function compressDrive(airgapDir: string, ids: string[], opts: Omit<CompressOptions, 'previousSums'> = {}): Promise<Map<string, Compressed>> {
  const out = new Map<string, Compressed>();
  let previousSums: string | undefined;
  for (const id of ids) {
    const c = await compressSnapshot(join(airgapDir, id), id, { ...opts, ...(previousSums ? { previousSums } : {}) });
    out.set(id, c);
    previousSums = c.sums;
  }
  return out;
}
