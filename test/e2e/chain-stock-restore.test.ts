// The format-2 restore procedure (docs/FORMAT.md), run literally with stock tools before
// airgap writes a single format-2 snapshot: a seeded 10-snapshot history of a changing folder is
// written as chains of tarballs the way format 2 lays them out (every folder and symlink, the new
// and changed files, hard-link groups whole; a new full when core/chains or core/chain-restore
// say so), then EVERY snapshot is restored with GNU tar, bsdtar and busybox tar (extract the chain
// oldest first, then `xargs -0 rm -rf --` over REMOVE.nul) and compared with the folder as it was.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainPaths, formatNulList, kindChanges, removalList, type TreeEntry } from '../../src/core/chain-restore.js';
import { nextSnapshot, type ChainSnapshot } from '../../src/core/chains.js';
import { formatSumLine } from '../../src/layout/sha256sums.js';
import { REMOVE_FILE, RESTORE_FILE, restoreText } from '../../src/layout/restore-text.js';
import { Mulberry32 } from '../helpers/prng.js';
import { restoreScript, runScript, STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { FILE_SUMS_GZ } from '../helpers/v2-lists.js';

interface Walked extends TreeEntry { hash?: string; ino?: number }
interface Written { id: string; chain: string[]; tarball: string; members: TreeEntry[]; remove: string; expected: Snapshot; kind: 'full' | 'incremental'; why: string; folder: string }

const NAMES = ['a', 'b c', '-dash', 'new\nline', 'résumé', 'x.txt', 'tab\tname', 'long-' + 'n'.repeat(120)];
const DIRS = ['docs', 'docs/deep', 'pics', 'odd name'];

let root: string;
let src: string;
const written: Written[] = [];

async function walk(dir: string, rel = ''): Promise<Walked[]> {
  const out: Walked[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    const st = await lstat(p);
    if (st.isSymbolicLink()) out.push({ path: r, type: 'symlink' });
    else if (st.isDirectory()) out.push({ path: r, type: 'dir' }, ...(await walk(p, r)));
    else out.push({ path: r, type: 'file', hash: createHash('sha256').update(await readFile(p)).digest('hex'), ino: st.ino });
  }
  return out;
}

/** One week of changes: edits, additions, deletions, links; a folder turned into a file on request. */
async function change(rng: Mulberry32, step: number, forceKindChange: boolean): Promise<void> {
  const tree = await walk(src);
  const files = tree.filter((e) => e.type === 'file');
  const dirs = tree.filter((e) => e.type === 'dir');
  for (let n = rng.int(2, 6); n > 0; n--) {
    const op = rng.int(0, 6);
    const where = rng.pick(['', ...DIRS]);
    const name = `${where ? `${where}/` : ''}${rng.pick(NAMES)}`;
    const exists = await lstat(join(src, name)).then((s) => s, () => undefined);
    if (op <= 1 && files.length) await writeFile(join(src, rng.pick(files).path), `edited ${step} ${rng.next()}\n`);
    else if (op === 2 && !exists) {
      await mkdir(dirname(join(src, name)), { recursive: true });
      await writeFile(join(src, name), `new ${step} ${rng.next()}\n`);
    } else if (op === 3 && files.length) await rm(join(src, rng.pick(files).path), { force: true });
    else if (op === 4 && !exists) {
      await mkdir(dirname(join(src, name)), { recursive: true });
      await symlink(rng.pick(['../a', 'docs', '/etc/passwd', 'missing']), join(src, name));
    } else if (op === 5 && !exists && files.length) {
      await mkdir(dirname(join(src, name)), { recursive: true });
      await link(join(src, rng.pick(files).path), join(src, name)).catch(() => {});
    } else if (op === 6 && dirs.length > 2 && step % 4 === 3) await rm(join(src, rng.pick(dirs).path), { recursive: true, force: true });
  }
  if (forceKindChange) {
    // A folder with contents becomes a file of the same name: the chain cannot carry that.
    await mkdir(join(src, 'turns', 'inner'), { recursive: true });
    await rm(join(src, 'turns'), { recursive: true });
    await writeFile(join(src, 'turns'), 'now a file\n');
  }
}

/** The members of a snapshot as format 2 writes them, and whether it must be a new full. */
function membersOf(tree: Walked[], base: Walked[] | undefined): TreeEntry[] {
  if (!base) return tree;
  const before = new Map(base.map((e) => [e.path, e.hash]));
  const changed = new Set(tree.filter((e) => e.type === 'file' && before.get(e.path) !== e.hash).map((e) => e.ino));
  // A hard-link group goes whole, so that tar links its names again inside this tarball.
  return tree.filter((e) => e.type !== 'file' || changed.has(e.ino));
}

/** FILES.sha256.gz (the whole tree), RESTORE.txt, and SHA256SUMS over the folder, as format 2 writes them. */
async function writeSnapshotFiles(folder: string, id: string, tree: Walked[], chain: string[]): Promise<void> {
  await writeFile(join(folder, FILE_SUMS_GZ), gzipSync(tree.filter((e) => e.hash).map((e) => formatSumLine({ sha256: e.hash!, name: e.path })).join('')));
  await writeFile(join(folder, RESTORE_FILE), restoreText(chain.map((c) => ({ id: c, parts: false }))));
  const sums = [];
  for (const name of [`${id}.tar`, REMOVE_FILE, FILE_SUMS_GZ, RESTORE_FILE]) sums.push(formatSumLine({ sha256: createHash('sha256').update(await readFile(join(folder, name))).digest('hex'), name }));
  await writeFile(join(folder, 'SHA256SUMS'), sums.join(''));
}

const tar = (args: string[], cwd?: string) => execFileSync('tar', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airgap-chain-'));
  src = join(root, 'src');
  for (const d of DIRS) await mkdir(join(src, d), { recursive: true });
  await mkdir(join(src, 'turns', 'inner'), { recursive: true });
  for (const [i, n] of NAMES.entries()) await writeFile(join(src, DIRS[i % DIRS.length]!.split('/')[0]!, n), `first ${i}\n`);
  await writeFile(join(src, 'turns', 'inner', 'f'), 'in a folder\n');
  const rng = new Mulberry32(20261203);
  const snaps: ChainSnapshot[] = [];
  const trees = new Map<string, Walked[]>();
  for (let i = 0; i < 10; i++) {
    if (i > 0) await change(rng, i, i === 6);
    const id = `2026-01-${String(i + 1).padStart(2, '0')}T120000Z`;
    const tree = await walk(src);
    let next = nextSnapshot({ snapshots: snaps, policy: { maxLength: 4, maxIncrementShare: 100 } });
    let members = membersOf(tree, next.kind === 'incremental' ? trees.get(next.base) : undefined);
    const prior = next.kind === 'incremental' ? next.chain.map((c) => written.find((w) => w.id === c)!.members) : [];
    const changes = next.kind === 'incremental' ? kindChanges(chainPaths(prior), tree) : [];
    if (changes.length) {
      next = { kind: 'full', reason: `a path changes kind (${changes.join(', ')})` };
      members = tree;
    }
    const chain = next.kind === 'incremental' ? [...next.chain, id] : [id];
    const folder = join(root, 'drive', 'airgap', id);
    await mkdir(folder, { recursive: true });
    const tarball = join(folder, `${id}.tar`);
    await writeFile(join(root, `${id}.list`), formatNulList(members.map((m) => m.path)));
    tar(['-cf', tarball, '--format=pax', '--no-recursion', '--null', '-T', join(root, `${id}.list`)], src);
    const all = [...(next.kind === 'incremental' ? prior : []), members];
    const remove = join(folder, REMOVE_FILE);
    await writeFile(remove, formatNulList(removalList(chainPaths(all), tree)));
    await writeSnapshotFiles(folder, id, tree, chain);
    written.push({ id, chain, tarball, members, remove, expected: await readTree(src), kind: next.kind, why: next.reason, folder });
    snaps.push({ id, bytes: 1, complete: true, ...(next.kind === 'incremental' ? { base: next.base } : {}) });
    trees.set(id, tree);
  }
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

const TOOLS: Record<string, { extract: (t: string, dest: string) => void; remove: (list: string, dest: string) => void }> = {
  'GNU tar': { extract: (t, d) => tar(['-xpf', t, '-C', d]), remove: (l, d) => execFileSync('sh', ['-c', 'xargs -0 rm -rf -- < "$1"', 'sh', l], { cwd: d }) },
  // bsdtar turns pax names into the current locale's encoding: a UTF-8 one, as in any terminal today.
  bsdtar: { extract: (t, d) => execFileSync('bsdtar', ['-xpf', t, '-C', d], { env: { ...process.env, LC_ALL: 'C.UTF-8' } }), remove: (l, d) => execFileSync('sh', ['-c', 'xargs -0 rm -rf -- < "$1"', 'sh', l], { cwd: d }) },
  'busybox tar': {
    extract: (t, d) => execFileSync('busybox', ['tar', '-xf', t, '-C', d]),
    remove: (l, d) => execFileSync('busybox', ['sh', '-c', 'busybox xargs -0 busybox rm -rf -- < "$1"', 'sh', l], { cwd: d }),
  },
};

describe('format 2 chains restored with stock tools, every snapshot', () => {
  it('the seeded history has chains, deletions and a full forced by a kind change', () => {
    expect(written.filter((w) => w.kind === 'incremental').length).toBeGreaterThanOrEqual(5);
    expect(written.filter((w) => w.kind === 'full').length).toBeGreaterThanOrEqual(3);
    expect(written.some((w) => /changes kind \(.*turns/.test(w.why))).toBe(true);
    expect(written.some((w) => w.chain.length > 1 && w.members.length < Object.keys(w.expected).length)).toBe(true);
  });

  for (const [tool, t] of Object.entries(TOOLS)) {
    it(`${tool}: each snapshot's chain, oldest first, then REMOVE.nul, gives the folder as it was`, async () => {
      for (const w of written) {
        const dest = await mkdtemp(join(root, 'restore-'));
        for (const id of w.chain) t.extract(written.find((x) => x.id === id)!.tarball, dest);
        t.remove(w.remove, dest);
        const got = await readTree(dest);
        // busybox tar keeps no sub-second or hard-link metadata differences that matter here: the
        // comparison is type, content, link target, mode, mtime (s) and hard-link count.
        expect(got, `${tool}: snapshot ${w.id} (${w.kind}, chain ${w.chain.length})`).toEqual(w.expected);
        await rm(dest, { recursive: true, force: true });
      }
    });
  }
});

describe('RESTORE.txt, followed literally', () => {
  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it(`${label}: every snapshot of the history comes back as it was`, async () => {
      const path = tarCommand ? `${await tarShim(root, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const w of written) {
        const home = await mkdtemp(join(root, 'home-'));
        const text = await readFile(join(w.folder, RESTORE_FILE), 'utf8');
        expect(text).toContain(w.chain.length === 1 ? 'a FULL snapshot' : `the ${w.chain.length} tarballs of its chain`);
        const out = runScript(shell, await restoreScript(join(w.folder, RESTORE_FILE), join(root, 'drive')), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        expect(await readTree(join(home, `restored-${w.id}`)), `${label}: ${w.id} (${w.kind}, chain ${w.chain.length})`).toEqual(w.expected);
        await rm(home, { recursive: true, force: true });
      }
    });
  }
});
