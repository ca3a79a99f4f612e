// `verify --sample N%` end to end: a format 2 history (a full of 41 files and an increment)
// written by the built CLI, checked by reading a random share of each tarball's own members at
// their offsets; then a flipped byte, a forged offset in a re-signed manifest, a format 1
// snapshot (read whole, with a note), the catalog (a clean sample is no verification), and the
// values the option refuses.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { sha256 } from '../helpers/bytes.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';
import type { DriveReport, Finding, SnapshotReport } from '../../src/core/findings.js';
import { sampleSize } from '../../src/verify/sample-check.js';
import { MANIFEST_GZ, readManifestV2, writeManifestV2 } from '../helpers/v2-lists.js';

const SMALL = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
const VICTIM = 'src/f07.txt';

let sb: Sandbox;
let src: string;
let pristine: string;
let drive: string;
let ids: string[];

const run = (...args: string[]): Promise<CliResult> => runChecked(sb, args);

async function backup(name: string, ...extra: string[]): Promise<string> {
  const r = await run('backup', '--drive', name, '--source', src, '--json', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
}

async function verifyJson(name: string, ...extra: string[]): Promise<{ code: number; report: DriveReport }> {
  const r = await run('verify', name, '--json', ...extra);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

const snapDir = (id: string) => join(drive, 'airgap', id);
const snap = (report: DriveReport, id: string): SnapshotReport => report.snapshots.find((s) => s.id === id)!;
const damageOf = (report: DriveReport, id: string): Finding[] => snap(report, id).findings.filter((f) => f.severity === 'damage');

/** The manifest's lines as fields (data lines only). */
async function manifest(id: string): Promise<string[][]> {
  return (await readManifestV2(snapDir(id))).split('\n').slice(2).filter(Boolean).map((l) => l.split('\t'));
}
/** The file lines whose content is in this snapshot's own tarball: what a sample draws from. */
const ownFiles = async (id: string) => (await manifest(id)).filter((f) => f[0] === 'f' && f[9] === '.');

async function restoreDrive(): Promise<void> {
  await rm(join(drive, 'airgap'), { recursive: true, force: true });
  await cp(join(pristine, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
}

/** Rewrites one manifest line and re-hashes the manifest into SHA256SUMS, as a forger would. */
async function forgeManifestLine(id: string, path: string, edit: (fields: string[]) => void): Promise<void> {
  const lines = (await readManifestV2(snapDir(id))).split('\n');
  const i = lines.findIndex((l) => l.split('\t')[7] === path);
  expect(i).toBeGreaterThan(1);
  const f = lines[i]!.split('\t');
  edit(f);
  lines[i] = f.join('\t');
  await writeManifestV2(snapDir(id), lines.join('\n'));
  const sums = join(snapDir(id), 'SHA256SUMS');
  const hash = sha256(await readFile(join(snapDir(id), MANIFEST_GZ)));
  await writeFile(sums, (await readFile(sums, 'utf8')).split('\n').map((l) => (l.endsWith(`  ${MANIFEST_GZ}`) ? `${hash}  ${MANIFEST_GZ}` : l)).join('\n'));
}

/** What the catalog says of a drive's verifications (the rest, such as when it was last seen, changes on every run). */
const catalogEntry = async (name: string) => {
  const c = JSON.parse(await readFile(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')) as { drives: { name: string; lastVerifiedAt?: string; lastVerifyOk?: boolean; snapshots: { id: string; verifiedAt?: string; verifyOk?: boolean; deep?: boolean }[] }[] };
  const d = c.drives.find((x) => x.name === name)!;
  return { lastVerifiedAt: d.lastVerifiedAt, lastVerifyOk: d.lastVerifyOk, snapshots: d.snapshots.map((s) => ({ id: s.id, verifiedAt: s.verifiedAt, verifyOk: s.verifyOk, deep: s.deep })) };
};

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, {
    'big.bin': Buffer.alloc(200_000, 7),
    ...Object.fromEntries(SMALL.map((n, i) => [n, `file ${i}\n`.repeat(i + 1)])),
  });
  drive = await labelledDrive(sb, 'A');
  ids = [await backup('A', '--format', '2')];
  await writeFile(join(src, 'f01.txt'), 'changed for the increment\n');
  await writeFile(join(src, 'new.txt'), 'added in the increment\n');
  ids.push(await backup('A', '--format', '2'));
  pristine = join(sb.dir, 'pristine');
  await cp(join(drive, 'airgap'), join(pristine, 'airgap'), { recursive: true, preserveTimestamps: true });
});

afterAll(async () => {
  await sb?.cleanup();
});

describe('verify --sample on a clean format 2 drive', () => {
  it('--sample 50% reads half of each tarball\'s own files, and passes', async () => {
    const { code, report } = await verifyJson('A', '--sample', '50%');
    expect(code, JSON.stringify(report.snapshots.map((s) => s.findings))).toBe(0);
    const full = (await ownFiles(ids[0]!)).length;
    const inc = (await ownFiles(ids[1]!)).length;
    expect([full, inc]).toEqual([41, 2]); // the increment carries the 39 files it did not change
    expect(snap(report, ids[0]!)).toMatchObject({ status: 'ok', deep: false, sampled: { members: 21, of: 41 } });
    expect(snap(report, ids[1]!)).toMatchObject({ status: 'ok', deep: false, sampled: { members: 1, of: 2 } });
    // The tarball is not read whole: what is read is the sampled members' content.
    const tarSize = (await stat(join(snapDir(ids[0]!), `${ids[0]}.tar`))).size;
    expect(snap(report, ids[0]!).bytesRead).toBe(snap(report, ids[0]!).sampled!.bytes);
    expect(snap(report, ids[0]!).bytesRead).toBeLessThan(tarSize);

    const text = await run('verify', 'A', '--sample', '50');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${ids[0]}  OK \\(sampled 21 of 41 files, `));
  });

  it('--sample 100% reads every own member, and all of their bytes', async () => {
    const { code, report } = await verifyJson('A', '--sample', '100%');
    expect(code).toBe(0);
    for (const id of ids) {
      const own = await ownFiles(id);
      const bytes = own.reduce((n, f) => n + Number(f[4]), 0);
      expect(snap(report, id).sampled).toEqual({ members: own.length, of: own.length, bytes });
    }
  });

  it('a clean sample is not recorded as a verification in the catalog', async () => {
    const before = await catalogEntry('A');
    expect(before.lastVerifiedAt).toBeDefined(); // the backups' read-back
    expect((await verifyJson('A', '--sample', '100%')).code).toBe(0);
    expect(await catalogEntry('A')).toEqual(before);
  });
});

describe('verify --sample on a damaged format 2 drive', () => {
  it('a flipped byte in one file of the full: 100% names it, 1% still draws one member', async () => {
    await restoreDrive();
    const tar = join(snapDir(ids[0]!), `${ids[0]}.tar`);
    await flipByte(tar, (await offsetOfMember(tar, VICTIM)) + 3);
    const { code, report } = await verifyJson('A', '--sample', '100%');
    expect(code).toBe(3);
    const bad = damageOf(report, ids[0]!);
    expect(bad.map((f) => [f.code, f.member])).toEqual([['member-damaged', VICTIM], ['chain-dependants', undefined]]);
    expect(bad[0]!.message).toContain('content does not match its SHA-256');
    expect(damageOf(report, ids[1]!).map((f) => [f.code, f.link])).toEqual([['chain-link-damaged', ids[0]]]);
    // Damage a sample finds is recorded: this snapshot failed its verification.
    expect((await catalogEntry('A')).snapshots.find((s) => s.id === ids[0])).toMatchObject({ verifyOk: false });

    const one = await verifyJson('A', '--sample', '1%');
    expect(snap(one.report, ids[0]!).sampled).toMatchObject({ members: 1, of: 41 });
    expect(snap(one.report, ids[1]!).sampled).toMatchObject({ members: 1, of: 2 });
  });

  it('a forged offset in a re-signed manifest is damage naming the file', async () => {
    await restoreDrive();
    const other = (await manifest(ids[0]!)).find((f) => f[7] === 'src/f20.txt')!;
    await forgeManifestLine(ids[0]!, VICTIM, (f) => { f[10] = other[10]!; });
    const big = (await manifest(ids[0]!)).find((f) => f[7] === 'src/big.bin')!;
    await forgeManifestLine(ids[0]!, 'src/f30.txt', (f) => { f[10] = String(Number(big[10]) + 1024); }); // inside big.bin's content
    const { code, report } = await verifyJson('A', '--sample', '100%', '--snapshot', ids[0]!);
    expect(code).toBe(3);
    const bad = damageOf(report, ids[0]!).filter((f) => f.code === 'member-damaged');
    expect(bad.map((f) => f.member).sort()).toEqual([VICTIM, 'src/f30.txt']);
    expect(bad.find((f) => f.member === VICTIM)!.message).toContain('the member there is "src/f20.txt"');
    expect(bad.find((f) => f.member === 'src/f30.txt')!.message).toContain('no whole member at byte');
    // Plain verify cannot see it: the manifest matches its (re-signed) SHA256SUMS line.
    expect((await verifyJson('A', '--snapshot', ids[0]!)).code).toBe(0);
  });
});

describe('verify --sample with a manifest that does not match SHA256SUMS', () => {
  it('samples nothing from it: the snapshot is damaged as plain verify says', async () => {
    await restoreDrive();
    await writeManifestV2(snapDir(ids[0]!), (await readManifestV2(snapDir(ids[0]!))).replace('\tsrc/f07.txt\t', '\tsrc/f07.TXT\t'));
    const { code, report } = await verifyJson('A', '--sample', '100%', '--snapshot', ids[0]!);
    expect(code).toBe(3);
    const s = snap(report, ids[0]!);
    expect(s.sampled).toBeUndefined();
    expect(s.findings.map((f) => [f.severity, f.code, f.file])).toEqual([
      ['damage', 'checksum-mismatch', MANIFEST_GZ], ['note', 'sample-skipped', undefined], ['damage', 'chain-dependants', undefined],
    ]);
  });
});

describe('verify --sample elsewhere', () => {
  it('a format 1 snapshot is verified whole, with a note', async () => {
    await labelledDrive(sb, 'B');
    // Format 1 explicitly: the default is format 2 now, and this test is about format 1's tarball without offsets.
    const id = await backup('B', '--format', '1');
    const { code, report } = await verifyJson('B', '--sample', '5%');
    expect(code).toBe(0);
    const s = snap(report, id);
    expect(s.sampled).toBeUndefined();
    expect(s.findings).toEqual([{ severity: 'note', code: 'sample-whole', message: 'format 1 has no member offsets: verified whole' }]);
    expect(s.bytesRead).toBe((await stat(join(sb.drive('B'), 'airgap', id, `${id}.tar`))).size);
  });

  it('refuses values outside (0, 100], words, and --deep with it', async () => {
    for (const args of [['--sample', '0'], ['--sample', '150%'], ['--sample', 'abc'], ['--sample', '5%', '--deep'], ['--sample', '-5%']]) {
      const r = await run('verify', 'A', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: .*--sample/m);
      expect(r.stderr).toMatch(/^hint: /m);
    }
  });

  it('sizes the sample: rounded up, at least one, never more than there are', () => {
    expect([sampleSize(0, 5), sampleSize(40, 1), sampleSize(41, 50), sampleSize(1000, 0.7), sampleSize(3, 100), sampleSize(200, 0.5)]).toEqual([0, 1, 21, 7, 3, 1]);
  });
});
