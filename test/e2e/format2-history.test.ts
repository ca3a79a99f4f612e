// Format 2 written by airgap itself (`backup --format 2`): a seeded history of a changing folder
// (edits, a same-size rewrite within the same second, additions, deletions of files and a folder,
// symlinks, a hard-link group edited, a chmod, a folder turned into a file), one backup a day onto one drive.
// Then, for EVERY snapshot: `sha256sum -c SHA256SUMS` in its folder, and its RESTORE.txt run
// literally with GNU tar, bsdtar and busybox tar, compared with the folder as it was that day.
// And the history is a history: increments carry the unchanged files and hold only the changes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeStamp } from '../../src/core/change-stamp.js';
import { RESTORE_FILE, REMOVE_FILE } from '../../src/layout/restore-text.js';
import { baselinePath } from '../../src/state/baseline.js';
import { labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { Mulberry32 } from '../helpers/prng.js';
import { restoreScript, runScript, STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { readManifestV2 } from '../helpers/v2-lists.js';

interface Day { id: string; meta: Meta; expected: Snapshot; chainReason: string }
interface Meta { formatVersion: number; kind: string; base?: string; chain: string[]; carried: { files: number; bytes: number }; bytes: { tarball: number }; counts: { files: number } }

let sb: Sandbox;
let src: string;
let drive: string;
const days: Day[] = [];

const BIG = 2 * 1024 * 1024;

async function seed(): Promise<void> {
  const rng = new Mulberry32(7);
  for (const d of ['docs', 'docs/deep', 'pics', 'odd name', 'turns/inner']) await mkdir(join(src, d), { recursive: true });
  for (let i = 0; i < 30; i++) await writeFile(join(src, ['docs', 'docs/deep', 'pics', 'odd name'][i % 4]!, `f${i}${i % 7 === 0 ? ' new\nline' : ''}.txt`), `file ${i} ${rng.next()}\n`);
  await writeFile(join(src, 'big.bin'), Buffer.alloc(BIG, 7));
  await writeFile(join(src, 'turns', 'inner', 'f'), 'in a folder\n');
  await symlink('../big.bin', join(src, 'docs', 'to-big'));
  await writeFile(join(src, 'hard-a'), 'shared\n');
  await link(join(src, 'hard-a'), join(src, 'pics', 'hard-b'));
}

/** Day n's changes: small, as a week of work is. */
async function change(n: number): Promise<void> {
  const f = (i: number) => join(src, ['docs', 'docs/deep', 'pics', 'odd name'][i % 4]!, `f${i}${i % 7 === 0 ? ' new\nline' : ''}.txt`);
  if (n === 1) {
    await writeFile(f(1), 'edited on day 1\n');
    await writeFile(join(src, 'docs', 'added-1.txt'), 'new on day 1\n');
  } else if (n === 2) {
    // The same size and the same whole-second mtime: only the stamp's nanoseconds and ctime tell.
    const before = await stat(f(2));
    const text = (await readFile(f(2), 'utf8')).replace(/^file/, 'FILE');
    await writeFile(f(2), text);
    await utimes(f(2), before.atime, new Date(Math.floor(before.mtimeMs / 1000) * 1000 + 123));
    await rm(f(3));
  } else if (n === 3) {
    await rm(join(src, 'docs', 'deep'), { recursive: true });
    await symlink('missing-target', join(src, 'pics', 'dangling'));
    await chmod(f(4), 0o600);
  } else if (n === 4) {
    await writeFile(join(src, 'docs', 'deeper'), 'a new file beside the removed folder\n');
    // The folder removed yesterday comes back with one new file: what it held before stays removed.
    await mkdir(join(src, 'docs', 'deep'));
    await writeFile(join(src, 'docs', 'deep', 'back.txt'), 'the folder is back\n');
    await writeFile(join(src, 'hard-a'), 'shared, edited\n'); // both names see it
  } else if (n === 5) {
    // A folder with contents becomes a file: the chain cannot carry that; a new full starts.
    await rm(join(src, 'turns'), { recursive: true });
    await writeFile(join(src, 'turns'), 'now a file\n');
  } else if (n === 6) {
    await writeFile(f(8), 'edited on day 6\n');
    await rm(join(src, 'pics', 'dangling'));
  }
  // Day 7 changes nothing: its REMOVE.nul still lists what day 6 removed (read from day 6's list).
}

async function backup(n: number): Promise<Day> {
  const now = `2026-03-${String(n + 1).padStart(2, '0')}T10:00:00Z`;
  // A racy window of 0: files written a moment ago may be carried unread (as after 3 s normally).
  const r = await runCli(['backup', '--drive', 'A', '--source', src, '--format', '2', '--json'], { ...sb.env, AIRGAP_NOW: now, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });
  expect(r.stderr, `day ${n}`).toBe('');
  expect(r.code, `day ${n}: ${r.stdout}`).toBe(0);
  const out = JSON.parse(r.stdout);
  return { id: out.snapshot, meta: out.meta, expected: await readTree(src), chainReason: out.chainReason };
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
}, 180_000);

afterAll(() => rm(sb.dir, { recursive: true, force: true }));

const folderOf = (id: string) => join(drive, 'airgap', id);

describe('backup --format 2: a history on one drive', () => {
  it('starts with a full, then increments that carry the unchanged files', () => {
    expect(days.map((d) => d.meta.formatVersion)).toEqual(days.map(() => 2));
    expect(days[0]!.meta.kind).toBe('full');
    expect(days[0]!.chainReason).toMatch(/first snapshot/);
    const d1 = days[1]!.meta;
    expect(d1.kind).toBe('incremental');
    expect(d1.base).toBe(days[0]!.id);
    expect(d1.chain).toEqual([days[0]!.id, days[1]!.id]);
    // The big file and most small ones are carried, not stored again.
    expect(d1.carried.files).toBeGreaterThan(25);
    expect(d1.carried.bytes).toBeGreaterThanOrEqual(BIG);
    expect(d1.bytes.tarball).toBeLessThan(days[0]!.meta.bytes.tarball / 10);
  });

  it('a folder turned into a file starts a new full, and says why', () => {
    const d5 = days[5]!;
    expect(d5.meta.kind).toBe('full');
    expect(d5.chainReason).toMatch(/changes kind.*turns/);
    expect(days[6]!.meta.kind).toBe('incremental');
    expect(days[6]!.meta.chain[0]).toBe(d5.id);
  });

  it('a same-size rewrite in the same second is stored, not carried (the change stamp tells)', async () => {
    const manifest = await readManifestV2(folderOf(days[2]!.id));
    const line = manifest.split('\n').find((l) => l.includes('\twork/pics/f2.txt\t'))!;
    expect(line.split('\t')[9]).toBe('.');
  });

  it('REMOVE.nul lists what the chain holds and the day no longer has', async () => {
    const removed = (await readFile(join(folderOf(days[3]!.id), REMOVE_FILE), 'utf8')).split('\0').filter(Boolean);
    expect(removed).toContain('work/docs/deep'); // a removed folder, once
    expect(removed.some((p) => p.startsWith('work/docs/deep/'))).toBe(false);
    // The folder came back on day 4 with one new file: the files it held on day 0 are listed one by one.
    const day4 = (await readFile(join(folderOf(days[4]!.id), REMOVE_FILE), 'utf8')).split('\0').filter(Boolean);
    expect(day4).not.toContain('work/docs/deep');
    expect(day4).toContain('work/docs/deep/f1.txt');
    expect(day4).not.toContain('work/docs/deep/back.txt');
    // A removal is remembered along the chain: day 7 (no change) still lists day 6's.
    const day7 = (await readFile(join(folderOf(days[7]!.id), REMOVE_FILE), 'utf8')).split('\0').filter(Boolean);
    expect(days[7]!.meta.base).toBe(days[6]!.id);
    expect(day7).toContain('work/pics/dangling');
  });

  it('sha256sum -c SHA256SUMS passes in every snapshot folder', () => {
    for (const d of days) execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: folderOf(d.id), stdio: ['ignore', 'pipe', 'pipe'] });
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it(`RESTORE.txt run literally (${label}) gives every day's folder back as it was`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of days) {
        const home = await mkdtemp(join(sb.dir, 'home-'));
        const out = runScript(shell, await restoreScript(join(folderOf(d.id), RESTORE_FILE), drive), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        expect(await readTree(join(home, `restored-${d.id}`, 'work')), `${label}: ${d.id} (${d.meta.kind}, chain ${d.meta.chain.length})`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 120_000);
  }
});

describe('which files are read', () => {
  /** The file's change stamp as the scan takes it. */
  const stampOf = async (p: string) => {
    const st = await lstat(p, { bigint: true });
    const sec = (ns: bigint) => [ns / 1_000_000_000n, ns % 1_000_000_000n].map(Number) as [number, number];
    return changeStamp(Number(st.size), ...sec(st.mtimeNs), ...sec(st.ctimeNs), String(st.dev), String(st.ino));
  };

  it('a file the host vouches for is carried unread; --reread reads it and reports a silent change', async () => {
    const src2 = join(sb.dir, 'home', 'quiet');
    await mkdir(src2, { recursive: true });
    await writeFile(join(src2, 'ledger.txt'), 'balance: 100\n');
    await writeFile(join(src2, 'other.txt'), 'unchanged\n');
    await labelledDrive(sb, 'B');
    const env = (day: number) => ({ ...sb.env, AIRGAP_NOW: `2026-04-0${day}T10:00:00Z`, AIRGAP_RACY_SECONDS: '0' });
    const run = async (day: number, ...extra: string[]) => {
      const r = await runCli(['backup', '--drive', 'B', '--source', src2, '--format', '2', '--json', ...extra], env(day));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { snapshot: string; dir: string; problems: { path: string; kind: string }[] };
    };
    const full = await run(1);
    // Silent corruption: the content changes, and the host's record vouches for it as if size,
    // times, inode and device had not moved (the baseline's stamp is set to the file's new one).
    const ledger = join(src2, 'ledger.txt');
    const silentlyChange = async (file: string, text: string) => {
      const was = await stat(file);
      await writeFile(file, text);
      await utimes(file, was.atime, was.mtime); // the same size and mtime, as a bit flip leaves them
      const baseline = baselinePath(sb.env.AIRGAP_STATE_DIR!, [await realpath(src2)]);
      const lines = (await readFile(baseline, 'utf8')).split('\n');
      const k = lines.findIndex((l) => l.endsWith('\tquiet/ledger.txt'));
      const f = lines[k]!.split('\t');
      f[4] = await stampOf(file);
      lines[k] = f.join('\t');
      await writeFile(baseline, lines.join('\n'));
    };
    await silentlyChange(ledger, 'balance: 999\n');

    const lineOf = async (dir: string) => (await readManifestV2(dir)).split('\n').find((l) => l.includes('\tquiet/ledger.txt\t'))!.split('\t');
    const carried = await run(2);
    expect((await lineOf(carried.dir))[9], 'carried from the full: it was not read').toBe(full.snapshot);
    expect(carried.problems).toEqual([]);

    const reread = await run(3, '--reread');
    expect(reread.problems.map((p) => [p.kind, p.path])).toEqual([['silent-change', ledger]]);
    const line = await lineOf(reread.dir);
    expect(line[9], 'stored anew').toBe('.');
    expect(line[6]).toBe(createHash('sha256').update('balance: 999\n').digest('hex'));

    // The config's chain.rereadEvery does the same by itself, every Nth increment.
    await silentlyChange(ledger, 'balance: 555\n');
    const config = join(sb.dir, 'quiet-config.json');
    await writeFile(config, JSON.stringify({ version: 1, sources: [src2], format: 2, chain: { rereadEvery: 1, maxIncrementShare: 100 } }));
    const r = await runCli(['backup', '--drive', 'B', '--json'], { ...env(4), AIRGAP_CONFIG: config });
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as { chainReason: string; problems: { kind: string; path: string }[] };
    expect(policy.chainReason).toMatch(/every file read \(chain.rereadEvery 1\)/);
    expect(policy.problems.map((p) => [p.kind, p.path])).toEqual([['silent-change', ledger]]);
  });
});
