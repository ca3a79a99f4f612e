// Damage detection end to end: back up a real tree onto a simulated drive with the built CLI,
// damage the snapshot the way a failing disk, a bad copy or a forger would, and check what
// `verify` (plain and --deep) and `list` say about it.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFile, cp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { TarReader } from '../../src/layout/tar-reader.js';
import type { DriveReport, Finding } from '../../src/core/findings.js';
import { flipByte } from '../helpers/damage.js';
import { FILE_SUMS_GZ, MANIFEST_GZ, readFileSumsV2, readManifestV2, writeManifestV2 } from '../helpers/v2-lists.js';
import { gzipSync } from 'node:zlib';

const BIG = 'src/big.bin';
const PARTIAL = '.partial-2030-01-01T000000Z';

let sb: Sandbox;
let drive: string;
let src: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, {
    'a.txt': 'hello, airgap\n',
    [BIG.slice(4)]: noise(2_500_000, 'big'),
    'medium.dat': noise(70_001, 'medium'),
    nested: { dir: { deeper: { dir: { 'n.txt': 'nested file\n', 'tail.bin': noise(9_000, 'tail') } } } },
    link: { symlink: 'a.txt' },
  });
  drive = await labelledDrive(sb, 'A');
});

afterEach(async () => {
  await sb.cleanup();
});

/** Every CLI run: damage is reported as data, never as a crash. */
const run = (...args: string[]): Promise<CliResult> => runChecked(sb, args);

async function backup(): Promise<string> {
  const r = await run('backup', '--drive', 'A', '--source', src, '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
}

async function verifyJson(...extra: string[]): Promise<{ code: number; report: DriveReport }> {
  const r = await run('verify', 'A', '--json', ...extra);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

const snapDir = (id: string) => join(drive, 'airgap', id);
const tarPath = (id: string) => join(snapDir(id), `${id}.tar`);
const findings = (report: DriveReport, id: string): Finding[] =>
  report.snapshots.find((s) => s.id === id)!.findings;
const codes = (report: DriveReport, id: string) => findings(report, id).map((f) => f.code);

interface MemberPos { header: number; data: number; size: number }

/** Where each member's first header and its data start, read with airgap's own tar parser. */
async function members(tar: string): Promise<Map<string, MemberPos>> {
  const data = await readFile(tar);
  const out = new Map<string, MemberPos>();
  let current: MemberPos | undefined;
  new TarReader({
    entry: (e) => out.set(e.path, (current = { header: e.offset, data: -1, size: e.size })),
    // Fed as one buffer, so each slice's position in it is its offset in the file.
    data: (slice) => { if (current && current.data < 0) current.data = slice.byteOffset - data.byteOffset; },
    entryEnd: () => { current = undefined; },
  }).write(data);
  return out;
}

/** Rewrites one line of a snapshot's SHA256SUMS with the real hash of the file as it is now. */
async function resum(id: string, name: string): Promise<void> {
  const sumsPath = join(snapDir(id), 'SHA256SUMS');
  const hash = sha256(await readFile(join(snapDir(id), name)));
  const lines = (await readFile(sumsPath, 'utf8')).split('\n');
  const i = lines.findIndex((l) => l.endsWith(`  ${name}`));
  expect(i).toBeGreaterThanOrEqual(0);
  lines[i] = `${hash}  ${name}`;
  await writeFile(sumsPath, lines.join('\n'));
}

describe('verify detects damage to a snapshot', () => {
  it('names the member whose content has one flipped byte', async () => {
    const id = await backup();
    const big = (await members(tarPath(id))).get(BIG)!;
    expect(big.size).toBe(2_500_000);
    await flipByte(tarPath(id), big.data + 1_234_567);

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain('DAMAGED');
    expect(plain.stdout).toContain(`${id}.tar does not match its SHA-256`);

    const deep = await run('verify', 'A', '--deep');
    expect(deep.code).toBe(3);
    expect(deep.stdout).toContain(`"${BIG}": content does not match`);

    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    expect(report.ok).toBe(false);
    expect(report.snapshots[0]!.status).toBe('damaged');
    const damagedMembers = findings(report, id).filter((f) => f.code === 'member-damaged');
    expect(damagedMembers.map((f) => f.member)).toEqual([BIG]); // exactly that one, no collateral
    expect(damagedMembers[0]!.expected).not.toBe(damagedMembers[0]!.actual);
  });

  it('reports a damaged tar header as archive damage', async () => {
    const id = await backup();
    const header = (await members(tarPath(id))).get('src/medium.dat')!.header;
    await flipByte(tarPath(id), header + 3); // inside the name field: the header checksum breaks

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain('DAMAGED');

    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    const archive = findings(report, id).find((f) => f.code === 'archive-damaged');
    expect(archive?.message).toContain(`damaged at byte ${header}`);
    expect(archive?.message).toContain('header checksum mismatch');
    // What follows the broken header could not be checked, and says so.
    expect(codes(report, id)).toContain('members-unchecked');
  });

  it.each([
    ['at a 512-byte boundary', (size: number) => Math.floor(size / 2 / 512) * 512],
    ['at an odd offset', (size: number) => Math.floor(size / 2 / 512) * 512 + 777],
  ])('reports a tarball truncated %s', async (_, cut) => {
    const id = await backup();
    const size = (await stat(tarPath(id))).size;
    const at = cut(size);
    await truncate(tarPath(id), at);

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`${id}.tar is ${at} bytes, expected ${size} (truncated)`);

    const deep = await run('verify', 'A', '--deep');
    expect(deep.code).toBe(3);
    expect(deep.stdout).toMatch(/truncated/);
    const { report } = await verifyJson('--deep');
    expect(codes(report, id)).toEqual(expect.arrayContaining(['size-mismatch', 'archive-damaged']));
  });

  it('detects a zero-filled tail of the tarball', async () => {
    const id = await backup();
    const size = (await stat(tarPath(id))).size;
    const fh = await open(tarPath(id), 'r+');
    const tail = Buffer.alloc(4096);
    await fh.read(tail, 0, 4096, size - 4096);
    expect(tail.some((b) => b !== 0)).toBe(true); // or zeroing it would change nothing
    await fh.write(Buffer.alloc(4096), 0, 4096, size - 4096);
    await fh.close();
    expect((await stat(tarPath(id))).size).toBe(size);

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`${id}.tar does not match its SHA-256`);
    const deep = await run('verify', 'A', '--deep');
    expect(deep.code).toBe(3);
    expect(deep.stdout).toContain('DAMAGED');
  });

  it('detects garbage appended after the end of the archive', async () => {
    const id = await backup();
    const size = (await stat(tarPath(id))).size;
    await appendFile(tarPath(id), Buffer.concat([Buffer.from('garbage\n'), noise(3000, 'junk')]));

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`expected ${size} (extra bytes)`);
    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    const garbage = findings(report, id).find((f) => f.code === 'trailing-garbage');
    expect(garbage?.message).toContain(`at byte ${size}`);
    expect(codes(report, id)).not.toContain('member-damaged'); // the members themselves are fine
  });

  // Format 2 (the default) stores the manifest gzipped, as MANIFEST.tsv.gz.
  it('detects a deleted MANIFEST.tsv.gz', async () => {
    const id = await backup();
    await rm(join(snapDir(id), MANIFEST_GZ));
    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`${MANIFEST_GZ} is missing`);
    const deep = await run('verify', 'A', '--deep');
    expect(deep.code).toBe(3);
    expect(deep.stdout).toContain(MANIFEST_GZ);
  });

  it('detects an edited MANIFEST.tsv.gz (one hash character changed)', async () => {
    const id = await backup();
    const lines = (await readManifestV2(snapDir(id))).split('\n');
    const i = lines.findIndex((l) => l.split('\t')[7] === 'src/a.txt'); // field 8, the path
    expect(i).toBeGreaterThan(0);
    const hashAt = lines[i]!.search(/[0-9a-f]{64}/);
    const c = lines[i]![hashAt]!;
    lines[i] = lines[i]!.slice(0, hashAt) + (c === '0' ? '1' : '0') + lines[i]!.slice(hashAt + 1);
    await writeManifestV2(snapDir(id), lines.join('\n'));

    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`${MANIFEST_GZ} does not match its SHA-256`);
    const { code, report } = await verifyJson('--deep');
    expect(code).toBe(3);
    expect(findings(report, id).filter((f) => f.code === 'member-damaged').map((f) => f.member)).toEqual(['src/a.txt']);
  });

  it('detects snapshot.json replaced with garbage', async () => {
    const id = await backup();
    await writeFile(join(snapDir(id), 'snapshot.json'), '\u0000\u0001not json at all{{{');
    const r = await run('verify', 'A');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/DAMAGE: snapshot\.json is not valid JSON/);
    const list = JSON.parse((await run('list', 'A', '--json')).stdout);
    expect(list.snapshots[0].state).toBe('damaged');
  });

  it('verify --deep checks FILES.sha256.gz against MANIFEST.tsv.gz, even with SHA256SUMS rewritten to match', async () => {
    const id = await backup();
    // Format 2 (the default) stores both lists gzipped: each edit is made to the inflated text.
    const path = join(snapDir(id), FILE_SUMS_GZ);
    const original = await readFile(path);
    const lines = (await readFileSumsV2(snapDir(id))).split('\n');
    const edits: [string, (ls: string[]) => string[], string, RegExp][] = [
      ['a changed hash', (ls) => ls.map((l, i) => (i === 1 ? `${'0'.repeat(64)}${l.slice(64)}` : l)), 'file-sums-mismatch', /FILES\.sha256\.gz disagrees with MANIFEST\.tsv\.gz at ".*" \(line 2\)/],
      ['a line left out', (ls) => ls.filter((_, i) => i !== 0), 'file-sums-mismatch', /disagrees with MANIFEST\.tsv\.gz at ".*" \(line 1\)/],
      ['a line too many', (ls) => [...ls.slice(0, -1), `${'1'.repeat(64)}  src/extra.txt`, ''], 'file-sums-mismatch', /lists more files than MANIFEST\.tsv\.gz, from line \d+ on/],
      ['a malformed line', (ls) => ls.map((l, i) => (i === 2 ? 'not a checksum line' : l)), 'file-sums-invalid', /FILES\.sha256\.gz is malformed/],
    ];
    for (const [what, edit, code, message] of edits) {
      await writeFile(path, gzipSync(Buffer.from(edit(lines).join('\n'))));
      await resum(id, FILE_SUMS_GZ);
      const plain = await verifyJson();
      expect(plain.code, `${what}: plain verify trusts SHA256SUMS`).toBe(0);
      const deep = await verifyJson('--deep');
      expect(deep.code, what).toBe(3);
      const f = findings(deep.report, id).filter((x) => x.code.startsWith('file-sums'));
      expect(f.map((x) => x.code), what).toEqual([code]);
      expect(f[0]!.message, what).toMatch(message);
    }
    await writeFile(path, original);
    await resum(id, FILE_SUMS_GZ);
    expect((await verifyJson('--deep')).code, 'restored: clean again').toBe(0);
  });

  it('detects snapshot.json of the wrong shape even with SHA256SUMS rewritten to match', async () => {
    const id = await backup();
    await writeFile(join(snapDir(id), 'snapshot.json'), JSON.stringify({ format: 'airgap-snapshot', id, hello: 'world' }) + '\n');
    await resum(id, 'snapshot.json');
    const sums = spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: snapDir(id) });
    expect(sums.status).toBe(0); // the forgery is consistent as far as checksums go

    const r = await run('verify', 'A');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/DAMAGE: snapshot\.json is invalid: \S+/);
    const { report } = await verifyJson();
    expect(codes(report, id)).toEqual(['meta-invalid']);
  });

  it('shows a snapshot without SHA256SUMS as incomplete', async () => {
    const id = await backup();
    await rm(join(snapDir(id), 'SHA256SUMS'));
    const list = await run('list', 'A', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).snapshots).toEqual([expect.objectContaining({ id, state: 'incomplete' })]);

    const r = await run('verify', 'A');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`${id}  INCOMPLETE`);
    const { report } = await verifyJson();
    expect(report.snapshots[0]!.status).toBe('incomplete');
    expect(codes(report, id)).toEqual(['incomplete']);
  });

  it('detects a SHA256SUMS truncated mid-line', async () => {
    const id = await backup();
    const path = join(snapDir(id), 'SHA256SUMS');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.indexOf('\n') + 40));
    const r = await run('verify', 'A');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/SHA256SUMS is unreadable or malformed/);
    const { report } = await verifyJson();
    expect(codes(report, id)).toEqual(['sums-invalid']);
  });
});

describe('unfinished snapshots and the hash chain', () => {
  it('never treats a .partial- folder as a snapshot, and the next backup removes it', async () => {
    const id = await backup();
    await cp(snapDir(id), join(drive, 'airgap', PARTIAL), { recursive: true });

    const list = await run('list', 'A', '--json');
    const listed = JSON.parse(list.stdout) as { snapshots: { id: string }[]; leftovers: string[] };
    expect(listed.snapshots.map((s) => s.id)).toEqual([id]);
    expect(listed.leftovers).toEqual([PARTIAL]);

    const v = await run('verify', 'A');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('OK: 1 snapshot verified');
    expect(v.stdout).toContain(`note: ${PARTIAL} is an unfinished backup`);

    const b = await run('backup', '--drive', 'A', '--source', src);
    expect(b.code).toBe(0);
    expect(b.stdout + b.stderr).toContain(`removing ${PARTIAL}`);
    expect(await readdir(join(drive, 'airgap'))).not.toContain(PARTIAL);
    const after = JSON.parse((await run('list', 'A', '--json')).stdout);
    expect(after.snapshots).toHaveLength(2);
    expect(after.leftovers).toEqual([]);
  });

  it('breaks the chain when an older snapshot is rewritten consistently', async () => {
    const older = await backup();
    const newer = await backup();
    expect(newer).not.toBe(older);
    expect((await verifyJson()).code).toBe(0);

    const metaPath = join(snapDir(older), 'snapshot.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8'));
    meta.host = `${meta.host}-forged`;
    await writeFile(metaPath, JSON.stringify(meta, null, 2) + '\n');
    await resum(older, 'snapshot.json');

    const { code, report } = await verifyJson();
    expect(code).toBe(3);
    // The older snapshot is self-consistent; only the newer one's record of it gives it away.
    expect(report.snapshots.find((s) => s.id === older)!.status).toBe('ok');
    expect(report.snapshots.find((s) => s.id === newer)!.status).toBe('damaged');
    expect(codes(report, newer)).toEqual(['chain-broken']);
    expect(findings(report, newer)[0]!.message).toContain(older);
    const plain = await run('verify', 'A');
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain('DAMAGED: 1 of 2 snapshots');
  });

  it('finds nothing wrong with a clean drive of three snapshots', async () => {
    const ids = [await backup(), await backup(), await backup()];
    expect(new Set(ids).size).toBe(3);

    for (const flags of [[], ['--deep']]) {
      const r = await run('verify', 'A', ...flags);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain('OK: 3 snapshots verified');
      expect(r.stdout).not.toMatch(/DAMAGE|warning/);
      const { code, report } = await verifyJson(...flags);
      expect(code).toBe(0);
      expect(report.ok).toBe(true);
      expect(report.snapshots.map((s) => [s.id, s.status, s.findings])).toEqual(ids.map((id) => [id, 'ok', []]));
    }
    for (const id of ids) {
      const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir(id), encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      // One OK per line of SHA256SUMS (format 2 lists more files than format 1's four, BLOCKS only sometimes).
      const listed = (await readFile(join(snapDir(id), 'SHA256SUMS'), 'utf8')).trim().split('\n');
      expect(r.stdout.trim().split('\n')).toHaveLength(listed.length);
      expect(r.stdout).toContain(`${id}.tar: OK`);
    }
  });
});
