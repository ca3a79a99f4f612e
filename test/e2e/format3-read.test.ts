// Format 3 read by the built CLI (docs/FORMAT.md "Format 3"): a real history (a full, an
// increment carrying files forward, an increment storing a large file's changed blocks) written
// with `backup --format 2`, then converted to format 3 (test/helpers/compress-snapshot.ts: the
// tar block-gzipped at 32 KiB blocks, its index, snapshot.json and SHA256SUMS as the format says).
// Then: verify and verify --deep pass; every snapshot restores whole as the source was; one file
// restores from the full's tarball reading only the blocks that hold it (every other block
// zeroed); a flipped byte in one block names the files it held and the later files that need
// them; the index missing, not listed, or forged is named damage; a `.tar.gz` in parts reads as one.
import { createCipheriv } from 'node:crypto';
import { cp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DriveReport, Finding, SnapshotReport } from '../../src/core/findings.js';
import { blockAt } from '../../src/io/gzip-block-reader.js';
import { gzipIndexName, tarballName } from '../../src/layout/format.js';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { compressDrive, type Compressed } from '../helpers/compress-snapshot.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { sha256 } from '../helpers/bytes.js';
import { flipByte } from '../helpers/damage.js';
import { readManifestV2 } from '../helpers/v2-lists.js';
import { memberStarts } from '../helpers/gzip-tar.js';

const MiB = 1 << 20;
const TARGET = 32 * 1024;
const FILLER = Array.from({ length: 40 }, (_, i) => `filler/f${String(i).padStart(2, '0')}.txt`);

interface Taken { id: string; tree: Snapshot }
interface Line { path: string; type: string; sha256: string; in: string; offset: number; size: number }

let sb: Sandbox;
let src: string;
let drive: string;
let pristine: string;
/** The drive as the CLI wrote it (format 2), for the conversion into parts below. */
let written: string;
const taken: Taken[] = [];
let compressed: Map<string, Compressed>;

/** Seeded, incompressible bytes (AES-128-CTR of zeros): stored blocks, the same every run. */
const noise = (seed: number, n: number) => createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
const text = (s: string, n = 1) => `${s}\n`.repeat(n);
const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runChecked(sb, args, env);
const at = (n: number) => ({ AIRGAP_NOW: new Date(Date.UTC(2026, 2, 1 + n, 9)).toISOString() });
const snapDir = (id: string) => join(drive, 'airgap', id);

async function backup(n: number): Promise<void> {
  const r = await run(['backup', '--drive', 'A', '--source', src, '--format', '2', '--no-prune', '--json'], at(n));
  expect(r.code, r.stdout + r.stderr).toBe(0);
  taken.push({ id: (JSON.parse(r.stdout) as { snapshot: string }).snapshot, tree: await readTree(src, { dirMtimes: true }) });
}

const unescape = (s: string) => s.replace(/\\(\\|t|n|r|x[0-9a-f]{2})/g, (_, c: string) =>
  c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : String.fromCharCode(parseInt(c.slice(1), 16)));

/** A v2 manifest's lines, by path. */
async function manifestOf(id: string): Promise<Map<string, Line>> {
  const out = new Map<string, Line>();
  for (const l of (await readManifestV2(snapDir(id))).split('\n').filter((x) => x && !x.startsWith('#'))) {
    const f = l.split('\t');
    out.set(unescape(f[7]!), { path: unescape(f[7]!), type: f[0]!, size: Number(f[4]), sha256: f[6]!, in: f[9]!, offset: Number(f[10]) });
  }
  return out;
}

async function verifyJson(...extra: string[]): Promise<{ code: number; report: DriveReport }> {
  const r = await run(['verify', 'A', '--json', ...extra]);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}
const snap = (report: DriveReport, id: string): SnapshotReport => report.snapshots.find((s) => s.id === id)!;
const damageOf = (report: DriveReport, id: string): Finding[] => snap(report, id).findings.filter((f) => f.severity === 'damage');

async function resetDrive(): Promise<void> {
  await rm(join(drive, 'airgap'), { recursive: true, force: true });
  await cp(join(pristine, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
}

/** Overwrites [from, to) of a file with `fill` (same length: sizes stay as snapshot.json says). */
async function overwrite(path: string, from: number, to: number, fill = 0): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(Buffer.alloc(to - from, fill), 0, to - from, from);
  } finally {
    await fh.close();
  }
}

/** The blocks of snapshot `id`'s tar that hold [start, end). */
function blocksOf(id: string, start: number, end: number): number[] {
  const { index } = compressed.get(id)!;
  const out: number[] = [];
  for (let i = blockAt(index, start); i < index.blocks.length && index.blocks[i]!.uncompressedOffset < end; i++) out.push(i);
  return out;
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'data');
  await mkdir(join(src, 'filler'), { recursive: true });
  await mkdir(join(src, 'docs'), { recursive: true });
  for (const f of FILLER) await writeFile(join(src, f), text(`filler ${f}`, 60));
  await writeFile(join(src, 'docs', 'a.txt'), text('a, first', 3));
  await writeFile(join(src, 'docs', 'photo.raw'), noise(2, 300_000)); // stored blocks
  await writeFile(join(src, 'disk.img'), noise(1, 17 * MiB + 5)); // a large file: block deltas
  drive = await labelledDrive(sb, 'A');
  await backup(0);
  await writeFile(join(src, 'docs', 'a.txt'), text('a, edited', 3));
  await writeFile(join(src, 'docs', 'new.txt'), text('new'));
  await backup(1);
  const fh = await open(join(src, 'disk.img'), 'r+');
  await fh.write(noise(3, 100_000), 0, 100_000, 5 * MiB + 7);
  await fh.close();
  await backup(2);
  written = join(sb.dir, 'written');
  await cp(drive, written, { recursive: true, preserveTimestamps: true });
  compressed = await compressDrive(join(drive, 'airgap'), taken.map((t) => t.id), { target: TARGET });
  pristine = join(sb.dir, 'pristine');
  await cp(drive, pristine, { recursive: true, preserveTimestamps: true });
}, 240_000);
afterAll(() => sb.cleanup());

describe('format 3 (block-gzipped tarballs): reading', () => {
  it('the converted history is format 3, chained, with a block delta in the last increment', async () => {
    for (const t of taken) {
      const meta = JSON.parse(await readFile(join(snapDir(t.id), 'snapshot.json'), 'utf8')) as { formatVersion: number; tarball: { name: string; gzip: unknown } };
      expect(meta.formatVersion).toBe(3);
      expect(meta.tarball.name).toBe(tarballName(t.id, false, true));
      expect(meta.tarball.gzip).toEqual({ tarSize: compressed.get(t.id)!.tar.length, index: gzipIndexName(t.id) });
    }
    const last = JSON.parse(await readFile(join(snapDir(taken[2]!.id), 'snapshot.json'), 'utf8')) as { delta?: { files: number } };
    expect(last.delta?.files).toBe(1);
    expect(compressed.get(taken[0]!.id)!.index.blocks.some((b) => b.stored)).toBe(true);
    expect(compressed.get(taken[0]!.id)!.index.blocks.length).toBeGreaterThan(100);
  });

  it('verify and verify --deep pass every snapshot', async () => {
    for (const extra of [[], ['--deep']]) {
      const { code, report } = await verifyJson(...extra);
      expect(code, JSON.stringify(report.snapshots.map((s) => s.findings))).toBe(0);
      for (const t of taken) expect(snap(report, t.id).status).toBe('ok');
    }
    const deep = (await verifyJson('--deep')).report;
    expect(snap(deep, taken[0]!.id).membersChecked).toBeGreaterThan(40);
  });

  it('restores every snapshot whole (a chain, a block delta), exactly as the source was', async () => {
    for (const t of taken) {
      const to = join(sb.dir, 'whole', t.id);
      const r = await run(['restore', 'A', '--snapshot', t.id, '--to', to]);
      expect(r.code, `${t.id}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).not.toMatch(/DAMAGED|REFUSED|MISSING|Summary:/);
      expect(await readTree(join(to, 'data'), { dirMtimes: true }), t.id).toEqual(t.tree);
    }
  });
});

describe('format 3: one file read through the index', () => {
  afterAll(resetDrive);

  it('restores one file of the last increment from the full, reading only the blocks that hold it (every other block zeroed)', async () => {
    const [full, , last] = taken as [Taken, Taken, Taken];
    const line = (await manifestOf(last.id)).get('data/filler/f10.txt')!;
    expect(line.in).toBe(full.id);
    const { index, tar } = compressed.get(full.id)!;
    const starts = memberStarts(tar);
    const end = starts.find((s) => s > line.offset)!;
    const keep = new Set(blocksOf(full.id, line.offset, end));
    expect(keep.size).toBeLessThan(3);
    const gz = join(snapDir(full.id), tarballName(full.id, false, true));
    for (const [i, b] of index.blocks.entries()) if (!keep.has(i)) await overwrite(gz, b.compressedOffset, b.compressedOffset + b.compressedLength);
    // The zeroed blocks are damage to a reader that touches them: the deep walk says so.
    expect((await verifyJson('--deep')).code).toBe(3);
    const to = join(sb.dir, 'one', 'f10');
    const r = await run(['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await readTree(to))['data/filler/f10.txt']).toEqual(last.tree['filler/f10.txt']);
  });

  it('restores a large file rebuilt from its copy in the full and its changed blocks, through both indexes', async () => {
    await resetDrive();
    const last = taken[2]!;
    const to = join(sb.dir, 'one', 'disk');
    const r = await run(['restore', 'A', '--snapshot', last.id, 'data/disk.img', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await readTree(to))['data/disk.img']).toEqual(last.tree['disk.img']);
  });

  it('verify --sample 100% reads every own member through the index, and passes', async () => {
    await resetDrive();
    const { code, report } = await verifyJson('--sample', '100');
    expect(code, JSON.stringify(report.snapshots.map((s) => s.findings))).toBe(0);
    expect(snap(report, taken[0]!.id).sampled?.members).toBe(snap(report, taken[0]!.id).sampled?.of);
    expect(snap(report, taken[0]!.id).sampled?.members).toBeGreaterThan(40);
  });

  it('--dry-run and find name the tarball a file needs', async () => {
    const [full, , last] = taken as [Taken, Taken, Taken];
    const dry = await run(['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', join(sb.dir, 'dry'), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`in the tarball of ${full.id}`);
    expect(dry.stdout).toContain(tarballName(full.id, false, true));
    const found = await run(['find', 'A', 'f10.txt']);
    expect(found.stdout).toContain(tarballName(full.id, false, true));
  });
});

describe('format 3: damage', () => {
  beforeEach(resetDrive);
  afterAll(resetDrive);

  const gzOf = (id: string) => join(snapDir(id), tarballName(id, false, true));
  const indexOf = (id: string) => join(snapDir(id), gzipIndexName(id));

  /** Rewrites SHA256SUMS over the files it lists as they are now, leaving out `drop` (a forger with write access). */
  async function reSign(id: string, drop?: string): Promise<void> {
    const sums = join(snapDir(id), 'SHA256SUMS');
    const out: string[] = [];
    for (const l of (await readFile(sums, 'utf8')).split('\n').filter(Boolean)) {
      const name = l.slice(66);
      if (name !== drop) out.push(`${sha256(await readFile(join(snapDir(id), name)))}  ${name}`);
    }
    await writeFile(sums, out.join('\n') + '\n');
  }

  it('a flipped byte in one block of the full: --deep names the block, the files from it on, and the later files that need them', async () => {
    const [full, mid, last] = taken as [Taken, Taken, Taken];
    const lines = await manifestOf(full.id);
    const victim = lines.get('data/filler/f20.txt')!;
    const { index } = compressed.get(full.id)!;
    const k = blockAt(index, victim.offset + 512);
    const b = index.blocks[k]!;
    await flipByte(gzOf(full.id), b.compressedOffset + Math.floor(b.compressedLength / 2));
    // A file whose member ends before that block: unharmed.
    const safe = [...lines.values()].find((l) => l.type === 'f' && l.path.startsWith('data/filler/') && l.offset + 512 + l.size + 1024 < b.uncompressedOffset)!;
    expect(safe).toBeDefined();

    const plain = await verifyJson();
    expect(plain.code).toBe(3);
    expect(damageOf(plain.report, full.id).map((f) => [f.code, f.file])).toContainEqual(['checksum-mismatch', tarballName(full.id, false, true)]);
    expect(damageOf(plain.report, full.id).find((f) => f.code === 'chain-dependants')?.dependants).toEqual([mid.id, last.id]);

    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    const found = damageOf(report, full.id);
    const block = found.find((f) => f.code === 'tarball-damaged')!;
    expect(block.file).toBe(tarballName(full.id, false, true));
    expect(block.message).toContain(`compressed offset ${b.compressedOffset}`);
    expect(found.map((f) => f.code)).toContain('archive-damaged');
    const dep = found.find((f) => f.code === 'chain-dependants')!;
    expect(dep.dependants).toEqual([mid.id, last.id]);
    expect(dep.dependantFiles).toContainEqual({ snapshot: mid.id, path: 'data/filler/f20.txt' });
    // Every file of the increments from that block on (the first 20 are named), none before it.
    const after = [...lines.values()].filter((l) => l.type === 'f' && l.offset + 512 >= b.uncompressedOffset && l.path.startsWith('data/filler/'));
    expect(dep.dependantFilesTotal).toBeGreaterThanOrEqual(2 * after.length);
    expect(dep.dependantFiles).not.toContainEqual({ snapshot: mid.id, path: safe.path });
    // The increments' own tarballs are sound.
    for (const t of [mid, last]) expect(damageOf(report, t.id).filter((f) => f.code !== 'chain-link-damaged' && f.code !== 'chain-dependants'), t.id).toEqual([]);

    // A restore refuses; --salvage restores what came before the block and names the rest.
    const to = join(sb.dir, 'salvage');
    expect((await run(['restore', 'A', '--snapshot', last.id, '--to', join(sb.dir, 'refused')])).code).toBe(3);
    const r = await run(['restore', 'A', '--snapshot', last.id, '--to', to, '--salvage', '--json']);
    const got = await readTree(join(to, 'data'));
    expect(got[safe.path.slice('data/'.length)]).toEqual(last.tree[safe.path.slice('data/'.length)]);
    expect(got['filler/f20.txt'], r.stdout).toBeUndefined();
    expect(r.stdout).toContain('filler/f20.txt');
  });

  it('the index missing: named damage; a restore of one file with --salvage reads the tarball whole instead', async () => {
    const [full, , last] = taken as [Taken, Taken, Taken];
    await rm(indexOf(full.id));
    const { code, report } = await verifyJson();
    expect(code).toBe(3);
    expect(damageOf(report, full.id).map((f) => [f.code, f.file])).toContainEqual(['missing-file', gzipIndexName(full.id)]);
    const to = join(sb.dir, 'no-index');
    const r = await run(['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', to, '--salvage']);
    expect(r.stdout, r.stderr).toContain('SALVAGE');
    expect((await readTree(to))['data/filler/f10.txt']).toEqual(last.tree['filler/f10.txt']);
  });

  it('the index not listed in SHA256SUMS: named damage', async () => {
    const full = taken[0]!;
    await reSign(full.id, gzipIndexName(full.id));
    const { code, report } = await verifyJson();
    expect(code).toBe(3);
    expect(damageOf(report, full.id).map((f) => [f.code, f.file])).toContainEqual(['not-covered', gzipIndexName(full.id)]);
  });

  it('a forged index, re-signed: one that does not parse is named by plain verify; one that parses but lies is named by --deep and --sample', async () => {
    const full = taken[0]!;
    const text = await readFile(indexOf(full.id), 'utf8');
    const lines = text.split('\n');
    // Two deflated blocks' boundary moved by 512 bytes of tar: still a well-formed index of the same stream.
    const at = lines.findIndex((l, i) => i >= 2 && l.endsWith('deflated') && lines[i - 1]!.endsWith('deflated'));
    const f = lines[at]!.split('\t');
    f[0] = String(Number(f[0]) + 512);
    await writeFile(indexOf(full.id), [...lines.slice(0, at), f.join('\t'), ...lines.slice(at + 1)].join('\n'));
    await reSign(full.id);
    const plain = await verifyJson();
    expect(damageOf(plain.report, full.id), 'a well-formed index passes plain verify').toEqual([]);
    const deep = await verifyJson('--deep');
    expect(deep.code).toBe(3);
    expect(damageOf(deep.report, full.id).find((x) => x.code === 'tarball-damaged')?.message).toMatch(/inflates|past its indexed size/);
    // The stored bytes are as listed, and still the tar cannot be read past that block: the files
    // of the increments from there on depend on what is lost.
    expect(damageOf(deep.report, full.id).find((x) => x.code === 'chain-dependants')?.dependantFilesTotal).toBeGreaterThan(0);
    const sample = await verifyJson('--sample', '100');
    expect(sample.code).toBe(3);
    expect(damageOf(sample.report, full.id).some((x) => x.code === 'member-damaged' && /compressed tarball does not inflate/.test(x.message))).toBe(true);

    // Cut short by a line: it no longer parses, and plain verify says so.
    await writeFile(indexOf(full.id), text.split('\n').filter((_, i) => i !== 5).join('\n'));
    await reSign(full.id);
    const cut = await verifyJson();
    expect(cut.code).toBe(3);
    expect(damageOf(cut.report, full.id).map((x) => [x.code, x.file])).toContainEqual(['index-invalid', gzipIndexName(full.id)]);
  });
});

describe('format 3: a chain never mixes formats', () => {
  afterAll(resetDrive);

  it('increments of format 3 on a format 2 full: each names the full as a link that is not the snapshot it built on', async () => {
    const [full, mid, last] = taken as [Taken, Taken, Taken];
    await rm(join(drive, 'airgap'), { recursive: true, force: true });
    await cp(join(written, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
    await compressDrive(join(drive, 'airgap'), [mid.id, last.id], { target: TARGET });
    const { code, report } = await verifyJson();
    expect(code).toBe(3);
    for (const t of [mid, last]) {
      const bad = damageOf(report, t.id).find((f) => f.code === 'chain-link-mismatch');
      expect(bad?.message, t.id).toContain(`${full.id}, which is of snapshot format 2, this snapshot of format 3`);
    }
  });
});

describe('format 3 in parts: the stored stream cut into files of 100,000 bytes, blocks straddling them', () => {
  beforeAll(async () => {
    await rm(join(drive, 'airgap'), { recursive: true, force: true });
    await cp(join(written, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
    compressed = await compressDrive(join(drive, 'airgap'), taken.map((t) => t.id), { target: TARGET, partSize: 100_000 });
  });
  afterAll(async () => {
    await rm(join(drive, 'airgap'), { recursive: true, force: true });
    await cp(join(written, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
    compressed = await compressDrive(join(drive, 'airgap'), taken.map((t) => t.id), { target: TARGET });
  });

  it('is stored in parts, with blocks that run across two of them', () => {
    const full = compressed.get(taken[0]!.id)!;
    expect(full.stored.length).toBeGreaterThan(10);
    expect(full.stored[0]).toBe(`${tarballName(taken[0]!.id, false, true)}.000`);
    expect(full.index.blocks.some((b) => Math.floor(b.compressedOffset / 100_000) !== Math.floor((b.compressedOffset + b.compressedLength - 1) / 100_000))).toBe(true);
  });

  it('verifies (plain, deep, a 100% sample) and restores whole, one file and a delta\'d file', async () => {
    for (const extra of [[], ['--deep'], ['--sample', '100']]) {
      const { code, report } = await verifyJson(...extra);
      expect(code, `${extra.join(' ')}: ${JSON.stringify(report.snapshots.map((s) => s.findings))}`).toBe(0);
    }
    const last = taken[2]!;
    const whole = join(sb.dir, 'parts', 'whole');
    expect((await run(['restore', 'A', '--snapshot', last.id, '--to', whole])).code).toBe(0);
    expect(await readTree(join(whole, 'data'), { dirMtimes: true })).toEqual(last.tree);
    const one = join(sb.dir, 'parts', 'one');
    const r = await run(['restore', 'A', '--snapshot', last.id, 'data/filler/f33.txt', 'data/disk.img', '--to', one]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await readTree(one);
    expect([got['data/filler/f33.txt'], got['data/disk.img']]).toEqual([last.tree['filler/f33.txt'], last.tree['disk.img']]);
  });
});
