// The io primitives every drive read goes through: a cap on a whole-file read (also when the
// caller gives none), a cap on a line, and chunked reads that refuse what is not a regular
// file (a symlink off the drive, a FIFO that would block, a device that never ends).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CappedLineReader, LineTooLongError } from '../../src/io/capped-lines.js';
import { readChunks } from '../../src/io/read-chunks.js';
import { DEFAULT_MAX_READ_BYTES, FileTooLargeError, NotRegularFileError, openRegularFile, readRegularFile } from '../../src/io/read-regular.js';
import { MAX_SNAPSHOT_JSON_BYTES } from '../../src/layout/format.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'airgap-reads-')); });
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('refuses a 1 GiB sparse file without reading it, also when the caller gives no cap', async () => {
    const p = join(dir, 'snapshot.json');
    await writeFile(p, '{');
    await truncate(p, 1024 ** 3);
    expect(DEFAULT_MAX_READ_BYTES).toBe(MAX_SNAPSHOT_JSON_BYTES);
    const e = await readRegularFile(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FileTooLargeError);
    expect(e).toMatchObject({ size: 1024 ** 3, maxBytes: DEFAULT_MAX_READ_BYTES });
    await expect(readRegularFile(p, { maxBytes: 10 })).rejects.toMatchObject({ size: 1024 ** 3, maxBytes: 10 });
  });

  it('reads a file of exactly the cap, and refuses one byte more', async () => {
    const p = join(dir, 'f');
    await writeFile(p, 'x'.repeat(100));
    expect((await readRegularFile(p, { maxBytes: 100 })).toString()).toBe('x'.repeat(100));
    await expect(readRegularFile(p, { maxBytes: 99 })).rejects.toBeInstanceOf(FileTooLargeError);
    await writeFile(p, '');
    expect((await readRegularFile(p)).length).toBe(0);
  });

  it('large files read at once (they take turns) all come back whole and right, also after one is refused', async () => {
    const files = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const p = join(dir, `big-${i}`);
      await writeFile(p, Buffer.alloc((2 << 20) + i, i + 1));
      return p;
    }));
    const got = await Promise.allSettled(files.map((p, i) => readRegularFile(p, { maxBytes: i === 2 ? 1 << 20 : undefined })));
    expect(got[2]).toMatchObject({ status: 'rejected', reason: expect.any(FileTooLargeError) });
    for (const [i, r] of got.entries()) {
      if (i === 2) continue;
      expect(r.status).toBe('fulfilled');
      const b = (r as PromiseFulfilledResult<Buffer>).value;
      expect(b.length).toBe((2 << 20) + i);
      expect(b.every((x) => x === i + 1)).toBe(true);
    }
  });
});

/** All lines of a file through CappedLineReader, and the error that ended them, if any. */
async function lines(content: string | Buffer, max: number): Promise<{ got: string[]; error?: unknown }> {
  const p = join(dir, 'lines');
  await writeFile(p, content);
  const { fh } = await openRegularFile(p);
  const r = new CappedLineReader(fh, max);
  const got: string[] = [];
  try {
    for (let l = await r.next(); l !== undefined; l = await r.next()) got.push(l);
    return { got };
  } catch (error) {
    return { got, error };
  } finally {
    await fh.close();
  }
}

describe('CappedLineReader', () => {
  it('splits on \\n only, keeps a \\r, and returns a last line without a newline', async () => {
    expect(await lines('a\nb\r\n\nc', 10)).toEqual({ got: ['a', 'b\r', '', 'c'] });
    expect(await lines('', 10)).toEqual({ got: [] });
    expect(await lines('a\n', 10)).toEqual({ got: ['a'] });
  });

  it('a line of exactly the cap is read; one byte more is refused by number, after the lines before it', async () => {
    expect(await lines(`${'x'.repeat(8)}\nok\n`, 8)).toEqual({ got: ['x'.repeat(8), 'ok'] });
    const r = await lines(`one\ntwo\n${'x'.repeat(9)}\nfour\n`, 8);
    expect(r.got).toEqual(['one', 'two']);
    expect(r.error).toBeInstanceOf(LineTooLongError);
    expect((r.error as Error).message).toBe('line 3 is longer than 8 bytes');
    // Without a newline at all (the forged 1 GB manifest): line 1.
    expect((await lines('y'.repeat(50), 8)).error).toMatchObject({ lineNo: 1 });
  });

  it('joins a line across read chunks (64 KiB) before decoding it: a multi-byte character cut in two comes back whole', async () => {
    const before = 'a'.repeat((1 << 16) - 1); // "é" (2 bytes) straddles the first chunk's end
    const r = await lines(`${before}é\nnext\n`, 2 << 20);
    expect(r.error).toBeUndefined();
    expect(r.got).toEqual([`${before}é`, 'next']);
    // A line over the cap that spans chunks is refused once it passes the cap.
    expect((await lines(`ok\n${'z'.repeat(3 << 20)}\n`, 1 << 20)).error).toMatchObject({ lineNo: 2 });
  });
});

describe('readChunks (tarballs)', () => {
  it('reads a regular file, and refuses a symlink and a FIFO without following or blocking', async () => {
    const outside = join(dir, 'elsewhere.tar');
    await writeFile(outside, Buffer.alloc(3000, 7));
    let n = 0;
    expect(await readChunks(outside, (c) => { n += c.length; })).toBe(3000);
    expect(n).toBe(3000);

    const link = join(dir, 'link.tar');
    await symlink(outside, link);
    await expect(readChunks(link, () => {})).rejects.toBeInstanceOf(NotRegularFileError);

    const fifo = join(dir, 'fifo.tar');
    execFileSync('mkfifo', [fifo]);
    // Nobody opens the FIFO for writing: opened blocking, this would never return (a time-out).
    await expect(readChunks(fifo, () => {})).rejects.toMatchObject({ what: 'a FIFO (named pipe)' });
  });
});
