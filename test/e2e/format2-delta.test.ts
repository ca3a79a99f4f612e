// Format 2's block delta, written by airgap itself (`backup --format 2`): large files changed in
// place (a mailbox edited, grown and cut; a disk image with scattered writes, then mostly
// rewritten; a chmod) are stored as their changed 1 MiB blocks, or whole where the rules say so
// (core/block-delta.ts). Then, for EVERY snapshot: `sha256sum -c SHA256SUMS`, its RESTORE.txt run
// literally with GNU tar, bsdtar and busybox tar (tar + dd + touch + rm), `airgap restore` whole
// and of the one file, all compared with the folder as it was that day; `verify --deep` checks the
// rebuilt files; a damaged block names the snapshots that need it.
import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';
import { parseManifestLineV2, type ManifestEntry } from '../../src/layout/manifest.js';
import { labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { restoreScript, runScript, STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { readManifestV2 } from '../helpers/v2-lists.js';
import { writeAt } from '../helpers/write-at.js';

const MiB = 1 << 20;

interface Day { id: string; meta: Meta; expected: Tree }
interface Meta { kind: string; chain: string[]; bytes: { tarball: number }; delta?: { files: number; bytes: number } }
type Tree = Snapshot;

let sb: Sandbox;
let src: string;
let drive: string;
const days: Day[] = [];

/** Seeded, incompressible bytes (AES-128-CTR of zeros), so that a run is the same every time. */
function noise(seed: number, n: number): Buffer {
  const key = Buffer.alloc(16, seed);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

const mail = () => join(src, 'Mail', 'archive.mbox');
const disk = () => join(src, 'VMs', "win 'dev'.img"); // a quote in the name: RESTORE.txt quotes it

async function seed(): Promise<void> {
  await mkdir(join(src, 'Mail'), { recursive: true });
  await mkdir(join(src, 'VMs'), { recursive: true });
  await writeFile(mail(), noise(1, 70 * MiB + 123)); // not a whole number of blocks
  await writeFile(disk(), noise(2, 66 * MiB));
  await writeFile(join(src, 'notes.txt'), 'day 0\n');
}

/** Day n's changes. */
async function change(n: number): Promise<void> {
  if (n === 1) await writeAt(mail(), 10 * MiB + 4096, noise(11, 2 * MiB)); // 2 MiB in place: 3 blocks
  if (n === 2) {
    const size = (await lstat(mail())).size;
    await writeAt(mail(), size, noise(12, 3 * MiB + 77)); // a mailbox grows
    for (const at of [1, 30, 65]) await writeAt(disk(), at * MiB + 8192, noise(20 + at, 65536)); // scattered writes
  }
  if (n === 3) await truncate(mail(), (await lstat(mail())).size - 5 * MiB - 1000); // and is cut
  if (n === 4) await writeFile(join(src, 'notes.txt'), 'day 4\n'); // the large files are carried
  if (n === 5) await chmod(mail(), 0o600); // a mode change: stored whole
  if (n === 6) await writeAt(mail(), 40 * MiB, noise(16, MiB)); // a delta on top of day 5's whole copy
  if (n === 7) await writeAt(disk(), 0, noise(17, 40 * MiB)); // more than half rewritten: whole
}

/** The tree as a restore must give it back; the content as its SHA-256 (the files are 66–73 MiB). */
const treeOf = (root: string): Promise<Tree> => readTree(root, { hashContent: true });

async function backup(n: number): Promise<Day> {
  // One chain for the whole week: day 5's whole copy of the mailbox would otherwise weigh more
  // than the default 50 % of the full and start a new one.
  const config = join(sb.dir, 'config.json');
  await writeFile(config, JSON.stringify({ version: 1, sources: [src], format: 2, chain: { maxIncrementShare: 100 } }));
  const r = await runCli(['backup', '--drive', 'A', '--json'],
    { ...sb.env, AIRGAP_CONFIG: config, AIRGAP_NOW: `2026-05-${String(n + 1).padStart(2, '0')}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
  expect(r.stderr, `day ${n}`).toBe('');
  expect(r.code, `day ${n}: ${r.stdout}`).toBe(0);
  const out = JSON.parse(r.stdout);
  return { id: out.snapshot, meta: out.meta, expected: await treeOf(src) };
}

const folderOf = (id: string) => join(drive, 'airgap', id);

async function lineOf(day: number, path: string): Promise<ManifestEntry> {
  const text = await readManifestV2(folderOf(days[day]!.id));
  const line = text.split('\n').find((l) => l.split('\t')[7] === path);
  return parseManifestLineV2(line!);
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  drive = await labelledDrive(sb, 'A');
  await seed();
  for (let n = 0; n < 8; n++) {
    if (n > 0) await change(n);
    days.push(await backup(n));
  }
}, 300_000);

afterAll(() => rm(sb.dir, { recursive: true, force: true }));

describe('backup --format 2: large files changed in place are stored as their changed blocks', () => {
  it('a 2 MiB edit of a 70 MiB mailbox costs about 3 MiB, not 70', async () => {
    const d1 = days[1]!;
    expect(d1.meta.kind).toBe('incremental');
    expect(d1.meta.delta).toEqual({ files: 1, bytes: expect.any(Number) });
    expect(d1.meta.bytes.tarball).toBeLessThan(4 * MiB);
    expect(d1.meta.bytes.tarball).toBeGreaterThan(3 * MiB);
    const line = await lineOf(1, 'work/Mail/archive.mbox');
    expect(line.in).toBe(days[0]!.id); // the whole copy
    expect(line.delta).toEqual([{ n: 1, offset: expect.any(Number), size: 70 * MiB + 123, members: [{ first: 10, count: 3 }] }]);
    expect(line.sha256).toBe(d1.expected['Mail/archive.mbox']!.content);
    expect(line.blocks).toEqual({ offset: 0 });
  });

  it('a grown, scattered, cut, carried file keeps one line of links; a chmod or a big rewrite stores it whole', async () => {
    const d2 = await lineOf(2, 'work/Mail/archive.mbox');
    expect(d2.delta!.map((l) => l.in)).toEqual([days[1]!.id, undefined]);
    const vm2 = await lineOf(2, "work/VMs/win 'dev'.img");
    expect(vm2.delta!.at(-1)!.members).toEqual([{ first: 1, count: 1 }, { first: 30, count: 1 }, { first: 65, count: 1 }]);
    expect(days[2]!.meta.bytes.tarball).toBeLessThan(10 * MiB);
    expect((await lineOf(3, 'work/Mail/archive.mbox')).delta).toHaveLength(3);
    const carried = await lineOf(4, 'work/Mail/archive.mbox'); // unchanged on day 4: the same links
    expect(carried.delta!.map((l) => l.in)).toEqual([days[1]!.id, days[2]!.id, days[3]!.id]);
    expect(days[4]!.meta.bytes.tarball).toBeLessThan(MiB);
    const chmodded = await lineOf(5, 'work/Mail/archive.mbox');
    expect(chmodded.in).toBeUndefined();
    expect(chmodded.delta).toBeUndefined();
    expect((await lineOf(6, 'work/Mail/archive.mbox')).delta!.map((l) => l.in)).toEqual([undefined]);
    expect((await lineOf(6, 'work/Mail/archive.mbox')).in).toBe(days[5]!.id);
    const rewritten = await lineOf(7, "work/VMs/win 'dev'.img");
    expect(rewritten.in).toBeUndefined();
    expect(rewritten.delta).toBeUndefined();
  });

  it('sha256sum -c SHA256SUMS passes in every snapshot folder (BLOCKS included where a large file was stored)', () => {
    expect(days.map((d) => d.meta.chain.length)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [k, d] of days.entries()) {
      const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: folderOf(d.id), encoding: 'utf8' });
      // Day 4 stored no large file (both were carried): no block list of its own.
      if (k === 4) expect(out).not.toMatch(/BLOCKS/);
      else expect(out).toMatch(/^BLOCKS: OK$/m);
    }
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it(`RESTORE.txt run literally (${label}) gives every day's folder back, large files included`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of days) {
        const home = await mkdtemp(join(sb.dir, 'home-'));
        const out = runScript(shell, await restoreScript(join(folderOf(d.id), RESTORE_FILE), drive), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        const restored = join(home, `restored-${d.id}`);
        expect(await readdir(restored)).toEqual(['work']); // .airgap-delta is gone
        expect(await treeOf(join(restored, 'work')), `${label}: ${d.id}`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 300_000);
  }

  it('airgap restore gives every day back, whole and one file alone; verify --deep passes', async () => {
    for (const [k, d] of days.entries()) {
      const to = join(sb.dir, `r-${k}`);
      const r = await runCli(['restore', 'A', '--snapshot', d.id, '--to', to], sb.env);
      expect(r.code, r.stderr).toBe(0);
      expect(await treeOf(join(to, 'work')), d.id).toEqual(d.expected);
      await rm(to, { recursive: true, force: true });
    }
    const one = join(sb.dir, 'r-one');
    const r = await runCli(['restore', 'A', '--snapshot', days[3]!.id, '--to', one, 'work/Mail/archive.mbox'], sb.env);
    expect(r.code, r.stderr).toBe(0);
    expect((await treeOf(join(one, 'work')))['Mail/archive.mbox']).toEqual(days[3]!.expected['Mail/archive.mbox']);
    const v = await runCli(['verify', 'A', '--deep'], sb.env);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // --sample draws a delta'd file from the snapshot that wrote its newest blocks, and rebuilds it.
    const sample = await runCli(['verify', 'A', '--sample', '100%', '--snapshot', days[1]!.id, '--json'], sb.env);
    expect(sample.code, sample.stdout + sample.stderr).toBe(0);
    const sampled = JSON.parse(sample.stdout).snapshots[0].sampled as { members: number; of: number; bytes: number };
    // Day 1 changed only the mailbox: the one file drawn, rebuilt whole (70 MiB read for 3 MiB of blocks).
    expect(sampled).toEqual({ members: 1, of: 1, bytes: 70 * MiB + 123 });
  }, 300_000);

  it('find and restore --dry-run name every tarball a delta\'d file needs', async () => {
    const f = await runCli(['find', 'A', 'archive.mbox'], sb.env);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toContain(`work/Mail/archive.mbox  (in tarball ${days[5]!.id}, its changed blocks in ${days[6]!.id})`);
    const dry = await runCli(['restore', 'A', '--snapshot', days[3]!.id, '--to', join(sb.dir, 'r-dry'), '--dry-run', 'work/Mail/archive.mbox'], sb.env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`its changed blocks in the tarballs of .*${days[1]!.id}.*${days[2]!.id}`));
  });

  it('a damaged changed block is found by verify --deep and refused by restore, naming the snapshots that need it', async () => {
    const line = await lineOf(2, 'work/Mail/archive.mbox');
    const link = line.delta!.at(-1)!;
    const tar = join(folderOf(days[2]!.id), `${days[2]!.id}.tar`);
    // A byte inside the body of day 2's first member of the mailbox (its headers take at most 1.5 KiB).
    const flip = link.offset + 2048 + 100;
    const fh = await open(tar, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, flip);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, flip);
    await fh.close();
    const v = await runCli(['verify', 'A', '--deep', '--json'], sb.env);
    expect(v.code).toBe(3);
    const report = JSON.parse(v.stdout) as { snapshots: { id: string; status: string; findings: { code: string; message: string; member?: string }[] }[] };
    const d2 = report.snapshots.find((s) => s.id === days[2]!.id)!;
    expect(d2.status).toBe('damaged');
    // The mailbox rebuilt from its blocks no longer matches its SHA-256.
    expect(d2.findings.some((f) => f.member === 'work/Mail/archive.mbox' && f.code === 'member-damaged')).toBe(true);
    // Days 3 and 4 build on day 2: named as its dependants.
    const deps = d2.findings.find((f) => f.code === 'chain-dependants')!;
    expect(deps.message).toContain(days[3]!.id);
    // --sample 100 % of day 2 rebuilds the mailbox too, and finds the damage.
    const sample = await runCli(['verify', 'A', '--sample', '100%', '--snapshot', days[2]!.id, '--json'], sb.env);
    expect(sample.code).toBe(3);
    const s2 = (JSON.parse(sample.stdout) as typeof report).snapshots[0]!;
    expect(s2.findings.some((f) => f.member === 'work/Mail/archive.mbox' && f.code === 'member-damaged')).toBe(true);
    const r = await runCli(['restore', 'A', '--snapshot', days[4]!.id, '--to', join(sb.dir, 'r-bad')], sb.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`snapshot ${days[2]!.id}`));
  }, 300_000);
});
