// Format 3 as the writer makes it (`backup --format 3`), read back by the built CLI, on an
// encrypted drive with FAT-sized parts: `<ID>.tar.gz.age.000`… (the block-gzipped tar, sealed,
// then cut) and `<ID>.tar.gz.idx.age`. verify (plain, --deep, --sample 100%), restore of every
// snapshot whole and of one file (through the sealed index), find and --dry-run naming the stored
// tarball, and a damaged index named by plain verify without a key.
import { createCipheriv, createHash } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriveReport } from '../../src/core/findings.js';
import { gzipIndexName, tarballName } from '../../src/layout/format.js';
import { makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { passphraseFlags } from '../helpers/encrypted.js';
import { readTree, type Snapshot } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
let drive: string;
let pass: string[];
const days: { id: string; tree: Snapshot }[] = [];

const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runChecked(sb, args, env);
const text = (s: string, n = 1) => `${s}\n`.repeat(n);

async function verifyJson(...extra: string[]): Promise<{ code: number; report: DriveReport }> {
  const r = await run(['verify', 'A', '--json', ...extra, ...pass]);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(join(src, 'notes'), { recursive: true });
  // Incompressible, so that the stored stream needs several 1 MiB parts.
  await writeFile(join(src, 'photo.raw'), createCipheriv('aes-128-ctr', Buffer.alloc(16, 5), Buffer.alloc(16)).update(Buffer.alloc(2_500_000)));
  for (let i = 0; i < 60; i++) await writeFile(join(src, 'notes', `n${String(i).padStart(2, '0')}.txt`), text(`note ${i}, a line of text`, 400));
  pass = await passphraseFlags(sb);
  expect((await run(['init', '--source', src, '--drives', 'A', '--encrypt', ...pass, '--yes'])).code).toBe(0);
  drive = sb.drive('A');
  await mkdir(drive);
  expect((await run(['label', drive, '--name', 'A', '--yes'])).code).toBe(0);
  for (let n = 0; n < 3; n++) {
    if (n === 1) await writeFile(join(src, 'notes', 'n07.txt'), text('edited'));
    if (n === 2) await writeFile(join(src, 'notes', 'new.txt'), text('new'));
    const r = await run(['backup', '--drive', 'A', '--format', '3', '--part-size', '1M', '--json', ...pass],
      { AIRGAP_NOW: `2026-12-0${n + 1}T10:00:00Z`, AIRGAP_RACY_SECONDS: '0' });
    expect(r.code, `day ${n}: ${r.stdout}${r.stderr}`).toBe(0);
    days.push({ id: (JSON.parse(r.stdout) as { snapshot: string }).snapshot, tree: await readTree(src) });
  }
}, 240_000);

afterAll(() => sb?.cleanup());

describe('format 3 written by backup --format 3, encrypted, in parts', () => {
  it('stores the sealed .tar.gz in parts and its sealed index', async () => {
    const names = await readdir(join(drive, 'airgap', days[0]!.id));
    expect(names).toContain(`${tarballName(days[0]!.id, true, true)}.000`);
    expect(names).toContain(`${tarballName(days[0]!.id, true, true)}.001`);
    expect(names).toContain(gzipIndexName(days[0]!.id, true));
    const meta = JSON.parse(await readFile(join(drive, 'airgap', days[0]!.id, 'snapshot.json'), 'utf8')) as { formatVersion: number };
    expect(meta.formatVersion).toBe(3);
  });

  it('verifies plain (no key), --deep and --sample 100%', async () => {
    const plain = await runChecked(sb, ['verify', 'A', '--json']);
    expect(plain.code, plain.stdout).toBe(0);
    for (const extra of [['--deep'], ['--sample', '100']]) {
      const { code, report } = await verifyJson(...extra);
      expect(code, `${extra.join(' ')}: ${JSON.stringify(report.snapshots.map((s) => s.findings))}`).toBe(0);
    }
  });

  it('restores every snapshot whole, and one file of the last from the full through the sealed index', async () => {
    for (const d of days) {
      const to = join(sb.dir, 'whole', d.id);
      const r = await run(['restore', 'A', '--snapshot', d.id, '--to', to, ...pass]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await readTree(join(to, 'work')), d.id).toEqual(d.tree);
    }
    const last = days[2]!;
    const to = join(sb.dir, 'one');
    const r = await run(['restore', 'A', '--snapshot', last.id, 'work/notes/n33.txt', '--to', to, ...pass]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await readTree(to))['work/notes/n33.txt']).toEqual(last.tree['notes/n33.txt']);
  });

  it('find and --dry-run name the sealed .tar.gz and its index', async () => {
    const full = days[0]!.id;
    const found = await run(['find', 'A', 'n33.txt', ...pass]);
    expect(found.stdout).toContain(`(in tarball ${full}: ${tarballName(full, true, true)})`);
    const dry = await run(['restore', 'A', 'work/notes/n33.txt', '--to', join(sb.dir, 'dry'), '--dry-run', ...pass]);
    expect(dry.stdout).toContain(`${tarballName(full, true, true)}, through its index ${gzipIndexName(full, true)}`);
  });

  it('a changed byte in the sealed index is named by plain verify, without a key', async () => {
    const index = join(drive, 'airgap', days[0]!.id, gzipIndexName(days[0]!.id, true));
    const fh = await open(index, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 200);
    b[0] = b[0]! ^ 1;
    await fh.write(b, 0, 1, 200);
    await fh.close();
    const r = await runChecked(sb, ['verify', 'A', '--json']);
    expect(r.code).toBe(3);
    const found = (JSON.parse(r.stdout) as DriveReport).snapshots.find((s) => s.id === days[0]!.id)!.findings;
    expect(found.map((f) => [f.code, f.file])).toContainEqual(['checksum-mismatch', gzipIndexName(days[0]!.id, true)]);
  });

  it('the same index re-signed into SHA256SUMS: --deep and --sample say it does not decrypt', async () => {
    const dir = join(drive, 'airgap', days[0]!.id);
    const sums = join(dir, 'SHA256SUMS');
    const name = gzipIndexName(days[0]!.id, true);
    const hash = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
    await writeFile(sums, (await readFile(sums, 'utf8')).split('\n').map((l) => (l.endsWith(`  ${name}`) ? `${hash}  ${name}` : l)).join('\n'));
    const deep = await verifyJson('--deep');
    expect(deep.code).toBe(3);
    const inFull = (r: DriveReport) => r.snapshots.find((s) => s.id === days[0]!.id)!.findings.filter((f) => f.severity === 'damage');
    expect(inFull(deep.report).find((f) => f.code === 'index-invalid')?.message).toMatch(/does not decrypt/);
    const sample = await verifyJson('--sample', '100');
    expect(sample.code).toBe(3);
    expect(inFull(sample.report).some((f) => f.code === 'member-damaged' && /index .* does not decrypt/.test(f.message))).toBe(true);
  });
});
