// Format 3 written by airgap itself (config "format": 3; docs/FORMAT.md "Format 3"): a seeded
// four-day history of a changing folder (a full, then increments with files modified, added and
// deleted, and a 20 MiB file changed in place so that its changed blocks are stored as a delta).
// For EVERY snapshot: the `.tar.gz`, its index and snapshot.json agree (helpers/format3.ts),
// `sha256sum -c SHA256SUMS` passes, the manifest's offsets point at tar headers in the
// UNCOMPRESSED tar, and its RESTORE.txt run literally with GNU tar, bsdtar and busybox tar gives
// the day's folder back. And a chain never mixes formats: a format 2 newest snapshot makes the
// next format 3 one a new full, and the other way round.
import { createCipheriv } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, link, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifestLineV2 } from '../../src/layout/manifest.js';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';
import { labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { checkFormat3Folder, headerAt, missingTar, type Format3Meta } from '../helpers/format3.js';
import { Mulberry32 } from '../helpers/prng.js';
import { restoreScript, runScript, STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { readManifestV2 } from '../helpers/v2-lists.js';
import { writeAt } from '../helpers/write-at.js';

const MiB = 1 << 20;

interface Day { id: string; meta: Format3Meta; expected: Snapshot }

let sb: Sandbox;
let src: string;
let drive: string;
const days: Day[] = [];
const rng = new Mulberry32(20261205);

/** Seeded, incompressible bytes (AES-128-CTR of zeros). */
const noise = (seed: number, n: number): Buffer => createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
/** Compressible text, seeded. */
const prose = (n: number): string => Array.from({ length: n }, () => rng.pick(['backup', 'drive', 'tar', 'gzip', 'chain', 'week', 'files', '\n'])).join(' ');
const disk = () => join(src, 'VMs', 'disk.img');

async function seed(): Promise<void> {
  for (const d of ['docs', 'docs/deep', 'pics', 'odd name', 'VMs', 'empty']) await mkdir(join(src, d), { recursive: true });
  for (let k = 0; k < 40; k++) {
    const dir = rng.pick(['docs', 'docs/deep', 'pics', 'odd name', '']);
    const name = join(src, dir, `${k % 2 ? 'text' : 'data'}-${k}${k === 7 ? '-résumé' : ''}.${k % 2 ? 'txt' : 'bin'}`);
    await writeFile(name, k % 2 ? prose(rng.int(10, 3000)) : noise(k, rng.int(100, 300_000)));
  }
  await writeFile(join(src, 'empty-file'), '');
  await symlink('docs', join(src, 'link-to-docs'));
  await writeFile(join(src, 'hard-target.txt'), prose(50));
  await link(join(src, 'hard-target.txt'), join(src, 'hard-link'));
  await writeFile(disk(), noise(99, 20 * MiB));
}

const filesOf = async (): Promise<string[]> => (await readdir(src, { recursive: true })).filter((p) => /\.(txt|bin)$/.test(p)).sort();

/** Day n's changes: some files edited, added, deleted; on days 1 and 3 the large file changed in place. */
async function change(n: number): Promise<void> {
  const files = await filesOf();
  for (let k = 0; k < 3; k++) await writeFile(join(src, rng.pick(files)), `edited on day ${n}: ${prose(200)}`);
  for (let k = 0; k < 2; k++) await writeFile(join(src, rng.pick(['docs', 'pics', '']), `new-${n}-${k}.txt`), prose(500));
  for (let k = 0; k < 2; k++) await rm(join(src, rng.pick(await filesOf())), { force: true });
  if (n === 1) await writeAt(disk(), 5 * MiB + 100, noise(11, MiB)); // two blocks changed: a delta
  if (n === 2) {
    await rm(join(src, 'odd name'), { recursive: true, force: true });
    await chmod(join(src, rng.pick(await filesOf())), 0o600);
  }
  if (n === 3) await writeAt(disk(), 12 * MiB, noise(13, 4096)); // a delta on top of day 1's
}

async function backup(n: number, env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: any; stderr: string }> {
  const r = await runCli(['backup', '--drive', 'A', '--json', ...args],
    { ...sb.env, ...env, AIRGAP_NOW: `2026-05-${String(n + 1).padStart(2, '0')}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
  return { code: r.code, out: r.code === 0 ? JSON.parse(r.stdout) : r.stdout, stderr: r.stderr };
}

const folderOf = (id: string) => join(drive, 'airgap', id);

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  drive = await labelledDrive(sb, 'A');
  // The config says format 3 (the default stays 2): one chain for the whole history.
  const config = join(sb.dir, 'config.json');
  await writeFile(config, JSON.stringify({ version: 1, sources: [src], format: 3, chain: { maxIncrementShare: 100 } }));
  await seed();
  for (let n = 0; n < 4; n++) {
    if (n > 0) await change(n);
    const r = await backup(n, { AIRGAP_CONFIG: config });
    expect(r.stderr, `day ${n}`).toBe('');
    expect(r.code, `day ${n}: ${r.out}`).toBe(0);
    days.push({ id: r.out.snapshot, meta: r.out.meta, expected: await readTree(src, { hashContent: true }) });
  }
}, 300_000);

afterAll(() => sb?.cleanup());

describe('backup with "format": 3: block-gzipped tarballs in chains', () => {
  it('writes a full, then increments; the large file changed in place is a delta', () => {
    expect(days.map((d) => d.meta.kind)).toEqual(['full', 'incremental', 'incremental', 'incremental']);
    expect(days[3]!.meta.chain).toEqual(days.map((d) => d.id));
    expect(days[1]!.meta.delta?.files).toBe(1);
    expect(days[3]!.meta.delta?.files).toBe(1);
  });

  it('every folder: <ID>.tar.gz and <ID>.tar.gz.idx agree with snapshot.json and SHA256SUMS; gzip -t and gzip -dc pass', async () => {
    for (const d of days) await checkFormat3Folder(folderOf(d.id), d.id, d.meta);
    // Compression pays: the full's text half shrinks (the tar holds 20 MiB of noise and ~3 MiB of both kinds).
    expect(days[0]!.meta.tarball.size).toBeLessThan(days[0]!.meta.tarball.gzip!.tarSize);
  });

  it("the manifest's offsets are offsets in the uncompressed tar: each stored member's starts with a tar header", async () => {
    for (const d of days) {
      const { tar } = await checkFormat3Folder(folderOf(d.id), d.id, d.meta);
      const lines = (await readManifestV2(folderOf(d.id))).split('\n').slice(2).filter(Boolean).map(parseManifestLineV2);
      const here = lines.filter((l) => l.in === undefined && l.offset !== undefined);
      expect(here.length, d.id).toBeGreaterThan(3);
      for (const l of here) expect(headerAt(tar, l.offset!), `${d.id}: ${l.path} at ${l.offset}`).toBe(true);
      for (const l of lines) for (const link of l.delta ?? []) if (link.in === undefined) expect(headerAt(tar, link.offset), `${d.id}: delta of ${l.path}`).toBe(true);
    }
  });

  it('blocks are cut at member boundaries: a member shorter than a block (1 MiB) never straddles two', async () => {
    let small = 0;
    for (const d of days) {
      const { tar, index } = await checkFormat3Folder(folderOf(d.id), d.id, d.meta);
      const lines = (await readManifestV2(folderOf(d.id))).split('\n').slice(2).filter(Boolean).map(parseManifestLineV2);
      const starts = [...new Set(lines.filter((l) => l.in === undefined && l.offset !== undefined).map((l) => l.offset!))].sort((a, b) => a - b);
      const blockOf = (at: number) => index.blocks.findLastIndex((b) => b.uncompressedOffset <= at);
      for (const [k, at] of starts.entries()) {
        const end = starts[k + 1] ?? tar.length - 1024; // the last member ends at the end-of-archive marker
        if (end - at >= MiB) continue;
        small++;
        expect(blockOf(end - 1), `${d.id}: the member at ${at}`).toBe(blockOf(at));
      }
      expect(index.blocks.every((b, k) => (index.blocks[k + 1]?.uncompressedOffset ?? index.uncompressedSize) - b.uncompressedOffset < 2 * MiB)).toBe(true);
    }
    expect(small).toBeGreaterThan(40);
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it.skipIf(missingTar(label))(`RESTORE.txt run literally (${label}, tar -xzpf) gives every day's folder back`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of days) {
        const text = await readFile(join(folderOf(d.id), RESTORE_FILE), 'utf8');
        expect(text).toContain(`tar -xzpf "$DRIVE/airgap/${d.id}/${d.id}.tar.gz" -C "$TARGET"`);
        const home = await mkdtemp(join(sb.dir, 'home-'));
        const out = runScript(shell, await restoreScript(join(folderOf(d.id), RESTORE_FILE), drive), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        const restored = join(home, `restored-${d.id}`);
        expect(await readdir(restored)).toEqual(['work']); // .airgap-delta is gone
        expect(await readTree(join(restored, 'work'), { hashContent: true }), `${label}: ${d.id}`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 300_000);
  }
});

describe('a chain never mixes formats', () => {
  it('a format 2 newest snapshot makes --format 3 a new full (said why), the next one builds on it; back to 2 is a new full too; --reread and --full as for 2', async () => {
    await labelledDrive(sb, 'M');
    const run = (n: number, format: string) => runCli(['backup', '--source', src, '--drive', 'M', '--json', '--format', format],
      { ...sb.env, AIRGAP_NOW: `2026-06-${String(n + 1).padStart(2, '0')}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
    const outs = [];
    for (const [n, f] of [[0, '2'], [1, '3'], [2, '3'], [3, '2']] as const) {
      await writeFile(join(src, `mix-${n}.txt`), `day ${n}\n`);
      const r = await run(n, f);
      expect(r.code, r.stderr).toBe(0);
      outs.push(JSON.parse(r.stdout));
    }
    expect(outs.map((o) => [o.meta.formatVersion, o.meta.kind])).toEqual([[2, 'full'], [3, 'full'], [3, 'incremental'], [2, 'full']]);
    expect(outs[1].chainReason).toBe(`the newest snapshot (${outs[0].snapshot}) is format 2 and this one is format 3: a chain never mixes formats`);
    expect(outs[3].chainReason).toBe(`the newest snapshot (${outs[2].snapshot}) is format 3 and this one is format 2: a chain never mixes formats`);
    // The plain text says it too.
    await writeFile(join(src, 'mix-4.txt'), 'day 4\n');
    const text = await runCli(['backup', '--source', src, '--drive', 'M', '--format', '3'], { ...sb.env, AIRGAP_NOW: '2026-06-05T10:00:00Z', TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('format 3, FULL: starts a chain');
    expect(text.stdout).toContain('is format 2 and this one is format 3: a chain never mixes formats');
    // --reread and --full work for format 3 as for 2.
    const more = [];
    for (const [n, flag] of [[5, '--reread'], [6, '--full']] as const) {
      await writeFile(join(src, `mix-${n}.txt`), `day ${n}\n`);
      const r = await runCli(['backup', '--source', src, '--drive', 'M', '--json', '--format', '3', flag],
        { ...sb.env, AIRGAP_NOW: `2026-06-${String(n + 10).padStart(2, '0')}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
      expect(r.code, r.stderr).toBe(0);
      more.push(JSON.parse(r.stdout));
    }
    expect(more.map((o) => [o.meta.formatVersion, o.meta.kind])).toEqual([[3, 'incremental'], [3, 'full']]);
    expect(more[1].chainReason).toBe('a full snapshot was asked for (--full)');
  }, 120_000);

  it('--format 4 is refused as a usage error, naming the formats there are', async () => {
    const r = await runCli(['backup', '--source', src, '--drive', 'A', '--format', '4'], sb.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('airgap writes snapshot format 1, 2 or 3');
  });
});
