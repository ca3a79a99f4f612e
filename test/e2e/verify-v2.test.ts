// `verify` on format 2 drives, end to end: a real history of a full and three increments written
// by the built CLI (`backup --format 2`), then damaged the way a failing disk, a lost folder or a
// forger would, and what `verify` (plain and --deep) says about each snapshot of the chain.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';
import type { DriveReport, Finding } from '../../src/core/findings.js';
import type { SnapshotMeta } from '../../src/layout/format.js';
import { FILE_SUMS_GZ, MANIFEST_GZ, readFileSumsV2, readManifestV2, writeManifestV2 } from '../helpers/v2-lists.js';

const BIG = 'src/big.bin';
const KEPT = 'src/keep/k.txt';
const OTHER_ID = '2001-01-01T000000Z';

let sb: Sandbox;
let src: string;
/** The history as written, copied back before each test that damages it. */
let pristine: string;
let drive: string;
let ids: string[];

const run = (...args: string[]): Promise<CliResult> => runChecked(sb, args);

async function backup(): Promise<string> {
  const r = await run('backup', '--drive', 'A', '--source', src, '--format', '2', '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
}

async function verifyJson(...extra: string[]): Promise<{ code: number; report: DriveReport }> {
  const r = await run('verify', 'A', '--json', ...extra);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

const snapDir = (id: string) => join(drive, 'airgap', id);
const meta = async (id: string) => JSON.parse(await readFile(join(snapDir(id), 'snapshot.json'), 'utf8')) as SnapshotMeta;
const findings = (report: DriveReport, id: string): Finding[] => report.snapshots.find((s) => s.id === id)!.findings;
const codes = (report: DriveReport, id: string) => findings(report, id).map((f) => f.code);
const statusOf = (report: DriveReport, id: string) => report.snapshots.find((s) => s.id === id)!.status;

/** The drive as the history left it (each damaging test starts from it). */
async function restoreDrive(): Promise<void> {
  await rm(join(drive, 'airgap'), { recursive: true, force: true });
  await cp(join(pristine, 'airgap'), join(drive, 'airgap'), { recursive: true, preserveTimestamps: true });
}

/** Rewrites one MANIFEST.tsv line (found by its path field) and re-hashes the manifest into SHA256SUMS, as a forger would. */
async function forgeManifestLine(id: string, path: string, edit: (fields: string[]) => void): Promise<void> {
  const lines = (await readManifestV2(snapDir(id))).split('\n');
  const i = lines.findIndex((l) => l.split('\t')[7] === path);
  expect(i, `${path} in ${id}'s manifest`).toBeGreaterThan(1);
  const f = lines[i]!.split('\t');
  edit(f);
  lines[i] = f.join('\t');
  await writeManifestV2(snapDir(id), lines.join('\n'));
  await resum(id, MANIFEST_GZ);
}

async function resum(id: string, name: string): Promise<void> {
  const sumsPath = join(snapDir(id), 'SHA256SUMS');
  const hash = sha256(await readFile(join(snapDir(id), name)));
  const lines = (await readFile(sumsPath, 'utf8')).split('\n').map((l) => (l.endsWith(`  ${name}`) ? `${hash}  ${name}` : l));
  await writeFile(sumsPath, lines.join('\n'));
}

/** One line of a manifest as fields, by path. */
async function manifestLine(id: string, path: string): Promise<string[]> {
  const lines = (await readManifestV2(snapDir(id))).split('\n');
  return lines.find((l) => l.split('\t')[7] === path)!.split('\t');
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, {
    'big.bin': noise(300_000, 'big'),
    'a.txt': 'first\n',
    'gone.txt': 'deleted in the third snapshot\n',
    keep: { dir: { 'k.txt': 'never changes\n' } },
    link: { symlink: 'a.txt' },
  });
  drive = await labelledDrive(sb, 'A');
  ids = [await backup()];
  await writeFile(join(src, 'a.txt'), 'second, longer\n');
  await writeFile(join(src, 'new.txt'), 'added in the second snapshot\n');
  ids.push(await backup());
  await rm(join(src, 'gone.txt'));
  await writeFile(join(src, 'new.txt'), 'edited in the third\n');
  ids.push(await backup());
  await writeFile(join(src, 'b.txt'), 'added in the fourth\n');
  ids.push(await backup());
  pristine = join(sb.dir, 'pristine');
  await cp(join(drive, 'airgap'), join(pristine, 'airgap'), { recursive: true, preserveTimestamps: true });
});

afterAll(async () => {
  await sb?.cleanup();
});

describe('verify on a format 2 history (a full and three increments)', () => {
  it('was written as one chain, big.bin carried from the full', async () => {
    const metas = await Promise.all(ids.map(meta));
    expect(metas.map((m) => [m.formatVersion, m.kind])).toEqual([[2, 'full'], [2, 'incremental'], [2, 'incremental'], [2, 'incremental']]);
    expect(metas[3]!.chain).toEqual(ids);
    for (const id of ids.slice(1)) expect((await manifestLine(id, BIG))[9]).toBe(ids[0]);
  });

  it('is OK plain and deep, and every folder passes sha256sum -c SHA256SUMS', async () => {
    for (const id of ids) {
      const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir(id), encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('REMOVE.nul: OK');
      expect(r.stdout).toContain('RESTORE.txt: OK');
    }
    for (const mode of [[], ['--deep']]) {
      const { code, report } = await verifyJson(...mode);
      expect(code, JSON.stringify(report.snapshots.map((s) => s.findings))).toBe(0);
      expect(report.snapshots.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(report.snapshots.flatMap((s) => s.findings)).toEqual([]);
    }
  });

  it('verifying one increment alone notes the links it needs that this run did not verify', async () => {
    const { code, report } = await verifyJson('--deep', '--snapshot', ids[3]!);
    expect(code).toBe(0);
    const note = findings(report, ids[3]!).find((f) => f.code === 'chain-unverified');
    expect(note?.severity).toBe('note');
    for (const id of ids.slice(0, 3)) expect(note?.message).toContain(id);
  });
});

describe('verify on a damaged format 2 history', () => {
  it('a flipped byte in the full names the damaged member, every dependant snapshot and (deep) their carried files', async () => {
    await restoreDrive();
    const tar = join(snapDir(ids[0]!), `${ids[0]}.tar`);
    await flipByte(tar, (await offsetOfMember(tar, BIG)) + 100_000);

    const plain = await verifyJson();
    expect(plain.code).toBe(3);
    const dep = findings(plain.report, ids[0]!).find((f) => f.code === 'chain-dependants')!;
    expect(dep.dependants).toEqual(ids.slice(1));
    expect(dep.dependantFiles).toBeUndefined(); // plain mode names snapshots only
    for (const id of ids.slice(1)) {
      expect(statusOf(plain.report, id)).toBe('damaged');
      const link = findings(plain.report, id).filter((f) => f.code.startsWith('chain-link'));
      // Only the full is named: the increments between are damaged through it, not in themselves.
      expect(link.map((f) => [f.code, f.link])).toEqual([['chain-link-damaged', ids[0]]]);
      expect(link[0]!.message).toContain(`cannot be restored: its chain needs ${ids[0]}`);
    }

    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    expect(findings(report, ids[0]!).filter((f) => f.code === 'member-damaged').map((f) => f.member)).toEqual([BIG]);
    const deep = findings(report, ids[0]!).find((f) => f.code === 'chain-dependants')!;
    expect(deep.dependants).toEqual(ids.slice(1));
    // Exactly big.bin of each increment: k.txt is carried from the full too, but its member is sound.
    expect(deep.dependantFiles).toEqual(ids.slice(1).map((snapshot) => ({ snapshot, path: BIG })));
    expect(deep.dependantFilesTotal).toBe(3);
    for (const id of ids.slice(1)) expect(codes(report, id).filter((c) => c.startsWith('member') || c.startsWith('carried'))).toEqual([]);

    const text = await run('verify', 'A', '--deep');
    expect(text.stdout).toContain(`3 later snapshots build on ${ids[0]}`);
    expect(text.stdout).toContain('3 of their files have their content in what is damaged here');
    for (const id of ids.slice(1)) expect(text.stdout).toContain(`\n      ${id}  ${BIG}\n`);
  });

  it('with the full gone, every increment is reported as unrestorable, naming the missing link', async () => {
    await restoreDrive();
    await rm(snapDir(ids[0]!), { recursive: true });
    for (const mode of [[], ['--deep']]) {
      const { code, report } = await verifyJson(...mode);
      expect(code).toBe(3);
      for (const id of ids.slice(1)) {
        expect(statusOf(report, id)).toBe('damaged');
        const f = findings(report, id).filter((x) => x.severity === 'damage');
        expect(f.map((x) => [x.code, x.link])).toEqual([['chain-link-missing', ids[0]]]);
        expect(f[0]!.message).toBe(`cannot be restored: its chain needs ${ids[0]}, which is missing from this drive`);
      }
    }
  });

  it('an incomplete link (no SHA256SUMS) is named as such, and names its dependants', async () => {
    await restoreDrive();
    await unlink(join(snapDir(ids[1]!), 'SHA256SUMS'));
    const { report } = await verifyJson();
    expect(statusOf(report, ids[1]!)).toBe('incomplete');
    expect(findings(report, ids[1]!).find((f) => f.code === 'chain-dependants')?.dependants).toEqual(ids.slice(2));
    for (const id of ids.slice(2)) expect(findings(report, id).find((f) => f.code === 'chain-link-incomplete')?.link).toBe(ids[1]);
    expect(statusOf(report, ids[0]!)).toBe('ok');
  });

  it('a carried line pointing at a wrong offset is damage, found by --deep', async () => {
    await restoreDrive();
    const newest = ids[3]!;
    await forgeManifestLine(newest, BIG, (f) => { f[10] = String(Number(f[10]) + 512); });
    expect((await verifyJson()).code).toBe(0); // the forger re-hashed it: only the chain's manifests can tell
    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    const f = findings(report, newest).filter((x) => x.severity === 'damage');
    expect(f.map((x) => [x.code, x.member])).toEqual([['carried-mismatch', BIG]]);
    expect(f[0]!.message).toContain(`offset ${Number((await manifestLine(ids[0]!, BIG))[10]) + 512} here`);
  });

  it('a carried line pointing at a snapshot not in its chain (or at itself) is damage', async () => {
    for (const target of [OTHER_ID, ids[3]!]) {
      await restoreDrive();
      await forgeManifestLine(ids[3]!, KEPT, (f) => { f[9] = target; });
      const { code, report } = await verifyJson('--deep');
      expect(code).toBe(3);
      const f = findings(report, ids[3]!).filter((x) => x.severity === 'damage');
      expect(f.map((x) => [x.code, x.member])).toEqual([['carried-not-in-chain', KEPT]]);
      expect(f[0]!.message).toContain(`said to be in snapshot ${target}, which is not an earlier snapshot of its chain`);
    }
  });

  it('a member of this tarball at another offset than its manifest line says is damage', async () => {
    await restoreDrive();
    await forgeManifestLine(ids[3]!, 'src/b.txt', (f) => { f[10] = String(Number(f[10]) + 1024); });
    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    const f = findings(report, ids[3]!).find((x) => x.code === 'member-damaged');
    expect(f?.member).toBe('src/b.txt');
    expect(f?.message).toMatch(/starts at byte \d+, manifest says \d+/);
  });

  it('format 2 lists stored plain (gunzipped and re-signed) or gzip damaged under a re-signed sum are damage, named', async () => {
    // A forger (or a careless copy) inflates the lists and re-signs SHA256SUMS: snapshot.json still says format 2.
    await restoreDrive();
    const dir = snapDir(ids[3]!);
    await writeFile(join(dir, 'MANIFEST.tsv'), await readManifestV2(dir));
    await writeFile(join(dir, 'FILES.sha256'), await readFileSumsV2(dir));
    await unlink(join(dir, MANIFEST_GZ));
    await unlink(join(dir, FILE_SUMS_GZ));
    const sums = join(dir, 'SHA256SUMS');
    await writeFile(sums, (await readFile(sums, 'utf8')).replace(`  ${MANIFEST_GZ}\n`, '  MANIFEST.tsv\n').replace(`  ${FILE_SUMS_GZ}\n`, '  FILES.sha256\n'));
    await resum(ids[3]!, 'MANIFEST.tsv');
    await resum(ids[3]!, 'FILES.sha256');
    const plain = await verifyJson();
    expect(plain.code).toBe(3);
    expect(findings(plain.report, ids[3]!).find((f) => f.code === 'meta-mismatch')?.message)
      .toBe("snapshot.json says snapshot format 2, but SHA256SUMS lists format 1's MANIFEST.tsv");

    // A gzip stream cut short, its SHA-256 re-signed: deep names the manifest, never a crash.
    await restoreDrive();
    const gz = await readFile(join(dir, MANIFEST_GZ));
    await writeFile(join(dir, MANIFEST_GZ), gz.subarray(0, gz.length - 8));
    await resum(ids[3]!, MANIFEST_GZ);
    const deep = await verifyJson('--deep');
    expect(deep.code).toBe(3);
    expect(findings(deep.report, ids[3]!).find((f) => f.code === 'manifest-invalid')?.message).toMatch(/^MANIFEST\.tsv\.gz cannot be read: .*not whole gzip data/);
  });

  it('SHA256SUMS of a format 2 snapshot must cover REMOVE.nul and RESTORE.txt', async () => {
    for (const name of ['REMOVE.nul', 'RESTORE.txt']) {
      await restoreDrive();
      const sums = join(snapDir(ids[3]!), 'SHA256SUMS');
      await writeFile(sums, (await readFile(sums, 'utf8')).split('\n').filter((l) => !l.endsWith(`  ${name}`)).join('\n'));
      const { code, report } = await verifyJson();
      expect(code).toBe(3);
      expect(findings(report, ids[3]!).find((f) => f.code === 'not-covered')?.file).toBe(name);
    }
  });
});
