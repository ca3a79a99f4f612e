// The tarball in parts (FAT drives), end to end through the built CLI:
//
// 1. a folder drive with `--part-size 1M` and ~5 MiB of mixed data (a 3.5 MiB random file,
//    small files, long and non-ASCII names, a symlink, a hard link): the parts and their sizes,
//    the stock tools (`sha256sum -c`, the drive README's own `cat … | tar -xpf -` and
//    `cat … > X.tar` commands, GNU tar and bsdtar), airgap verify/--deep/restore/list; then
//    damage: a flipped byte in one part, a deleted part, a part's line removed from SHA256SUMS,
//    a truncated last part; restore refusing and salvaging; bad --part-size values;
// 2. a real exFAT image (exfat-fuse on a loop device): parts written, verified and restored;
//    no automatic split there;
// 3. a real FAT32 image through `fusefat -o rw+` (the kernel vfat driver is not available in
//    every CI VM): the automatic part size, and airgap's refusal to write on fusefat, whose rename of
//    a non-empty folder loses the folder's contents (airgap's commit is such a rename): it must
//    fail loudly (exit 3), never exit 0 with a snapshot that does not verify, never harm the
//    older snapshots on the drive. (Measured: `mkdir d; echo x > d/f; mv d e` leaves `e` empty
//    on fusefat 0.1a; a stat of e/f still succeeds for about a second from the kernel's dentry
//    cache, so the probe below lists the folder instead.)
//
// Figures: fault-results/fat-parts.json (recordFigures). Real-filesystem parts need root,
// losetup, FUSE and the tools; they are skipped with the reason printed otherwise.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DriveReport, Finding } from '../../src/core/findings.js';
import { FAT_PART_SIZE, MIN_PART_SIZE } from '../../src/layout/format.js';
import { hasFatFileLimit } from '../../src/drives/file-size-limit.js';
import { labelledDrive, makeSandbox, runCli, type CliResult, type Sandbox } from '../helpers/cli.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';
import { recordFigures } from '../helpers/figures.js';
import { makeTree, readTree, type Snapshot, type Tree } from '../helpers/tree.js';
import { readmeAlternative } from '../helpers/readme.js';

const MiB = 1024 * 1024;
const PART = MIN_PART_SIZE; // --part-size 1M
const T = 1_700_000_000;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything the figures file gets, filled in as the scenarios run. */
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures('fat-parts', figures));

/** Runs a system tool; throws with its output when it fails. */
function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** A shell command line, with its status and output (never throws). */
function shell(line: string, cwd: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every CLI run: trouble is reported, never a crash. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const r = await runCli(args, env);
  expect(r.stderr, `airgap ${args.join(' ')} crashed:\n${r.stderr}`).not.toMatch(/^\s+at /m);
  expect(r.stderr, `airgap ${args.join(' ')}`).not.toContain('internal error');
  return r;
}

const noise = (n: number) => randomBytes(n);

/** ~4.7 MiB of mixed data; the small files sort before the big one (archive order), the rest after. */
function sourceTree(): Tree {
  const small: Tree = {};
  for (let i = 0; i < 40; i++) small[`f${String(i).padStart(3, '0')}.txt`] = { file: `small file ${i}\n`.repeat(1 + i * 3), mtime: T + i };
  small['ünïcødé € naïve.txt'] = { file: 'non-ASCII name\n', mtime: T + 50 };
  small['empty'] = { file: '', mtime: T + 51 };
  const longDir = 'a-folder-with-a-rather-long-name-'.repeat(3) + 'x'; // 100 bytes
  const longFile = 'a-file-name-that-does-not-fit-in-a-ustar-header-'.repeat(4) + '.txt'; // 196 bytes
  return {
    '0-small': { dir: small, mtime: T + 60 },
    'big.bin': { file: noise(3.5 * MiB + 13), mtime: T + 61 },
    'empty-dir': { dir: {}, mtime: T + 62 },
    links: { dir: { 'hard-a': { file: 'one inode, two names\n', mtime: T + 63 }, 'hard-b': { hardlink: 'links/hard-a' }, sym: { symlink: '../big.bin' } } },
    long: { dir: { [longDir]: { dir: { [longFile]: { file: 'deep and long\n', mtime: T + 64 } }, mtime: T + 65 } } },
    'm1.bin': { file: noise(400 * 1024), mtime: T + 66 },
    'm2.bin': { file: noise(700 * 1024 + 7), mtime: T + 67 },
    'run.sh': { file: '#!/bin/sh\necho restored\n', mode: 0o755, mtime: T + 68 },
  };
}

/** The drive README's rejoin commands (its "Parts:" and "Join:" alternatives), as written. */
function readmeCommands(readme: string): { join: string; pipe: string } {
  return { join: readmeAlternative(readme, 'Join'), pipe: readmeAlternative(readme, 'Parts') };
}

/** SHA-256 of every file under a folder, by relative path. */
async function hashAll(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(root, p)] = sha256(await readFile(p));
    }
  };
  await walk(root);
  return out;
}

const partOf = (id: string, i: number) => `${id}.tar.${String(i).padStart(3, '0')}`;
const damageOf = (r: DriveReport, id: string): Finding[] => r.snapshots.find((s) => s.id === id)!.findings.filter((f) => f.severity === 'damage');

/** A copy of a Snapshot (readTree) without the given paths (and what is under them). */
function without(tree: Snapshot, ...paths: string[]): Snapshot {
  return Object.fromEntries(Object.entries(tree).filter(([p]) => !paths.some((x) => p === x || p.startsWith(x + '/'))));
}

// =============================================================================================
// 1. A folder drive with --part-size 1M
// =============================================================================================

// Real mounts are seen by every test running at the same time: a name of its own (pid-based),
// so that the real-drive tests elsewhere never find two connected drives of the same name.
const EX = `EX${process.pid.toString(36)}`;

describe('the tarball in parts on a folder drive (--part-size 1M)', () => {
  let sb: Sandbox;
  let drive: string;
  let src: string;
  let id: string;
  let snapDir: string;
  let pristine: string;
  let parts: string[] = [];
  let tarballBytes = 0;
  let srcTree: Snapshot;
  const stock: Record<string, boolean | string> = {};
  const damage: Record<string, unknown> = {};
  const run = (...args: string[]) => cli(sb.env, ...args);

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'data');
    await makeTree(src, sourceTree());
    srcTree = await readTree(src, { dirMtimes: true });
    drive = await labelledDrive(sb, 'A');
    // Format 1: these tests check format 1's files (the plain lists, SHA256SUMS of parts + 3 lines)
    // and run the drive README's cat commands, format 1's procedure (format 2 defers to RESTORE.txt).
    const r = await run('backup', '--format', '1', '--drive', 'A', '--source', src, '--part-size', '1M', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { snapshot: string; dir: string; meta: { tarball: { size: number } } };
    id = out.snapshot;
    snapDir = out.dir;
    tarballBytes = out.meta.tarball.size;
    parts = (await readdir(snapDir)).filter((n) => n.startsWith(`${id}.tar`)).sort();
    pristine = join(sb.dir, 'pristine');
    await cp(snapDir, pristine, { recursive: true, preserveTimestamps: true });
  });

  const figuresFolder: Record<string, unknown> = {};
  afterAll(async () => {
    figures.folderDrive = { ...figuresFolder, parts: parts.length, tarballBytes, stockTools: stock, damageDetected: damage };
    await sb?.cleanup();
  });

  /** Puts the snapshot back as it was written (each damage case starts from it). */
  async function undamage(): Promise<void> {
    await rm(snapDir, { recursive: true, force: true });
    await cp(pristine, snapDir, { recursive: true, preserveTimestamps: true });
  }

  async function verifyJson(...extra: string[]): Promise<{ code: number; report: DriveReport; findings: Finding[] }> {
    const r = await run('verify', 'A', '--json', ...extra);
    const report = JSON.parse(r.stdout) as DriveReport;
    return { code: r.code, report, findings: damageOf(report, id) };
  }

  it('writes parts of exactly 1 MiB but the last, listed in SHA256SUMS and snapshot.json', async () => {
    const names = (await readdir(snapDir)).sort();
    expect(parts.length, names.join(' ')).toBe(5);
    expect(parts).toEqual([0, 1, 2, 3, 4].map((i) => partOf(id, i)));
    expect(names).not.toContain(`${id}.tar`);
    expect(names).toEqual([...parts, 'FILES.sha256', 'MANIFEST.tsv', 'SHA256SUMS', 'snapshot.json']);
    const contents = await Promise.all(parts.map((p) => readFile(join(snapDir, p))));
    const sizes = contents.map((c) => c.length);
    expect(sizes.slice(0, -1).every((s) => s === PART), sizes.join(',')).toBe(true);
    expect(sizes.at(-1)!).toBeGreaterThan(0);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(PART);
    const whole = Buffer.concat(contents);
    expect(whole.length % 512).toBe(0);

    const meta = JSON.parse(await readFile(join(snapDir, 'snapshot.json'), 'utf8')) as {
      tarball: { name: string; size: number; sha256: string; parts: { name: string; size: number; sha256: string }[] };
      bytes: { tarball: number };
      counts: { files: number; hardlinks: number; symlinks: number };
    };
    expect(meta.tarball).toEqual({
      name: `${id}.tar`, size: whole.length, sha256: sha256(whole),
      parts: parts.map((name, i) => ({ name, size: sizes[i], sha256: sha256(contents[i]!) })),
    });
    expect(meta.bytes.tarball).toBe(whole.length);
    expect(meta.counts).toMatchObject({ hardlinks: 1, symlinks: 1 });

    const sums = (await readFile(join(snapDir, 'SHA256SUMS'), 'utf8')).trimEnd().split('\n');
    expect(sums.slice(0, 5)).toEqual(parts.map((p, i) => `${sha256(contents[i]!)}  ${p}`));
    expect(sums.slice(5).map((l) => l.split('  ')[1])).toEqual(['MANIFEST.tsv', 'FILES.sha256', 'snapshot.json']);
    figuresFolder.partSizes = sizes;
    expect(whole.length).toBe(tarballBytes);
  });

  it('stock tools: sha256sum -c, the README\'s cat commands with GNU tar and bsdtar, then sha256sum -c FILES.sha256', async () => {
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
    expect(sums.status, sums.stdout + sums.stderr).toBe(0);
    expect(sums.stdout.trim().split('\n')).toEqual([...parts.map((p) => `${p}: OK`), 'MANIFEST.tsv: OK', 'FILES.sha256: OK', 'snapshot.json: OK']);
    stock.sha256sumSHA256SUMS = true;

    // The README on the drive, run as written, with what its step 0 and 1 set: DRIVE, TARGET, SNAP.
    const readme = await readFile(join(drive, 'airgap', 'README.txt'), 'utf8');
    const { join: joinCmd, pipe } = readmeCommands(readme);
    const work = join(sb.dir, 'stock');
    await mkdir(join(work, 'restored'), { recursive: true });
    const readmeEnv = { DRIVE: drive, SNAP: id, TARGET: join(work, 'restored'), HOME: work };

    const piped = shell(pipe, sb.dir, readmeEnv);
    expect(piped.status, `${pipe}\n${piped.stderr}`).toBe(0);
    expect(piped.stderr).toBe('');
    expect(await readTree(join(work, 'restored', 'data'), { dirMtimes: true })).toEqual(srcTree);
    const files = shell(`sha256sum -c ${join(snapDir, 'FILES.sha256')}`, join(work, 'restored'));
    expect(files.status, files.stdout + files.stderr).toBe(0);
    expect(files.stdout).not.toMatch(/FAILED/);
    stock.gnuTarFromCatPipe = true;
    stock.sha256sumFILES = true;

    const joined = shell(joinCmd, sb.dir, readmeEnv);
    expect(joined.status, `${joinCmd}\n${joined.stderr}`).toBe(0);
    const tarFile = join(work, `${id}.tar`);
    const meta = JSON.parse(await readFile(join(snapDir, 'snapshot.json'), 'utf8')) as { tarball: { sha256: string; size: number } };
    expect(sha256(await readFile(tarFile))).toBe(meta.tarball.sha256);
    stock.catJoinedMatchesTarballSha256 = true;
    if (has('bsdtar')) {
      await mkdir(join(work, 'bsd'));
      const bsd = spawnSync('bsdtar', ['-xf', tarFile, '-C', join(work, 'bsd')], { encoding: 'utf8' });
      expect(bsd.status, bsd.stderr).toBe(0);
      expect(bsd.stderr).toBe('');
      expect(await readTree(join(work, 'bsd', 'data'), { dirMtimes: true })).toEqual(srcTree);
      const bsdSums = shell(`sha256sum -c ${join(snapDir, 'FILES.sha256')}`, join(work, 'bsd'));
      expect(bsdSums.status, bsdSums.stdout + bsdSums.stderr).toBe(0);
      stock.bsdtarOnJoined = true;
    } else {
      console.log('bsdtar missing: the bsdtar check of the joined tarball is skipped');
      stock.bsdtarOnJoined = 'skipped: bsdtar missing';
    }
  });

  it('airgap verify, verify --deep, restore, a partial restore and list read the parts as one stream', async () => {
    const plain = await run('verify', 'A');
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`${id}  OK`);
    const deep = await verifyJson('--deep');
    expect(deep.code).toBe(0);
    const s = deep.report.snapshots.find((x) => x.id === id)!;
    expect(s.findings).toEqual([]);
    expect(s.status).toBe('ok');
    expect(s.bytesRead).toBe(tarballBytes);
    expect(s.membersChecked).toBe(Object.keys(srcTree).length + 1); // + the top-level folder

    const to = join(sb.dir, 'restore-all');
    const r = await run('restore', 'A', '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readTree(join(to, 'data'), { dirMtimes: true })).toEqual(srcTree);
    const files = shell(`sha256sum -c ${join(snapDir, 'FILES.sha256')}`, to);
    expect(files.status, files.stdout + files.stderr).toBe(0);

    const some = join(sb.dir, 'restore-some');
    const p = await run('restore', 'A', 'data/long', '--to', some);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(await readdir(join(some, 'data'))).toEqual(['long']);
    const longPart = Object.fromEntries(Object.entries(srcTree).filter(([k]) => k.startsWith('long/')).map(([k, v]) => [k.slice('long/'.length), v]));
    expect(await readTree(join(some, 'data', 'long'), { dirMtimes: true })).toEqual(longPart);

    const l = await run('list', 'A', '--json');
    expect(l.code, l.stderr).toBe(0);
    const listed = JSON.parse(l.stdout) as { snapshots: { id: string; state: string; files?: number; bytes?: number }[]; leftovers: string[] };
    const fileCount = Object.values(srcTree).filter((e) => e.type === 'file').length - 1; // hard-b is a link
    expect(listed.snapshots).toEqual([expect.objectContaining({ id, state: 'complete', files: fileCount })]);
    expect(listed.leftovers).toEqual([]);
  });

  let bananaStderr = '';
  it('--part-size 1k, banana, 1023k, 5G: usage errors (exit 2) that write nothing', async () => {
    const before = (await readdir(join(drive, 'airgap'))).sort();
    for (const bad of ['1k', 'banana', '1023k', '5G']) {
      const r = await run('backup', '--drive', 'A', '--source', src, '--part-size', bad);
      expect(r.code, `--part-size ${JSON.stringify(bad)}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: --part-size .* is not a size between 1M and 4G/m);
      expect(r.stderr).toMatch(/^hint: /m);
      if (bad === 'banana') bananaStderr = r.stderr;
    }
    const j = await run('backup', '--drive', 'A', '--source', src, '--part-size', '1k', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'bad-part-size', exitCode: 2 } });
    expect((await readdir(join(drive, 'airgap'))).sort()).toEqual(before);
    figuresFolder.badPartSizesRefused = ['1k', 'banana', '1023k', '5G'];
  });

  it('every --part-size example the CLI itself gives (--help, the error hint) is accepted', async () => {
    const help = await run('backup', '--help');
    const bad = { stderr: bananaStderr };
    expect(bad.stderr).toMatch(/^hint: /m);
    const examples = new Set<string>();
    for (const m of (help.stdout + help.stderr).matchAll(/--part-size <size>[\s\S]*?\(e\.g\. (\S+?)[;,)]/g)) examples.add(m[1]!);
    for (const m of bad.stderr.matchAll(/--part-size (\d\S*)/g)) examples.add(m[1]!);
    for (const m of bad.stderr.matchAll(/\bor (\d+[KMGT])\b/g)) examples.add(m[1]!);
    expect([...examples].length, help.stdout + bad.stderr).toBeGreaterThan(0);
    const refused: string[] = [];
    for (const ex of examples) {
      const r = await run('backup', '--drive', 'A', '--source', src, '--part-size', ex, '--dry-run');
      if (r.code !== 0) refused.push(`--part-size ${ex} → exit ${r.code}: ${r.stderr.split('\n')[0]}`);
    }
    figuresFolder.helpExamplesRefused = refused;
    expect(refused, `examples given by the CLI: ${[...examples].join(', ')}`).toEqual([]);
  });

  describe('damage', () => {
    beforeEach(undamage);

    it('a flipped byte in part .001: verify names the part, --deep the member; restore refuses, --salvage restores the rest', async () => {
      // Where big.bin's content lies in the whole stream: it must cover part .001 entirely.
      const joined = join(sb.dir, 'joined.tar');
      await writeFile(joined, Buffer.concat(await Promise.all(parts.map((p) => readFile(join(snapDir, p))))));
      const dataAt = await offsetOfMember(joined, 'data/big.bin');
      expect(dataAt).toBeGreaterThan(0);
      expect(dataAt).toBeLessThan(PART);
      expect(dataAt + 3.5 * MiB).toBeGreaterThan(2 * PART);
      await flipByte(join(snapDir, parts[1]!), 4321);

      const stockCheck = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
      expect(stockCheck.status).not.toBe(0);
      expect(stockCheck.stdout).toContain(`${parts[1]}: FAILED`);
      expect(stockCheck.stdout.match(/FAILED/g)).toHaveLength(1);

      const human = await run('verify', 'A');
      expect(human.code, human.stdout).toBe(3);
      expect(human.stdout).toContain(parts[1]);
      const plain = await verifyJson();
      expect(plain.code).toBe(3);
      expect(plain.findings).toEqual([expect.objectContaining({ code: 'checksum-mismatch', file: parts[1] })]);

      const deep = await verifyJson('--deep');
      expect(deep.code).toBe(3);
      expect(deep.findings.filter((f) => f.member)).toEqual([expect.objectContaining({ code: 'member-damaged', member: 'data/big.bin' })]);
      expect(deep.findings.filter((f) => !f.member)).toEqual([expect.objectContaining({ code: 'checksum-mismatch', file: parts[1] })]);
      expect(deep.findings.find((f) => f.member)!.message).toContain('data/big.bin');

      const refusedTo = join(sb.dir, 'restore-refused');
      const refused = await run('restore', 'A', '--to', refusedTo);
      expect(refused.code, refused.stdout + refused.stderr).toBe(3);
      expect(refused.stderr).toMatch(/^error: .*failed verification/m);
      expect(refused.stderr).toMatch(/--salvage/);
      expect(await readdir(refusedTo).catch(() => [])).toEqual([]);

      const salvageTo = join(sb.dir, 'restore-salvage');
      const salvage = await run('restore', 'A', '--to', salvageTo, '--salvage', '--json');
      expect(salvage.code, salvage.stderr).toBe(3);
      const out = JSON.parse(salvage.stdout) as { report: { damaged: { path: string }[]; refused: unknown[]; brokenAt?: unknown } };
      expect(out.report.damaged.map((d) => d.path)).toEqual(['data/big.bin']);
      expect(out.report.refused).toEqual([]);
      expect(out.report.brokenAt).toBeUndefined();
      expect(await readTree(join(salvageTo, 'data'), { dirMtimes: true })).toEqual(without(srcTree, 'big.bin'));
      Object.assign(damage, { flippedByteInPart001: { sha256sumC: 'FAILED on that part', verify: 'part named', deep: 'data/big.bin named', restore: 'refused (3)', salvage: 'everything else restored' } });
    });

    it('a deleted part: verify (plain and deep) names it, exit 3', async () => {
      await unlink(join(snapDir, parts[2]!));
      for (const mode of [[], ['--deep']]) {
        const v = await verifyJson(...mode);
        expect(v.code).toBe(3);
        expect(v.findings).toContainEqual(expect.objectContaining({ code: 'missing-file', file: parts[2] }));
        expect(v.findings.find((f) => f.code === 'missing-file')!.message).toContain(parts[2]);
      }
      const stockCheck = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
      expect(stockCheck.status).not.toBe(0);
      damage.deletedPart = { verify: 'part named (missing-file)', sha256sumC: 'fails' };
    });

    it('a deleted part: restore --salvage restores the files before the gap, reports the rest, no crash', async () => {
      await unlink(join(snapDir, parts[2]!));
      const to = join(sb.dir, 'restore-gap');
      const r = await runCli(['restore', 'A', '--to', to, '--salvage', '--json'], sb.env);
      damage.deletedPartSalvage = r.code === 3 && !/internal error/.test(r.stderr) ? 'exit 3, files before the gap restored' : `exit ${r.code}: ${r.stderr.split('\n').slice(0, 2).join(' | ')}`;
      expect(r.stderr, 'restore --salvage with a missing part crashed').not.toContain('internal error');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.code, r.stderr).toBe(3);
      // Everything in 0-small lies wholly in part .000, before the missing .002.
      const small = Object.fromEntries(Object.entries(srcTree).filter(([k]) => k.startsWith('0-small/')));
      const got = await readTree(join(to, 'data'), { dirMtimes: true });
      for (const [k, v] of Object.entries(small)) expect(got[k], k).toEqual(v);
      // Whatever was restored is exactly the source's.
      for (const [k, v] of Object.entries(got)) if (v.type === 'file') expect(v.content, k).toBe(srcTree[k]?.content);
      expect(got['big.bin']).toBeUndefined();
    });

    it('a part\'s line removed from SHA256SUMS: exit 3 (sha256sum -c alone cannot see it)', async () => {
      const sumsPath = join(snapDir, 'SHA256SUMS');
      const original = await readFile(sumsPath, 'utf8');
      const seen: Record<string, unknown> = {};
      for (const gone of [parts[1]!, parts[4]!]) {
        await writeFile(sumsPath, original.split('\n').filter((l) => !l.endsWith(`  ${gone}`)).join('\n'));
        const v = await verifyJson();
        expect(v.code, `without the line of ${gone}`).toBe(3);
        const codes = v.findings.map((f) => f.code);
        expect(codes, gone).toContain('meta-mismatch');
        if (gone !== parts[4]) expect(codes, gone).toContain('parts-missing');
        const all = v.report.snapshots.find((s) => s.id === id)!.findings;
        expect(all).toContainEqual(expect.objectContaining({ code: 'unlisted-file', file: gone }));
        // A finding that names a part must tell that part's own size (every part is intact here).
        for (const f of v.findings.filter((x) => x.code === 'size-mismatch' && x.file && parts.includes(x.file))) {
          expect.soft(f.actual, `${f.message} (without the line of ${gone})`).toBe(String((await stat(join(snapDir, f.file!))).size));
        }
        const stockCheck = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
        seen[gone.slice(-3)] = { airgap: codes, sha256sumCExit: stockCheck.status };
      }
      await writeFile(sumsPath, original);
      damage.partLineRemoved = seen;
    });

    it('a truncated last part: exit 3 naming the part (plain and deep)', async () => {
      const last = parts.at(-1)!;
      const size = (await stat(join(snapDir, last))).size;
      await truncate(join(snapDir, last), size - 1000);
      for (const mode of [[], ['--deep']]) {
        const v = await verifyJson(...mode);
        expect(v.code).toBe(3);
        expect(v.findings).toContainEqual(expect.objectContaining({ code: 'size-mismatch', file: last, expected: String(size), actual: String(size - 1000) }));
        expect(v.findings.find((f) => f.file === last)!.message).toContain(last);
      }
      damage.truncatedLastPart = 'size-mismatch naming the part';
    });
  });
});

// =============================================================================================
// Real filesystems: what can run here
// =============================================================================================

function rootReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/dev/fuse')) return '/dev/fuse missing';
  for (const tool of ['findmnt', 'umount', 'sha256sum', 'truncate']) if (!has(tool)) return `${tool} missing`;
  return undefined;
}
const ROOT_SKIP = rootReason();
function exfatReason(): string | undefined {
  if (ROOT_SKIP) return ROOT_SKIP;
  for (const tool of ['losetup', 'mkfs.exfat', 'mount.exfat-fuse']) if (!has(tool)) return `${tool} missing`;
  const free = spawnSync('losetup', ['-f'], { encoding: 'utf8' });
  if (free.status !== 0) return `losetup -f fails (${(free.stderr || free.error?.message || '').trim() || `exit ${free.status}`})`;
  return undefined;
}
const EXFAT_SKIP = exfatReason();
const FUSEFAT_SKIP = ROOT_SKIP ?? (!has('fusefat') ? 'fusefat missing (apt-get install fusefat)' : !has('mkfs.vfat') ? 'mkfs.vfat missing (dosfstools)' : undefined);
if (EXFAT_SKIP) {
  console.log(`skipping the exFAT parts test: ${EXFAT_SKIP}`);
  figures.exfat = `skipped: ${EXFAT_SKIP}`;
}
if (FUSEFAT_SKIP) {
  console.log(`skipping the FAT32 (fusefat) test: ${FUSEFAT_SKIP}`);
  figures.fusefat = `skipped: ${FUSEFAT_SKIP}`;
}

// Mounts and loop devices of this file, released in afterAll even when a test fails.
const mounts: string[] = [];
const loops: string[] = [];
afterAll(async () => {
  for (const m of [...mounts].reverse()) spawnSync('umount', ['-l', m]);
  for (const l of [...loops].reverse()) spawnSync('losetup', ['-d', l]);
  mounts.length = 0;
  loops.length = 0;
});

function unmount(mnt: string): void {
  sh('umount', [mnt]);
  mounts.splice(mounts.indexOf(mnt), 1);
}

/** Pids of processes whose command line names this file (a FUSE daemon serving an image). */
function daemonsOf(path: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(path)) found.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitNoDaemon(img: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (daemonsOf(img).length > 0) {
    if (Date.now() > until) throw new Error(`the FUSE daemon of ${img} is still running`);
    await sleep(50);
  }
}

// =============================================================================================
// 2. exFAT through FUSE on a loop device
// =============================================================================================

describe.skipIf(EXFAT_SKIP)('a real exFAT drive (exfat-fuse on a loop device)', () => {
  let dir: string;
  let env: Record<string, string>;
  const result: Record<string, unknown> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-exfat-parts-'));
    env = { AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_MOUNT_ROOTS: join(dir, 'mnt'), XDG_CONFIG_HOME: join(dir, 'config') };
  });
  let loop: string | undefined;
  afterAll(async () => {
    figures.exfat = result;
    for (const m of mounts.filter((x) => dir && x.startsWith(dir))) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
      mounts.splice(mounts.indexOf(m), 1);
    }
    if (loop) {
      spawnSync('losetup', ['-d', loop]);
      loops.splice(loops.indexOf(loop), 1);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('label, backup --part-size 1M, verify --deep, sha256sum -c, restore identical; no automatic split on exFAT', async () => {
    const img = join(dir, 'ex.img');
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.exfat', ['-L', 'AGPARTS', img]);
    loop = sh('losetup', ['-f', '--show', img]).trim();
    loops.push(loop);
    // blkid answers from its cache for a just-reused loop device node (see drive-trouble.test.ts).
    spawnSync('touch', ['-m', '-d', '+15 seconds', loop]);
    const mnt = join(dir, 'mnt', 'ex');
    await mkdir(mnt, { recursive: true });
    sh('mount.exfat-fuse', [loop, mnt]);
    mounts.push(mnt);
    const src = join(dir, 'data');
    await makeTree(src, sourceTree());
    const srcTree = await readTree(src, { dirMtimes: true });

    const label = await cli(env, 'label', mnt, '--name', EX, '--yes');
    expect(label.code, label.stderr).toBe(0);
    const drives = await cli(env, 'drives', '--json');
    const found = (JSON.parse(drives.stdout) as { labelled: { name: string; root: string; fingerprint?: { fsType?: string } }[] }).labelled.find((d) => d.name === EX);
    expect(found?.root).toBe(mnt);
    // What backup decides from: no FAT file limit on exFAT.
    expect(await hasFatFileLimit(join(mnt, 'airgap'), found?.fingerprint?.fsType, 'linux')).toBe(false);
    result.fsType = { fingerprint: found?.fingerprint?.fsType ?? null, findmnt: sh('findmnt', ['-n', '-o', 'FSTYPE', mnt]).trim() };

    const b = await cli(env, 'backup', '--drive', EX, '--source', src, '--part-size', '1M', '--json');
    expect(b.code, b.stderr).toBe(0);
    const { snapshot: id, dir: snapDir } = JSON.parse(b.stdout) as { snapshot: string; dir: string };
    const names = (await readdir(snapDir)).sort();
    const parts = names.filter((n) => n.startsWith(`${id}.tar.`));
    expect(parts).toEqual([0, 1, 2, 3, 4].map((i) => partOf(id, i)));
    const sizes = await Promise.all(parts.map(async (p) => (await stat(join(snapDir, p))).size));
    expect(sizes.slice(0, -1).every((s) => s === PART)).toBe(true);

    const v = await cli(env, 'verify', EX, '--deep');
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`${id}  OK`);
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' });
    expect(sums.status, sums.stdout + sums.stderr).toBe(0);
    // Format 2 (the default): the parts, then MANIFEST.tsv.gz, FILES.sha256.gz, REMOVE.nul, RESTORE.txt and snapshot.json.
    expect(sums.stdout.trim().split('\n')).toHaveLength(parts.length + 5);

    const to = join(dir, 'restored');
    const r = await cli(env, 'restore', EX, '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readTree(join(to, 'data'), { dirMtimes: true })).toEqual(srcTree);
    const files = shell(`gunzip -t ${join(snapDir, 'FILES.sha256.gz')} && gunzip -c ${join(snapDir, 'FILES.sha256.gz')} | sha256sum -c`, to);
    expect(files.status, files.stdout + files.stderr).toBe(0);

    // Without --part-size: one plain tarball (exFAT holds files far beyond 4 GiB).
    const plain = await cli(env, 'backup', '--drive', EX, '--source', src, '--json');
    expect(plain.code, plain.stderr).toBe(0);
    const second = JSON.parse(plain.stdout) as { snapshot: string; dir: string; meta: { tarball: { parts?: unknown } } };
    expect((await readdir(second.dir)).filter((n) => n.includes('.tar'))).toEqual([`${second.snapshot}.tar`]);
    expect(second.meta.tarball.parts).toBeUndefined();
    Object.assign(result, { parts: parts.length, partSizes: sizes, verifyDeep: 'ok', sha256sumC: 'ok', restoreIdentical: true, automaticSplit: false });
  });
});

// =============================================================================================
// 3. FAT32 through fusefat
// =============================================================================================

describe.skipIf(FUSEFAT_SKIP)('a real FAT32 drive through fusefat', () => {
  let dir: string;
  let img: string;
  let mountRoot: string;
  let mnt: string;
  let env: Record<string, string>;
  const result: Record<string, unknown> = {};

  function mountFat(readWrite: boolean): void {
    // fusefat daemonizes with our stdio: give it a log file, never a pipe spawnSync would wait on.
    const log = openSync(join(dir, 'fusefat.log'), 'a');
    try {
      const r = spawnSync('fusefat', ['-o', readWrite ? 'rw+' : 'ro', img, mnt], { stdio: ['ignore', log, log] });
      if (r.status !== 0) throw new Error(`fusefat failed (${r.status ?? r.signal}): ${readFileSync(join(dir, 'fusefat.log'), 'utf8')}`);
    } finally {
      closeSync(log);
    }
    mounts.push(mnt);
    expect(sh('findmnt', ['-n', '-o', 'FSTYPE', mnt]).trim()).toBe('fuse.fusefat');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-fusefat-'));
    mountRoot = join(dir, 'mnt');
    mnt = join(mountRoot, 'fat');
    await mkdir(mnt, { recursive: true });
    img = join(dir, 'fat32.img');
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.vfat', ['-F', '32', '-n', 'AGFAT', img]);
    env = { AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_MOUNT_ROOTS: mountRoot, XDG_CONFIG_HOME: join(dir, 'config') };
  });
  afterAll(async () => {
    figures.fusefat = result;
    if (mounts.includes(mnt)) spawnSync('umount', ['-l', mnt]);
    mounts.splice(0, mounts.length, ...mounts.filter((m) => m !== mnt));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('automatic part size; a backup fails loudly (or verifies), older snapshots are unharmed', async () => {
    mountFat(true);

    // What fusefat does to a renamed non-empty folder (airgap's commit renames .partial-<ID>).
    const probe = join(mnt, 'probe');
    await mkdir(join(probe, 'd'), { recursive: true });
    await writeFile(join(probe, 'd', 'f'), 'x\n');
    sh('mv', [join(probe, 'd'), join(probe, 'e')]);
    // readdir asks fusefat; a stat right after the rename would be answered by the kernel's
    // dentry cache (which moved e/f along) for about a second.
    const renameLosesContents = !readdirSync(join(probe, 'e')).includes('f');
    await rm(probe, { recursive: true, force: true });
    result.renameOfNonEmptyFolderLosesContents = renameLosesContents;

    // An older snapshot on the drive, written elsewhere (e.g. where the kernel mounts FAT) and
    // copied on file by file, the way `cp -r` does (no folder renames).
    const older = await makeSandbox();
    let oldId: string;
    try {
      const oldSrc = join(older.dir, 'old-data');
      await makeTree(oldSrc, { 'a.txt': 'older snapshot\n', 'b.bin': noise(2 * MiB + 5), sub: { dir: { 'c.txt': 'c\n' } } });
      const oldDrive = await labelledDrive(older, 'F');
      const ob = await older.run('backup', '--drive', 'F', '--source', oldSrc, '--part-size', '1M', '--json');
      expect(ob.code, ob.stderr).toBe(0);
      oldId = (JSON.parse(ob.stdout) as { snapshot: string }).snapshot;
      sh('cp', ['-r', join(oldDrive, 'airgap'), mnt + '/']);
    } finally {
      await older.cleanup();
    }
    const oldDir = join(mnt, 'airgap', oldId);
    const oldHashes = await hashAll(oldDir);
    expect(Object.keys(oldHashes).filter((n) => n.startsWith(`${oldId}.tar.`))).toHaveLength(3);
    const ov = await cli(env, 'verify', 'F', '--deep');
    expect(ov.code, ov.stdout + ov.stderr).toBe(0);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: oldDir }).status).toBe(0);

    // The part size is chosen from the drive: dry run first (does it say?), then the decision
    // function backup.ts calls, with what the drive listing knows of this drive.
    const drives = await cli(env, 'drives', '--json');
    const found = (JSON.parse(drives.stdout) as { labelled: { name: string; root: string; fingerprint?: { fsType?: string } }[] }).labelled.find((d) => d.name === 'F');
    expect(found?.root).toBe(mnt);
    const src = join(dir, 'new-data');
    await makeTree(src, { 'new.txt': 'written through fusefat\n', 'n.bin': noise(64 * 1024), deeper: { dir: { 'd.txt': 'd\n' } } });
    const dr = await cli(env, 'backup', '--drive', 'F', '--source', src, '--dry-run', '--json');
    expect(dr.code, dr.stderr).toBe(0);
    const dryOut = JSON.parse(dr.stdout) as Record<string, unknown>;
    const reportedKey = Object.keys(dryOut).find((k) => /part/i.test(k));
    result.dryRunReportsPartSize = reportedKey ? dryOut[reportedKey] : false;
    if (reportedKey) expect(dryOut[reportedKey]).toBe(FAT_PART_SIZE);
    const fat = await hasFatFileLimit(join(mnt, 'airgap'), found?.fingerprint?.fsType, 'linux');
    expect(fat, `the fusefat mount (findmnt: ${sh('findmnt', ['-n', '-o', 'FSTYPE', mnt]).trim()}) is not seen as FAT`).toBe(true);
    result.fatFileLimitSeen = fat; // what backup.ts decides from: parts of FAT_PART_SIZE
    result.automaticPartSize = fat ? FAT_PART_SIZE : null;

    // The backup.
    const started = Date.now();
    const b = await cli(env, 'backup', '--drive', 'F', '--source', src);
    result.backup = { exit: b.code, seconds: (Date.now() - started) / 1000, stderr: b.stderr.trim().split('\n').slice(0, 2) };
    // airgap knows fusefat loses renamed folders: it refuses before writing anything.
    expect(b.code, b.stderr).toBe(4);
    expect(b.stderr).toMatch(/^error: drive F is mounted with fusefat, which loses the contents of renamed folders/m);
    expect(b.stderr).toMatch(/^hint: .*kernel FAT driver/m);
    expect(b.stderr).not.toMatch(/^\s+at /m);
    const after = (await readdir(join(mnt, 'airgap'))).sort();
    const newIds = after.filter((n) => /^\d{4}-\d{2}-\d{2}T\d{6}Z/.test(n) && n !== oldId);
    result.leftOnDrive = after;
    expect(newIds, after.join(' ')).toEqual([]);
    expect(after.filter((n) => n.startsWith('.partial-') || n === '.lock')).toEqual([]);
    // Reading through fusefat stays allowed: the whole drive still verifies.
    const whole = await cli(env, 'verify', 'F');
    result.verifyWholeDriveAfter = whole.code;
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    if (renameLosesContents) result.renameLosesContents = true;

    // The older snapshot: every byte unchanged, verifies deep, also after the image is unmounted
    // and mounted again (read-only).
    expect(await hashAll(oldDir)).toEqual(oldHashes);
    const again = await cli(env, 'verify', 'F', '--snapshot', oldId, '--deep');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    unmount(mnt);
    await waitNoDaemon(img);
    if (has('fsck.vfat')) {
      const fsck = spawnSync('fsck.vfat', ['-n', img], { encoding: 'utf8' });
      result.fsckAfter = { exit: fsck.status, output: (fsck.stdout + fsck.stderr).trim().split('\n').filter((x) => !/^fsck\.fat \d/.test(x)) };
    }
    mountFat(false);
    expect(await hashAll(oldDir)).toEqual(oldHashes);
    const remounted = await cli(env, 'verify', 'F', '--snapshot', oldId, '--deep');
    expect(remounted.code, remounted.stdout + remounted.stderr).toBe(0);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: oldDir }).status).toBe(0);
    result.olderSnapshot = 'unharmed: same bytes, verify --deep and sha256sum -c OK after a remount';
    unmount(mnt);
    await waitNoDaemon(img);
  });
});
