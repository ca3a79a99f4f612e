// verify.html on format 3 drives (issue 16: the tarball block-gzipped, `<ID>.tar.gz` and its index
// `<ID>.tar.gz.idx`), in headless Chromium, the quick check and the deep one. The page inflates
// each gzip block alone from the index (Chromium's DecompressionStream refuses a run of gzip
// members), walks the tar against the manifest, and rebuilds delta'd files reading the tar by
// offset through the index. A full written by the built CLI's `backup --format 3` is checked as
// it comes; the histories (full, increments, a delta'd large file) are written by the CLI as
// format 2 and converted block by block with the project's writer (helpers/format3-history.ts),
// since this branch's CLI does not write format 3 increments yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { noise } from '../helpers/bytes.js';
import { hasChromium, launchChromium, verifyInPage } from '../helpers/browser.js';
import { relist, toFormat3, type Format3Snapshot } from '../helpers/format3-history.js';
import { TarReader } from '../../src/layout/tar-reader.js';

let browser: Browser;
const sandboxes: Sandbox[] = [];

beforeAll(async () => { if (hasChromium) browser = await launchChromium(); });
afterAll(async () => {
  await browser?.close();
  for (const sb of sandboxes) await sb.cleanup();
});

const MiB = 1 << 20;
const T1 = '2031-03-01T10:00:00Z';
const T2 = '2031-03-02T10:00:00Z';
const T3 = '2031-03-03T10:00:00Z';

/** 60 small files (text and random, 1-3 KB: many to a block), a.txt that changes, and a 17 MiB file. */
function tree(): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = { 'a.txt': 'a\n', 'large.bin': noise(17 * MiB, 'large') };
  for (let i = 0; i < 60; i++) {
    const name = `s${String(i).padStart(2, '0')}.${i % 2 ? 'bin' : 'txt'}`;
    files[name] = i % 2 ? noise(1000 + 40 * i, name) : `${name}\n`.repeat(100 + 5 * i);
  }
  return files;
}

async function sandboxWithSource(): Promise<{ sb: Sandbox; dir: string; src: string }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'src');
  await makeTree(src, tree());
  return { sb, dir: await labelledDrive(sb, 'A'), src };
}

/**
 * A format 3 chain of three: the full; then a.txt changed and large.bin changed 16 bytes at
 * 5 MiB in place (stored as its changed blocks: a delta rebuilt from the full's tarball); then
 * a.txt again. Blocks of 64 KiB, the `.tar.gz` in parts of 1 MiB when `parts`.
 */
async function history(parts: boolean, convert: (ids: string[]) => string[] = (ids) => ids): Promise<{ dir: string; airgap: string; ids: [string, string, string]; f3: Map<string, Format3Snapshot> }> {
  const { sb, dir, src } = await sandboxWithSource();
  const ids: string[] = [];
  for (const [i, now] of [T1, T2, T3].entries()) {
    if (i > 0) await writeFile(join(src, 'a.txt'), `changed ${i}\n`);
    if (i === 1) {
      const large = await readFile(join(src, 'large.bin'));
      noise(16, 'changed').copy(large, 5 * MiB);
      await writeFile(join(src, 'large.bin'), large);
    }
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--format', '2', '--json'], { AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
    ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  const airgap = join(dir, 'airgap');
  const f3 = await toFormat3(airgap, convert(ids), { target: 64 * 1024, ...(parts ? { partSize: MiB } : {}) });
  // The increment must store large.bin as changed blocks, or the rebuild is not tested.
  expect(members(f3.get(ids[1]!)!.tar).map((m) => m.path).filter((p) => p.startsWith('.airgap-delta/'))).toHaveLength(1);
  return { dir, airgap, ids: ids as [string, string, string], f3 };
}

function members(tar: Buffer): { path: string; offset: number }[] {
  const out: { path: string; offset: number }[] = [];
  new TarReader({ entry: (e) => out.push({ path: e.path, offset: e.offset }), data: () => {}, entryEnd: () => {} }).write(tar);
  return out;
}

/** Flips one byte in the middle of block `i`'s stored bytes (the parts as one stream); returns the stored file hit. */
async function flipInBlock(snap: string, s: Format3Snapshot, i: number, partSize?: number): Promise<string> {
  const b = s.index.blocks[i]!;
  const at = b.compressedOffset + Math.floor(b.compressedLength / 2);
  const part = partSize === undefined ? 0 : Math.floor(at / partSize);
  const name = s.stored[part]!;
  const data = await readFile(join(snap, name));
  data[at - part * (partSize ?? 0)]! ^= 0x55;
  await writeFile(join(snap, name), data);
  return name;
}

/**
 * The block holding member `path`'s header, and the members with bytes in that block (a block
 * may start inside a long member: the writer cuts those every block size of the member).
 */
function blockOf(s: Format3Snapshot, path: string): { i: number; paths: string[] } {
  const all = members(s.tar);
  const at = all.find((m) => m.path === path)!.offset;
  const i = s.index.blocks.findLastIndex((b) => b.uncompressedOffset <= at);
  const start = s.index.blocks[i]!.uncompressedOffset;
  const end = s.index.blocks[i + 1]?.uncompressedOffset ?? s.tar.length;
  const endOf = (k: number) => all[k + 1]?.offset ?? s.tar.length;
  return { i, paths: all.filter((m, k) => m.offset < end && endOf(k) > start).map((m) => m.path) };
}

describe.skipIf(!hasChromium)('verify.html on format 3 drives, in headless Chromium', () => {
  it('a full written by the CLI\'s backup --format 3 in 1 MiB parts: OK quick and deep, every member walked through its blocks', async () => {
    const { sb, dir, src } = await sandboxWithSource();
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--format', '3', '--part-size', '1M', '--json'], { AIRGAP_NOW: T1 });
    // This branch's post-write verify does not read format 3 yet (the reader branch does): the
    // snapshot is whole, the backup exits 3 saying exactly that. Any other failure fails here.
    if (r.code !== 0) expect(r.stdout).toMatch(/SHA256SUMS does not list \S+\.tar \(or its parts\)/);
    const [id] = (await readdir(join(dir, 'airgap'))).filter((n) => n.startsWith('2031-'));
    const names = await readdir(join(dir, 'airgap', id!));
    expect(names).toContain(`${id}.tar.gz.idx`);
    expect(names.filter((n) => n.startsWith(`${id}.tar.gz.0`)).length).toBeGreaterThan(5);
    const quick = await verifyInPage(browser, dir);
    expect(quick.offline).toEqual([]);
    expect(quick.snapshots[id!]!.verdict).toBe('OK');
    expect(quick.snapshots[id!]!.files[`${id}.tar.gz.idx`]).toBe('OK');
    const deep = await verifyInPage(browser, dir, { deep: true });
    expect(deep.snapshots[id!]!.verdict).toBe('OK');
    expect(deep.snapshots[id!]!.members).toEqual([]);
    expect(deep.snapshots[id!]!.membersChecked).toBe(63); // src/, a.txt, large.bin and 60 small files
    expect(deep.summary).toBe('OK');
  });

  for (const parts of [false, true]) {
    it(`a format 3 history${parts ? ' in 1 MiB parts' : ''}: the full and two increments OK quick and deep, the delta'd file rebuilt through the index`, async () => {
      const { dir, ids, f3 } = await history(parts);
      if (parts) expect(f3.get(ids[0])!.stored.length).toBeGreaterThan(5);
      const quick = await verifyInPage(browser, dir);
      for (const id of ids) expect(quick.snapshots[id]!.verdict, id).toBe('OK');
      expect(quick.summary).toBe('OK');
      const deep = await verifyInPage(browser, dir, { deep: true });
      for (const id of ids) {
        expect(deep.snapshots[id]!.verdict, id).toBe('OK');
        expect(deep.snapshots[id]!.members, id).toEqual([]);
      }
      expect(deep.snapshots[ids[0]]!.membersChecked).toBe(members(f3.get(ids[0])!.tar).length);
      expect(deep.summary).toBe('OK');
    });
  }

  it('a flipped byte inside one gzip block of the full: the quick check names the part, the deep check the files in that block and the later files carried from them, and walks on after it', async () => {
    const { airgap, dir, ids, f3 } = await history(true);
    const [full, inc1, inc2] = ids;
    const s = f3.get(full)!;
    const { i, paths } = blockOf(s, 'src/s30.txt');
    expect(paths.length).toBeGreaterThan(3);
    expect(paths).not.toContain('src/a.txt');
    expect(paths).not.toContain('src/large.bin');
    const part = await flipInBlock(join(airgap, full), s, i, MiB);
    const quick = await verifyInPage(browser, dir);
    expect(quick.snapshots[full]!.verdict).toBe('DAMAGED');
    expect(Object.entries(quick.snapshots[full]!.files).filter(([, v]) => v !== 'OK')).toEqual([[part, 'DAMAGED']]);
    const deep = await verifyInPage(browser, dir, { deep: true });
    const d = deep.snapshots[full]!;
    expect(d.members.sort()).toEqual(paths.map((p) => `member-damaged ${p}`).sort());
    expect(d.deepCodes).toEqual(['tarball-damaged']);
    expect(d.text).toContain(`gzip block at compressed offset ${s.index.blocks[i]!.compressedOffset}`);
    // The walk went on after the block: every other member was read and found as listed.
    expect(d.membersChecked).toBe(members(s.tar).length - paths.length);
    // Both increments carry those files from the full, unchanged: all counted, the first 20 shown.
    const hit = [inc1, inc2].flatMap((id) => paths.map((p) => `${id} ${p}`));
    expect(d.text).toContain(`${hit.length} files of later snapshots have their content in what is damaged here (the first 20 below)`);
    expect(d.dependants).toHaveLength(20);
    for (const x of d.dependants) expect(hit).toContain(x);
    expect(deep.snapshots[inc1]!.verdict).toBe('DAMAGED');
    expect(deep.snapshots[inc2]!.verdict).toBe('DAMAGED');
    expect(deep.summary).toBe('DAMAGED');
  });

  it('a flipped byte in a block of the full that the delta\'d file\'s rebuild reads: the increment names large.bin, read through the index', async () => {
    const { airgap, dir, ids, f3 } = await history(false);
    const [full, inc1] = ids;
    const s = f3.get(full)!;
    const large = members(s.tar).find((m) => m.path === 'src/large.bin')!;
    // A block of large.bin's body well before the changed bytes at 5 MiB: the increment takes them from the full.
    const i = s.index.blocks.findLastIndex((b) => b.uncompressedOffset <= large.offset + 2 * MiB);
    await flipInBlock(join(airgap, full), s, i);
    const deep = await verifyInPage(browser, dir, { deep: true });
    expect(deep.snapshots[full]!.members).toEqual(['member-damaged src/large.bin']);
    expect(deep.snapshots[inc1]!.members).toEqual(['member-damaged src/large.bin']);
    expect(deep.snapshots[inc1]!.text).toContain('cannot be rebuilt from its chain: the gzip block at compressed offset');
  });

  it('a forger changed a block and rewrote SHA256SUMS to match: only the deep check finds it, names the block\'s files and the tarball', async () => {
    const { airgap, dir, ids, f3 } = await history(false);
    const [full] = ids;
    const s = f3.get(full)!;
    const { i, paths } = blockOf(s, 'src/s10.txt');
    const name = await flipInBlock(join(airgap, full), s, i);
    await relist(join(airgap, full), name);
    const quick = await verifyInPage(browser, dir);
    expect(quick.snapshots[full]!.verdict).toBe('OK'); // every file matches SHA256SUMS: plain verify cannot tell
    const deep = await verifyInPage(browser, dir, { deep: true });
    expect(deep.snapshots[full]!.verdict).toBe('DAMAGED');
    expect(deep.snapshots[full]!.files[name]).toBe('DAMAGED');
    expect(deep.snapshots[full]!.members.sort()).toEqual(paths.map((p) => `member-damaged ${p}`).sort());
    // The block is in the middle of the tar: the walk starts again at the first member after it.
    expect(paths).toContain('src/large.bin'); // its last bytes share the block with the small files
    expect(paths).not.toContain('src/s59.bin');
    expect(deep.snapshots[full]!.membersChecked).toBe(members(s.tar).length - paths.length);
  });

  it('the index missing: named MISSING, and the deep check says the tarball is not walked', async () => {
    const { airgap, dir, ids } = await history(false);
    const id = ids[1];
    await rm(join(airgap, id, `${id}.tar.gz.idx`));
    const quick = await verifyInPage(browser, dir);
    expect(quick.snapshots[id]!.files[`${id}.tar.gz.idx`]).toBe('MISSING');
    expect(quick.snapshots[id]!.verdict).toBe('DAMAGED');
    const deep = await verifyInPage(browser, dir, { deep: true });
    expect(deep.snapshots[id]!.text).toContain(`Deep check not done: the tarball's index ${id}.tar.gz.idx is missing: the tarball is not walked.`);
    expect(deep.snapshots[id]!.verdict).toBe('DAMAGED');
    expect(deep.snapshots[ids[0]]!.verdict).toBe('OK');
  });

  it('the index changed: DAMAGED and not used; changed and relisted by a forger: not an index of this tarball; not listed: named', async () => {
    const { airgap, dir, ids } = await history(false);
    const [a, b, c] = ids;
    // a: one block's compressed length changed by one (the blocks then no longer meet), SHA256SUMS left alone.
    const bump = async (id: string) => {
      const path = join(airgap, id, `${id}.tar.gz.idx`);
      const lines = (await readFile(path, 'utf8')).split('\n');
      const f = lines[2]!.split('\t');
      f[2] = String(Number(f[2]) + 1);
      lines[2] = f.join('\t');
      await writeFile(path, lines.join('\n'));
    };
    await bump(a);
    // b: the same, and SHA256SUMS rewritten to match it.
    await bump(b);
    await relist(join(airgap, b), `${b}.tar.gz.idx`);
    // c: its line taken out of SHA256SUMS.
    const sums = join(airgap, c, 'SHA256SUMS');
    await writeFile(sums, (await readFile(sums, 'utf8')).split('\n').filter((l) => !l.endsWith('.tar.gz.idx')).join('\n'));
    const quick = await verifyInPage(browser, dir);
    expect(quick.snapshots[a]!.files[`${a}.tar.gz.idx`]).toBe('DAMAGED');
    expect(quick.snapshots[b]!.files[`${b}.tar.gz.idx`]).toBe('OK');
    expect(quick.snapshots[b]!.problems.join('\n')).toContain(`${b}.tar.gz.idx is not an index of this tarball: gzip block index, line 4: compressed offset`);
    expect(quick.snapshots[c]!.problems.join('\n')).toContain(`SHA256SUMS does not list ${c}.tar.gz.idx`);
    for (const id of ids) expect(quick.snapshots[id]!.verdict, id).toBe('DAMAGED');
    const deep = await verifyInPage(browser, dir, { deep: true });
    expect(deep.snapshots[a]!.text).toContain(`the tarball's index ${a}.tar.gz.idx does not match its SHA-256 in SHA256SUMS: the tarball is not walked`);
    expect(deep.snapshots[b]!.text).toContain(`${b}.tar.gz.idx is not an index of this tarball`);
    expect(deep.snapshots[c]!.text).toContain(`SHA256SUMS does not list the tarball's index ${c}.tar.gz.idx: the tarball is not walked`);
  });

  it('a chain that mixes formats (the increments format 3, their full format 2): each increment DAMAGED, naming the link', async () => {
    const { dir, ids } = await history(false, (all) => all.slice(1));
    const [full, inc1, inc2] = ids;
    const page = await verifyInPage(browser, dir);
    expect(page.snapshots[full]!.verdict).toBe('OK');
    for (const id of [inc1, inc2]) {
      expect(page.snapshots[id]!.verdict, id).toBe('DAMAGED');
      expect(page.snapshots[id]!.problems, id).toEqual([`needs snapshot ${full} of its chain, which is of snapshot format 2, this snapshot of format 3: a chain never mixes formats`]);
    }
  });
});
