// The scan's change stamps (core/change-stamp.ts): size, mtime and ctime to the nanosecond,
// device and inode, exactly as the file system has them, so that format 2 can tell an unchanged
// file without reading it. A stamp that missed a change would let a changed file be carried
// forward unread; these tests change one thing at a time and expect the stamp to see it.
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_STAMP } from '../../src/core/change-stamp.js';
import { HashedWriter } from '../../src/io/hashed-writer.js';
import { writeArchive } from '../../src/snapshot/archive.js';
import { scanSources, type ScanEntry } from '../../src/snapshot/scan.js';

let dir: string;
let src: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-stamp-'));
  src = join(dir, 'src');
  await mkdir(src);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const scan = async (): Promise<Map<string, ScanEntry & { stamp: string }>> => {
  const r = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
  const out = new Map<string, ScanEntry & { stamp: string }>();
  for (let i = 0; i < r.entries.length; i++) out.set(r.entries.path(i), { ...r.entries.at(i), stamp: r.entries.stamp(i) });
  return out;
};
const stampOf = async (name: string) => (await scan()).get(`src/${name}`)!.stamp;

/** The stamp made here from a BigInt lstat, independently of the scan's columns. */
function expected(path: string, size = Number(lstatSync(path).size)): string {
  const st = lstatSync(path, { bigint: true });
  const t = (ns: bigint) => {
    const s = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
    return `${s}.${String(ns - s * 1_000_000_000n).padStart(9, '0')}`;
  };
  return `${size}:${t(st.mtimeNs)}:${t(st.ctimeNs)}:${st.dev}:${st.ino}`;
}

const fields = (stamp: string) => {
  const [size, mtime, ctime, dev, ino] = stamp.split(':');
  return { size, mtime, ctime, dev, ino };
};
/** ctime is set from the kernel's clock: let it move on (coarse on kernels without multigrain timestamps). */
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('scan change stamps', () => {
  it('are exactly size, mtime and ctime in nanoseconds, device and inode, for files, folders and links', async () => {
    await mkdir(join(src, 'd'));
    await writeFile(join(src, 'f'), '12345');
    await utimes(join(src, 'f'), 1_700_000_000.25, 1_700_000_000.25);
    await symlink('f', join(src, 'l'));
    const s = await scan();
    expect(s.get('src/f')!.stamp).toBe(expected(join(src, 'f')));
    expect(fields(s.get('src/f')!.stamp).mtime).toBe('1700000000.250000000');
    // Folders and links carry the scan's size, 0.
    expect(s.get('src/d')!.stamp).toBe(expected(join(src, 'd'), 0));
    expect(s.get('src/l')!.stamp).toBe(expected(join(src, 'l'), 0));
    expect(s.get('src')!.stamp).toBe(expected(src, 0));
    for (const e of s.values()) expect(e.stamp).toMatch(CHANGE_STAMP);
  });

  it('are equal across two scans of untouched files', async () => {
    await writeFile(join(src, 'a'), 'alpha');
    await writeFile(join(src, 'b'), 'beta');
    const one = await scan();
    await tick();
    const two = await scan();
    expect([...two.values()].map((e) => e.stamp)).toEqual([...one.values()].map((e) => e.stamp));
  });

  it('change when the content is rewritten with the same size in the same second: mtime nanoseconds and ctime differ', async () => {
    const f = join(src, 'f');
    await writeFile(f, 'aaaa');
    await utimes(f, 1_700_000_000.25, 1_700_000_000.25);
    const before = await scan();
    await tick();
    await writeFile(f, 'bbbb');
    await utimes(f, 1_700_000_000.75, 1_700_000_000.75); // same whole second, another nanosecond
    const after = await scan();
    const [b, a] = [before.get('src/f')!, after.get('src/f')!];
    // What the scan had before (whole seconds, size) cannot tell the two apart ...
    expect([a.size, a.mtime, a.ino]).toEqual([b.size, b.mtime, b.ino]);
    // ... the stamp can, by both clocks.
    expect(a.stamp).not.toBe(b.stamp);
    expect(fields(b.stamp).mtime).toBe('1700000000.250000000');
    expect(fields(a.stamp).mtime).toBe('1700000000.750000000');
    expect(fields(a.stamp).ctime).not.toBe(fields(b.stamp).ctime);
    expect(a.stamp).toBe(expected(f));
  });

  it('change with ctime alone: a content rewrite whose mtime is put back to the nanosecond', async () => {
    const f = join(src, 'f');
    await writeFile(f, 'aaaa');
    await utimes(f, 1_700_000_000.5, 1_700_000_000.5);
    const before = await stampOf('f');
    await tick();
    await writeFile(f, 'bbbb');
    await utimes(f, 1_700_000_000.5, 1_700_000_000.5); // what a tool that "preserves times" does
    const after = await stampOf('f');
    expect(fields(after)).toMatchObject({ size: fields(before).size, mtime: fields(before).mtime, ino: fields(before).ino });
    expect(fields(after).ctime).not.toBe(fields(before).ctime);
    await tick();
    await chmod(f, 0o600); // metadata only: ctime again
    expect(fields(await stampOf('f')).ctime).not.toBe(fields(after).ctime);
  });

  it('are equal for two names of one hard-linked file (one inode)', async () => {
    await writeFile(join(src, 'a'), 'shared');
    await link(join(src, 'a'), join(src, 'b'));
    const s = await scan();
    expect(s.get('src/a')!.stamp).toBe(s.get('src/b')!.stamp);
    expect(s.get('src/a')!.nlink).toBe(2);
  });

  it('keep the whole-second mtime as a plain stat gives it, before 1970 and at the end of a second', async () => {
    const old = join(src, 'old');
    const late = join(src, 'late');
    await writeFile(old, 'x');
    await writeFile(late, 'y');
    // touch, not utimes: Node turns a negative time into now, and a double cannot hold the nanoseconds.
    execFileSync('touch', ['-d', '@-1.5', old]);
    execFileSync('touch', ['-d', '@1700000000.999999999', late]);
    const s = await scan();
    expect(fields(s.get('src/old')!.stamp).mtime).toBe('-2.500000000');
    expect(fields(s.get('src/late')!.stamp).mtime).toBe('1700000000.999999999');
    // The scan's mtime is what snapshot/read-source.ts computes from the same file: tar's field.
    for (const name of ['old', 'late']) {
      expect(s.get(`src/${name}`)!.mtime).toBe(Math.max(0, Math.floor(lstatSync(join(src, name)).mtimeMs / 1000)));
    }
    expect(s.get('src/old')!.mtime).toBe(0);
    // A plain stat's milliseconds round 0.999999999 s up to the next second; tar's field keeps that.
    expect(s.get('src/late')!.mtime).toBe(1_700_000_001);
  });

  it('reach the gate baseline through writeArchive: each stored file with its own scan stamp', async () => {
    await mkdir(join(src, 'sub'));
    await writeFile(join(src, 'a.txt'), 'a');
    await writeFile(join(src, 'big'), Buffer.alloc(3 << 20, 7)); // streamed, not read by the small-file worker
    await writeFile(join(src, 'sub', 'b.txt'), 'bb');
    await link(join(src, 'a.txt'), join(src, 'sub', 'same'));
    await symlink('a.txt', join(src, 'link'));
    const r = await scanSources([{ path: src, root: 'src' }], { excludes: [] });
    const byPath = new Map([...r.entries].map((e, i) => [e.path, r.entries.stamp(i)]));
    const out = await Promise.all(['x.tar', 'MANIFEST.tsv', 'FILES.sha256'].map((n) => HashedWriter.create(join(dir, n))));
    const seen: [string, string][] = [];
    await writeArchive(r.entries, { tar: out[0]!, manifest: out[1]!, fileSums: out[2]! }, [], { onStored: (e, _h, stamp) => void seen.push([e.path, stamp]) });
    for (const w of out) await w.finish();
    // Stored files and the second name of a hard link (the gate compares every name the scan
    // lists, issue 17): not folders nor symlinks. The two names of one inode share a stamp.
    expect(seen.map(([p]) => p)).toEqual(['src/a.txt', 'src/big', 'src/sub/b.txt', 'src/sub/same']);
    for (const [p, stamp] of seen) expect(stamp, p).toBe(byPath.get(p));
    expect(new Set(seen.map(([, s]) => s)).size).toBe(3);
  });
});
