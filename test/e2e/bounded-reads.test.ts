// Everything read from a drive is bounded (issue 14, defect 6): a manifest line, snapshot.json
// and SHA256SUMS each have a cap (docs/FORMAT.md, "Size limits"), and a file past it is damage
// that names the file and the cap, with exit 3, never a Node stack trace and never the whole
// file in memory. The oversized files are sparse (almost no disk): 1 GiB where airgap reads
// only the start, 64 MiB where verify hashes the whole file first (that is enough to show the
// message: before the cap, readline read it as one line and reported something else, or crashed
// at 1 GiB with "RangeError: Invalid string length").
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { MAX_MANIFEST_LINE_BYTES, MAX_SNAPSHOT_JSON_BYTES, MAX_SUMS_BYTES } from '../../src/layout/format.js';

const GiB = 1024 ** 3;
const HASHED = 64 * 1024 ** 2;
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const noStackTrace = (r: CliResult) => {
  expect(r.stderr, show(r)).not.toMatch(/\n\s+at /);
  expect(r.stderr, show(r)).not.toMatch(/internal error|RangeError|Invalid string length/);
};

interface Finding { code: string; file?: string; message: string }
interface VerifyJson { ok: boolean; snapshots: { id: string; status: string; findings: Finding[] }[] }

let sb: Sandbox;
let src: string;
let id: string;
let snapDir: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'docs');
  await makeTree(src, { 'a.txt': 'hello\n', sub: { dir: { 'b.txt': 'world\n', 'report.pdf': 'pdf\n' } } });
  await labelledDrive(sb, 'A');
});
afterEach(() => sb.cleanup());

/** One backup onto drive A (format 2, the default, unless `extra` says otherwise). */
async function backup(...extra: string[]): Promise<void> {
  const r = await sb.run('backup', '--drive', 'A', '--source', src, '--json', ...extra);
  expect(r.code, show(r)).toBe(0);
  ({ snapshot: id, dir: snapDir } = JSON.parse(r.stdout) as { snapshot: string; dir: string });
}

/** A file of `bytes` that starts with `head` and continues with zero bytes (a hole): one long line. */
async function sparse(path: string, head: string, bytes: number): Promise<void> {
  await writeFile(path, head);
  await truncate(path, bytes);
}

async function verifyJson(...args: string[]): Promise<{ r: CliResult; snap: VerifyJson['snapshots'][number] }> {
  const r = await sb.run('verify', 'A', ...args, '--json');
  noStackTrace(r);
  expect(r.code, show(r)).toBe(3);
  const out = JSON.parse(r.stdout) as VerifyJson;
  expect(out.ok).toBe(false);
  const snap = out.snapshots.find((s) => s.id === id)!;
  expect(snap.status, show(r)).toBe('damaged');
  return { r, snap };
}

describe('a manifest line longer than the cap', () => {
  // Format 1: these tests forge the plain MANIFEST.tsv and FILES.sha256 (format 2 gzips them).
  beforeEach(() => backup('--format', '1'));

  it(`find: a 1 GiB line in MANIFEST.tsv is reported as damage at its line (cap ${MAX_MANIFEST_LINE_BYTES} bytes), exit 3`, async () => {
    await sparse(join(snapDir, 'MANIFEST.tsv'), '# airgap manifest v1\n', GiB);
    const r = await sb.run('find', 'A', '*.pdf');
    noStackTrace(r);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr, show(r)).toMatch(new RegExp(`^error: MANIFEST\\.tsv of snapshot ${id} on drive A is damaged or unreadable: line 2 is longer than ${MAX_MANIFEST_LINE_BYTES} bytes`, 'm'));
    expect(r.stderr, show(r)).toMatch(/^hint: /m);
  });

  it('verify --deep: a single-line MANIFEST.tsv makes the snapshot DAMAGED, naming the file and the line', async () => {
    await sparse(join(snapDir, 'MANIFEST.tsv'), '', HASHED);
    const { snap } = await verifyJson('--deep');
    const invalid = snap.findings.find((f) => f.code === 'manifest-invalid');
    expect(invalid?.message, JSON.stringify(snap.findings)).toBe(`MANIFEST.tsv cannot be read: line 1 is longer than ${MAX_MANIFEST_LINE_BYTES} bytes (the most a manifest line can be)`);
    expect(snap.findings.some((f) => f.code === 'checksum-mismatch' && f.file === 'MANIFEST.tsv')).toBe(true);
    // The human report says the same, without a stack trace.
    const human = await sb.run('verify', 'A', '--deep');
    noStackTrace(human);
    expect(human.code, show(human)).toBe(3);
    expect(human.stdout).toMatch(/DAMAGE: MANIFEST\.tsv cannot be read: line 1 is longer than/);
  });

  it('verify --deep: a single-line FILES.sha256 is reported against FILES.sha256, not the manifest', async () => {
    await sparse(join(snapDir, 'FILES.sha256'), '', HASHED);
    const { snap } = await verifyJson('--deep');
    const invalid = snap.findings.find((f) => f.code === 'file-sums-invalid');
    expect(invalid, JSON.stringify(snap.findings)).toMatchObject({ file: 'FILES.sha256' });
    expect(invalid!.message).toBe(`FILES.sha256 is malformed: line 1 is longer than ${MAX_MANIFEST_LINE_BYTES} bytes (the most a line can be)`);
    expect(snap.findings.some((f) => f.code === 'manifest-invalid')).toBe(false);
  });
});

describe('small files past their size cap are not read', () => {
  beforeEach(() => backup());

  it(`snapshot.json of 1 GiB (cap ${MAX_SNAPSHOT_JSON_BYTES} bytes): verify names it DAMAGED and why; list shows the snapshot damaged`, async () => {
    await sparse(join(snapDir, 'snapshot.json'), '{', GiB);
    const { snap } = await verifyJson();
    const f = snap.findings.find((x) => x.file === 'snapshot.json');
    expect(f, JSON.stringify(snap.findings)).toMatchObject({ code: 'too-large' });
    expect(f!.message).toBe(`snapshot.json is ${GiB} bytes, more than the ${MAX_SNAPSHOT_JSON_BYTES} a snapshot.json can be: damaged or forged (not read)`);
    const list = await sb.run('list', 'A', '--json');
    noStackTrace(list);
    expect(list.code, show(list)).toBe(0);
    expect((JSON.parse(list.stdout) as { snapshots: { id: string; state: string }[] }).snapshots).toEqual([expect.objectContaining({ id, state: 'damaged' })]);
  });

  it(`SHA256SUMS of 1 GiB (cap ${MAX_SUMS_BYTES} bytes): verify names it DAMAGED and why`, async () => {
    await sparse(join(snapDir, 'SHA256SUMS'), '', GiB);
    const { snap } = await verifyJson();
    expect(snap.findings, JSON.stringify(snap.findings)).toEqual([expect.objectContaining({
      code: 'sums-invalid', file: 'SHA256SUMS',
      message: `SHA256SUMS is ${GiB} bytes, more than the ${MAX_SUMS_BYTES} a SHA256SUMS can be: damaged or forged (not read)`,
    })]);
  });
});
