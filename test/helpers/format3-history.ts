// A format 3 history for the browser page's tests (test/e2e/verify-html-format3.test.ts): snapshot
// folders written by the real CLI as format 2 (full, increments, a delta'd file) turned into
// format 3 as docs/FORMAT.md "Format 3" lays it out. Needed because on this branch the CLI
// writes a format 3 full but not yet an increment (the chain's readers come with the reader
// branch); the real writer's full is tested as it comes, this gives the page whole chains.
// The tar (its parts joined) goes through the project's block-gzip writer (src/io/gzip-blocks.ts,
// blocks cut at member ends: helpers/gzip-tar.ts), stored as `<ID>.tar.gz` or its parts, with its
// index `<ID>.tar.gz.idx`; snapshot.json says format 3 with `tarball.gzip`; SHA256SUMS lists the
// stored files and the index instead of the tar; oldest first, so that each `previous.sha256sums`
// (the drive's hash chain) is its predecessor's new one.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GzipBlockIndex } from '../../src/io/gzip-blocks.js';
import { gzipIndexName, partName, SNAPSHOT_JSON, SUMS_FILE, tarballFiles, tarballName } from '../../src/layout/format.js';
import { formatGzipIndex } from '../../src/layout/gzip-index.js';
import { formatSumLine, parseSumFile } from '../../src/layout/sha256sums.js';
import { gzipTar } from './gzip-tar.js';

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface Format3Snapshot {
  /** The tar the `.tar.gz` holds, and its index (what a test damages one block of). */
  tar: Buffer;
  index: GzipBlockIndex;
  /** The stored files' names, in order. */
  stored: string[];
}

/** Converts the drive's snapshots `ids` (oldest first) in `airgapDir` in place; `target`: block size, `partSize`: split the `.tar.gz`. */
export async function toFormat3(airgapDir: string, ids: string[], opts: { target: number; partSize?: number }): Promise<Map<string, Format3Snapshot>> {
  const out = new Map<string, Format3Snapshot>();
  let previousSums: string | undefined;
  for (const id of ids) {
    const dir = join(airgapDir, id);
    const listed = parseSumFile(await readFile(join(dir, SUMS_FILE), 'utf8')).map((l) => l.name);
    const meta = JSON.parse(await readFile(join(dir, SNAPSHOT_JSON), 'utf8'));
    if (meta.formatVersion !== 2) throw new Error(`toFormat3: ${id} is format ${meta.formatVersion}, not 2`);
    const tarParts = tarballFiles(id, listed);
    const tar = Buffer.concat(await Promise.all(tarParts.map((n) => readFile(join(dir, n)))));
    const { gz, index } = await gzipTar(tar, { target: opts.target });
    const stored: { name: string; data: Buffer }[] = [];
    if (opts.partSize === undefined) stored.push({ name: tarballName(id, false, true), data: gz });
    else for (let i = 0, at = 0; at < gz.length; i++, at += opts.partSize) stored.push({ name: partName(id, i, false, true), data: gz.subarray(at, at + opts.partSize) });
    for (const n of tarParts) await rm(join(dir, n));
    for (const s of stored) await writeFile(join(dir, s.name), s.data);
    const indexName = gzipIndexName(id);
    await writeFile(join(dir, indexName), formatGzipIndex(index));
    meta.formatVersion = 3;
    meta.tarball = {
      name: tarballName(id, false, true), size: gz.length, sha256: sha256Hex(gz),
      ...(stored.length > 1 ? { parts: stored.map((s) => ({ name: s.name, size: s.data.length, sha256: sha256Hex(s.data) })) } : {}),
      gzip: { tarSize: tar.length, index: indexName },
    };
    meta.bytes.tarball = gz.length;
    if (meta.previous && previousSums) meta.previous.sha256sums = previousSums;
    await writeFile(join(dir, SNAPSHOT_JSON), JSON.stringify(meta, null, 2) + '\n');
    const names = listed.flatMap((n) => (!tarParts.includes(n) ? [n] : n === tarParts[0] ? [...stored.map((s) => s.name), indexName] : []));
    const sums = (await Promise.all(names.map(async (name) => formatSumLine({ name, sha256: sha256Hex(await readFile(join(dir, name))) })))).join('');
    await writeFile(join(dir, SUMS_FILE), sums);
    previousSums = sha256Hex(sums);
    out.set(id, { tar, index, stored: stored.map((s) => s.name) });
  }
  return out;
}

/** Rewrites SHA256SUMS of snapshot `dir` so that `name` matches its bytes again, as a forger would. */
export async function relist(dir: string, name: string): Promise<void> {
  const lines = parseSumFile(await readFile(join(dir, SUMS_FILE), 'utf8'));
  const data = await readFile(join(dir, name));
  await writeFile(join(dir, SUMS_FILE), lines.map((l) => formatSumLine(l.name === name ? { name, sha256: sha256Hex(data) } : l)).join(''));
}
