// The writer's no-await helpers: putText and putRange either take the whole input or nothing,
// and what they take ends up in the file and in its hash exactly like write() would.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashedWriter } from '../../src/io/hashed-writer.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('HashedWriter put helpers', () => {
  it('putText refuses text that might not fit, takes text that does, multibyte included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-hw-'));
    dirs.push(dir);
    const w = await HashedWriter.create(join(dir, 'out'), 64);
    const pieces = ['abc\n', 'ünï €\n', '😀 x\n'];
    let expected = '';
    for (let i = 0; i < 200; i++) {
      const s = pieces[i % pieces.length]!;
      if (!w.putText(s)) {
        expect(s.length * 3).toBeGreaterThan(w.room); // refused only when it might not fit
        await w.write(s);
      }
      expected += s;
    }
    const done = await w.finish();
    const bytes = await readFile(join(dir, 'out'));
    expect(bytes.toString('utf8')).toBe(expected);
    expect(done.size).toBe(Buffer.byteLength(expected));
    expect(done.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('putRange copies exactly [start, end) or nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-hw-'));
    dirs.push(dir);
    const w = await HashedWriter.create(join(dir, 'out'), 100);
    const src = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(w.putRange(src, 10, 70)).toBe(true);
    expect(w.putRange(src, 0, 41)).toBe(false); // 40 bytes of room left
    expect(w.putRange(src, 200, 240)).toBe(true);
    await w.write(src.subarray(0, 41));
    await w.finish();
    expect((await readFile(join(dir, 'out'))).equals(Buffer.concat([src.subarray(10, 70), src.subarray(200, 240), src.subarray(0, 41)]))).toBe(true);
  });
});
