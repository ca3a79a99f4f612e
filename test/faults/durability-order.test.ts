// The order of the write and prune protocols (docs/FORMAT.md "When is a snapshot complete?",
// docs/reliability.md), as the kernel sees it: one real backup and one real prune of the built
// CLI run under `strace -f` (every thread: libuv's pool writes and fsyncs, workers hash), and the
// recorded calls must follow the documented sequence. A kill -9 keeps the page cache, so the kill
// suite cannot notice a missing or misplaced fsync; this test does (each of the mutations in
// docs/reliability.md makes it fail).
//
// Backup (format 2, the default; the traced one is an increment): every data file (tarball or
// parts, MANIFEST.tsv.gz, FILES.sha256.gz, REMOVE.nul, RESTORE.txt) written, then fsynced;
// then snapshot.json written and fsynced; then SHA256SUMS (created only now) written and fsynced;
// then the .partial- folder fsynced; then the rename .partial-<ID> -> <ID>; then airgap/ fsynced
// before anything reads the new snapshot back.
// Prune: each doomed <ID> renamed to .pruning-<ID>, airgap/ fsynced, only then deleted. The prune
// runs on a drive of its own holding format 1 snapshots: each stands alone, so retention "last 1"
// prunes two of three (format 2's three would be one chain, kept whole).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { isCreate, isRemoveUnder, isRename, isSync, isWrite, STRACE, traceCli, type Call } from './syscall-trace.js';

const skip = STRACE ? false : 'strace is not installed (apt-get install strace)';
if (skip) console.log(`[faults] durability-order: skipped: ${skip}`);

let dir: string;
let env: Record<string, string>; // drive A, format 2 (the default): the backup trace
let airgap: string;
let pruneEnv: Record<string, string>; // drive P, format 1: the prune trace
let pruneAirgap: string;

/** A setup of its own (drives root, state, config) with drive `name` labelled in it. */
async function setup(name: string, src: string, extra: Record<string, unknown>): Promise<{ env: Record<string, string>; airgap: string }> {
  const root = join(dir, name);
  const config = join(root, 'config.json');
  await mkdir(join(root, 'drives', name), { recursive: true });
  await writeFile(config, JSON.stringify({
    version: 1, ...extra, sources: [src], drives: { rotation: [{ name }] },
    policy: { offline: 0, retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 } },
  }));
  const env = { AIRGAP_DRIVES_ROOT: join(root, 'drives'), AIRGAP_STATE_DIR: join(root, 'state'), XDG_CONFIG_HOME: join(root, 'xdg'), AIRGAP_CONFIG: config };
  const l = await runCli(['label', join(root, 'drives', name), '--name', name, '--yes'], env);
  expect(l.code, l.stderr).toBe(0);
  return { env, airgap: join(root, 'drives', name, 'airgap') };
}

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'airgap-h14-order-'));
  const src = join(dir, 'source', 'Docs');
  await mkdir(join(src, 'sub'), { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(src, i % 2 ? 'sub' : '', `note-${i}.txt`), `note ${i}\n`.repeat(50 + i * 40));
  await writeFile(join(src, 'big.bin'), Buffer.alloc(6 << 20, 7)); // more than one 4 MiB chunk
  ({ env, airgap } = await setup('A', src, {}));
  // Format 1 for the prune trace: a prune-order test needs snapshots that each stand alone.
  ({ env: pruneEnv, airgap: pruneAirgap } = await setup('P', src, { format: 1 }));
  for (const now of ['2026-01-01T09:00:00Z', '2026-01-02T09:00:00Z']) {
    const r = await runCli(['backup', '--drive', 'A', '--no-prune'], { ...env, AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
  }
  for (const now of ['2026-01-01T09:00:00Z', '2026-01-02T09:00:00Z', '2026-01-03T09:00:00Z']) {
    const r = await runCli(['backup', '--drive', 'P', '--no-prune', '--json'], { ...pruneEnv, AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { meta: { formatVersion: number } }).meta.formatVersion).toBe(1);
  }
  // The source changes before the traced backup, so that its increment stores something and its
  // REMOVE.nul lists something (each data file then has writes to order).
  await writeFile(join(src, 'sub', 'changed.txt'), 'new since the last snapshot\n'.repeat(100));
  await rm(join(src, 'note-0.txt'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The index of the first call matching `pred`, failing with `what` when there is none. */
function first(calls: Call[], pred: (c: Call) => boolean, what: string, from = 0): Call {
  const c = calls.find((x) => x.start >= from && pred(x));
  if (!c) throw new Error(`no ${what} in the trace${from ? ' after the step before it' : ''}`);
  return c;
}
function last(calls: Call[], pred: (c: Call) => boolean, what: string): Call {
  const c = calls.findLast(pred);
  if (!c) throw new Error(`no ${what} in the trace`);
  return c;
}
/** `a` finished before `b` started. */
function before(a: Call, b: Call, what: string): void {
  expect(a.end < b.start, `${what}:\n  ${a.line}\n  must finish before\n  ${b.line}`).toBe(true);
}

describe.skipIf(!!skip)('durability order, recorded with strace', () => {
  it('a backup writes and fsyncs the data, then snapshot.json, then SHA256SUMS, fsyncs the folder, renames it, and fsyncs airgap/', async () => {
    const t = await traceCli(['backup', '--drive', 'A', '--no-prune', '--json'], { ...env, AIRGAP_NOW: '2026-01-03T09:00:00Z' }, join(dir, 'backup.trace'));
    expect(t.code, t.stderr).toBe(0);
    const id = (JSON.parse(t.stdout) as { snapshot: string }).snapshot;
    const partial = join(airgap, `.partial-${id}`);
    const final = join(airgap, id);
    const c = t.calls;
    expect(c.some((x) => x.name === 'fsync' || x.name === 'fdatasync'), 'strace saw no fsync at all (io_uring?)').toBe(true);

    const created = [...new Set(c.filter((x) => x.name.startsWith('open') && x.flags.includes('O_CREAT') && x.paths[0]?.startsWith(partial + '/')).map((x) => x.paths[0]!))];
    const meta = join(partial, 'snapshot.json');
    const sums = join(partial, 'SHA256SUMS');
    const data = created.filter((p) => p !== meta && p !== sums);
    // Format 2 (the default): the lists gzipped, plus REMOVE.nul and RESTORE.txt (no BLOCKS: no file of 16 MiB).
    expect(JSON.parse(t.stdout)).toMatchObject({ meta: { formatVersion: 2, kind: 'incremental' } });
    expect(data.map((p) => p.slice(partial.length + 1)).sort()).toEqual([`${id}.tar`, 'FILES.sha256.gz', 'MANIFEST.tsv.gz', 'REMOVE.nul', 'RESTORE.txt'].sort());

    const metaCreate = first(c, (x) => isCreate(x, meta), 'creation of snapshot.json');
    const sumsCreate = first(c, (x) => isCreate(x, sums), 'creation of SHA256SUMS');
    // 1. Every data file: its last write, then its fsync, before snapshot.json and SHA256SUMS exist.
    for (const p of data) {
      const w = last(c, (x) => isWrite(x, p), `write of ${p}`);
      const s = first(c, (x) => isSync(x, p), `fsync of ${p}`, w.end);
      before(w, s, `the last write of ${p} before its fsync`);
      before(s, metaCreate, `the fsync of ${p} before snapshot.json is created`);
      before(s, sumsCreate, `the fsync of ${p} before SHA256SUMS is created`);
    }
    // 2. snapshot.json written and fsynced before SHA256SUMS is created (SHA256SUMS last).
    const metaWrite = last(c, (x) => isWrite(x, meta), 'write of snapshot.json');
    const metaSync = first(c, (x) => isSync(x, meta), 'fsync of snapshot.json', metaWrite.end);
    before(metaSync, sumsCreate, 'the fsync of snapshot.json before SHA256SUMS is created');
    // 3. SHA256SUMS written, fsynced, then the folder fsynced, after every file in it was created.
    const sumsWrite = last(c, (x) => isWrite(x, sums), 'write of SHA256SUMS');
    const sumsSync = first(c, (x) => isSync(x, sums), 'fsync of SHA256SUMS', sumsWrite.end);
    const lastCreate = last(c, (x) => created.some((p) => isCreate(x, p)), 'creation of a file in the folder');
    const folderSync = first(c, (x) => isSync(x, partial), 'fsync of the .partial- folder', Math.max(sumsSync.end, lastCreate.end));
    // 4. The rename, only after the folder fsync; 5. airgap/ fsynced after it, before the new
    // snapshot is read back or the lock released.
    const commit = first(c, (x) => isRename(x, partial, final), `rename .partial-${id} -> ${id}`);
    before(folderSync, commit, 'the fsync of the .partial- folder before the rename');
    expect(c.filter((x) => isCreate(x, sums)), 'SHA256SUMS is created once').toHaveLength(1);
    const parentSync = first(c, (x) => isSync(x, airgap), 'fsync of airgap/ after the rename', commit.end);
    const nextUse = first(c, (x) => (x.name.startsWith('open') && (x.paths[0] ?? '').startsWith(final + '/')) || (x.name === 'unlink' && x.paths[0] === join(airgap, '.lock')), 'read-back of the snapshot or lock release', commit.end);
    before(parentSync, nextUse, 'the fsync of airgap/ before the new snapshot is used or the lock released');
    // Nothing is written into the folder once it is committed.
    expect(c.filter((x) => x.start > commit.start && (x.name.startsWith('write') || x.name.startsWith('pwrite')) && ((x.paths[0] ?? '').startsWith(final + '/') || (x.paths[0] ?? '').startsWith(partial + '/')))).toEqual([]);
  }, 120_000);

  it('a prune renames each snapshot to .pruning-, fsyncs airgap/, and only then deletes it', async () => {
    const t = await traceCli(['prune', 'P', '--json'], { ...pruneEnv, AIRGAP_NOW: '2026-01-04T09:00:00Z' }, join(dir, 'prune.trace'));
    expect(t.code, t.stderr).toBe(0);
    const pruned = (JSON.parse(t.stdout) as { pruned: string[] }).pruned;
    expect(pruned, 'retention "last 1" of three snapshots prunes two').toHaveLength(2);
    const c = t.calls;
    let previous: Call | undefined;
    for (const id of pruned) {
      const doomed = join(pruneAirgap, `.pruning-${id}`);
      const moved = first(c, (x) => isRename(x, join(pruneAirgap, id), doomed), `rename ${id} -> .pruning-${id}`);
      if (previous) before(previous, moved, 'one snapshot at a time');
      const firstRemove = first(c, (x) => isRemoveUnder(x, doomed), `deletion under .pruning-${id}`);
      expect(c.some((x) => x.start < moved.start && isRemoveUnder(x, join(pruneAirgap, id))), `nothing of ${id} deleted under its own name`).toBe(false);
      const synced = first(c, (x) => isSync(x, pruneAirgap), `fsync of airgap/ after the rename of ${id}`, moved.end);
      before(synced, firstRemove, `the fsync of airgap/ after the rename of ${id}, before its deletion`);
      previous = last(c, (x) => isRemoveUnder(x, doomed), `deletion under .pruning-${id}`);
    }
  }, 120_000);
});
