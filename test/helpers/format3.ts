// What the format 3 writer tests check in every snapshot folder written by the CLI
// (docs/FORMAT.md "Format 3"): the stored `.tar.gz` (or its parts, or its age file) and its index
// agree with each other and with snapshot.json, `gzip -t` takes it, `gzip -dc` of it is exactly as
// long as the tar snapshot.json names, and SHA256SUMS lists and vouches for all of it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { parseGzipIndex } from '../../src/layout/gzip-index.js';
import type { GzipBlockIndex } from '../../src/io/gzip-blocks.js';
import { STOCK_RUNS } from './stock-restore.js';

export interface Format3Meta {
  formatVersion: number;
  kind: string;
  chain: string[];
  delta?: { files: number; bytes: number };
  tarball: { name: string; size: number; sha256: string; parts?: { name: string; size: number }[]; gzip?: { tarSize: number; index: string } };
  encryption?: unknown;
}

/** The stock runs whose tar is not installed here, by label (skipped by name). */
export const missingTar = (label: string): string | undefined => {
  const tool = STOCK_RUNS.find(([l]) => l === label)?.[2]?.split(' ')[0];
  return tool && spawnSync(tool, ['--help'], { stdio: 'ignore' }).error ? tool : undefined;
};

/** `sh -c` with the folder as cwd; its stdout (fails the test on a non-zero exit). */
export const sh = (cmd: string, cwd: string): string => execFileSync('sh', ['-c', cmd], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });

/**
 * Checks a format 3 snapshot folder as stored; returns the index and the tar's bytes (gunzipped
 * by `gzip -dc`, after `age -d` when `keyFile` is given). The tarball is `<ID>.tar.gz` or its
 * parts, sealed as `.age` when encrypted.
 */
export async function checkFormat3Folder(dir: string, id: string, meta: Format3Meta, keyFile?: string): Promise<{ index: GzipBlockIndex; tar: Buffer }> {
  const sealed = keyFile !== undefined;
  const stored = `${id}.tar.gz${sealed ? '.age' : ''}`;
  const indexName = `${id}.tar.gz.idx${sealed ? '.age' : ''}`;
  const names = await readdir(dir);
  expect(meta.formatVersion, id).toBe(3);
  expect(meta.tarball.name).toBe(stored);
  expect(meta.tarball.gzip).toEqual({ tarSize: expect.any(Number), index: indexName });
  expect(names).toContain(indexName);
  if (sealed) expect(names.filter((n) => n === `${id}.tar.gz` || n.startsWith(`${id}.tar.gz.0`) || n === `${id}.tar.gz.idx`), 'plain files beside the sealed ones').toEqual([]);
  expect(names.filter((n) => n.endsWith('.tar') || n.includes('.tar.0') || n.includes('.tar.age'))).toEqual([]);
  const files = meta.tarball.parts ? meta.tarball.parts.map((p) => p.name) : [stored];
  for (const f of files) expect(names).toContain(f);
  if (meta.tarball.parts) expect(files).toEqual(files.map((_, i) => `${stored}.${String(i).padStart(3, '0')}`));
  // The stored bytes: the parts joined.
  const storedBytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
  expect(storedBytes.length).toBe(meta.tarball.size);
  // SHA256SUMS lists every file of the folder but itself, the index included, and each says OK.
  const sums = sh('sha256sum -c SHA256SUMS', dir);
  expect(sums).not.toMatch(/FAILED/);
  for (const n of names.filter((x) => x !== 'SHA256SUMS')) expect(sums, `${id}/${n}`).toContain(`${n}: OK\n`);
  const plain = (name: string): Buffer => (sealed ? execFileSync('age', ['-d', '-i', keyFile, name], { cwd: dir, maxBuffer: 1 << 30 }) : execFileSync('cat', [name], { cwd: dir, maxBuffer: 1 << 30 }));
  const gz = sealed ? execFileSync('sh', ['-c', `cat ${files.map((f) => `'${f}'`).join(' ')} | age -d -i '${keyFile}'`], { cwd: dir, maxBuffer: 1 << 30 }) : storedBytes;
  // gzip -t: every member whole; gzip -dc: the tar, exactly tarSize long.
  expect(spawnSync('gzip', ['-t'], { input: gz }).status, `${id}: gzip -t`).toBe(0);
  const tar = execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 30 });
  expect(tar.length).toBe(meta.tarball.gzip!.tarSize);
  expect(gunzipSync(gz).equals(tar)).toBe(true);
  // The index: parsed strictly against the .tar.gz's real size, ending where the tar ends.
  const index = parseGzipIndex(plain(indexName).toString('utf8'), gz.length);
  expect(index.uncompressedSize).toBe(meta.tarball.gzip!.tarSize);
  expect(index.compressedSize).toBe(gz.length);
  // Each block is one whole gzip member: inflated alone, it is the tar's bytes at its offset.
  for (const [k, b] of index.blocks.entries()) {
    const end = index.blocks[k + 1]?.uncompressedOffset ?? index.uncompressedSize;
    const member = gunzipSync(gz.subarray(b.compressedOffset, b.compressedOffset + b.compressedLength));
    expect(member.equals(tar.subarray(b.uncompressedOffset, end)), `${id}: block ${k}`).toBe(true);
  }
  return { index, tar };
}

/** Whether a tar header starts at `offset` of the tar (a pax or ustar header: "ustar" at 257). */
export const headerAt = (tar: Buffer, offset: number): boolean => tar.subarray(offset + 257, offset + 262).toString('latin1') === 'ustar';
