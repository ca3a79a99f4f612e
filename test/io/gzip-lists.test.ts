// Format 2's gzipped lists (MANIFEST.tsv.gz, FILES.sha256.gz): written by GzipTextWriter through
// a HashedWriter, read back through openTextFile by the same line readers as plain lists, with
// the drive treated as untrusted (damaged, truncated or inflating gzip is refused by name).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CappedLineReader } from '../../src/io/capped-lines.js';
import { GzipTextWriter } from '../../src/io/gzip-text-writer.js';
import { HashedWriter } from '../../src/io/hashed-writer.js';
import { BadGzipError, openTextFile } from '../../src/io/text-file.js';
import { ManifestReader } from '../../src/layout/manifest-reader.js';
import { ManifestSyntaxError } from '../../src/layout/manifest.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-gzip-lists-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every line of a list through the line reader the verifiers use. */
async function linesOf(path: string, opts?: { maxInflated?: number }): Promise<string[]> {
  const fh = await openTextFile(path, opts);
  try {
    const r = new CappedLineReader(fh, 4096);
    const out: string[] = [];
    for (let l = await r.next(); l !== undefined; l = await r.next()) out.push(l);
    return out;
  } finally {
    await fh.close();
  }
}

/** ~1.3 MB of lines like FILES.sha256's: several gzip buffers and many read chunks. */
const sampleLines = () => Array.from({ length: 15_000 }, (_, i) => `${randomBytes(32).toString('hex')}  docs/folder-${i % 97}/file-${i}.txt`);

describe('GzipTextWriter', () => {
  it('writes one gzip stream that gunzip reads back whole, hashed as it lies on the drive', async () => {
    const path = join(dir, 'FILES.sha256.gz');
    const w = new GzipTextWriter(await HashedWriter.create(path, 64 << 10), 16 << 10);
    const lines = sampleLines();
    for (const [i, l] of lines.entries()) {
      // Both ways in, as the archive writes: putText while it fits, write() when not.
      if (i % 3 === 0 || !w.putText(`${l}\n`)) await w.write(`${l}\n`);
    }
    const done = await w.finish();
    const bytes = await readFile(path);
    expect(done.size).toBe(bytes.length);
    expect(done.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.length).toBeLessThan(lines.join('\n').length * 0.6);
    expect(gunzipSync(bytes).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    // The stock tool the drive's RESTORE.txt names: gunzip -t passes, gunzip -c gives the text.
    execFileSync('gunzip', ['-t', path]);
    expect(execFileSync('gunzip', ['-c', path], { maxBuffer: 64 << 20 }).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  it('an abandoned list leaves no finished file behind for a caller to trust', async () => {
    const path = join(dir, 'MANIFEST.tsv.gz');
    const w = new GzipTextWriter(await HashedWriter.create(path, 64 << 10));
    await w.write('# airgap manifest v2\n');
    await w.abandon();
    // What is on disk is not a whole gzip stream (no trailer): a reader refuses it.
    await expect(linesOf(path)).rejects.toBeInstanceOf(BadGzipError);
  });
});

describe('openTextFile', () => {
  it('reads a .gz list line for line as the same list stored plain', async () => {
    const text = sampleLines().join('\n') + '\n';
    await writeFile(join(dir, 'FILES.sha256'), text);
    await writeFile(join(dir, 'FILES.sha256.gz'), gzipSync(text));
    const plain = await linesOf(join(dir, 'FILES.sha256'));
    expect(plain.length).toBe(15_000);
    expect(await linesOf(join(dir, 'FILES.sha256.gz'))).toEqual(plain);
  });

  it('refuses a truncated stream, bytes that are not gzip, and a stream that inflates past the cap', async () => {
    const gz = gzipSync(sampleLines().join('\n'));
    await writeFile(join(dir, 'cut.gz'), gz.subarray(0, gz.length - 100));
    await expect(linesOf(join(dir, 'cut.gz'))).rejects.toThrow(/not whole gzip data/);
    await writeFile(join(dir, 'plain.gz'), 'a line that was never gzipped\n');
    await expect(linesOf(join(dir, 'plain.gz'))).rejects.toBeInstanceOf(BadGzipError);
    // 10 MB of short lines is ~10 KB of gzip: the cap stops it, not the end of the stream.
    await writeFile(join(dir, 'bomb.gz'), gzipSync('AAAAAAA\n'.repeat(10 << 17)));
    await expect(linesOf(join(dir, 'bomb.gz'), { maxInflated: 1 << 20 })).rejects.toThrow(/inflates to more than 1048576 bytes/);
  });

  it('a manifest read through it reports damaged gzip as a manifest error, not a crash', async () => {
    const text = '# airgap manifest v2\n# type\tmode\n' + 'd\t0755\t0\t0\t0\t1700000000\t\tdocs\t\t.\t0\n';
    await writeFile(join(dir, 'MANIFEST.tsv.gz'), gzipSync(text));
    const ok = new ManifestReader(join(dir, 'MANIFEST.tsv.gz'), [2]);
    expect((await ok.next())?.path).toBe('docs');
    expect(await ok.next()).toBeUndefined();
    const gz = gzipSync(text);
    gz[gz.length - 6]! ^= 0xff; // the CRC: the text inflates, the check fails at the end
    await writeFile(join(dir, 'MANIFEST.tsv.gz'), gz);
    const bad = new ManifestReader(join(dir, 'MANIFEST.tsv.gz'), [2]);
    const err = await (async () => {
      for (;;) if (!(await bad.next())) return undefined;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestSyntaxError);
    expect((err as Error).message).toMatch(/not whole gzip data/);
  });
});
