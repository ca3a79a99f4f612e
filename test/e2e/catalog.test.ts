// The catalog follows the drives, survives damage, and prune keeps what the policy protects.
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_STAMP } from '../../src/core/change-stamp.js';
import { labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
const snaps = async (drive: string) => (await readdir(join(drive, 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, { 'a.txt': 'a' });
  sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
  await writeFile(sb.env.AIRGAP_CONFIG, JSON.stringify({
    version: 1, sources: [src], drives: { rotation: [{ name: 'A' }, { name: 'B', role: 'offsite' }] }, cadence: 'daily',
    policy: { scheme: 'round-robin', offline: 1, start: '2026-01-01', retention: { keepLast: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 } },
  }));
});
afterEach(() => sb.cleanup());

/** n backups to drive A, without automatic pruning (a second in the same second gets -2). */
async function backupsOnA(n: number) {
  for (let i = 0; i < n; i++) {
    const r = await sb.run('backup', '--drive', 'A', '--no-prune', '--json');
    expect(r.code, r.stderr).toBe(0);
  }
}

describe('host state', () => {
  // The one rule for damaged host state (state/set-aside.ts): a damaged gate baseline was an
  // "internal error" with a stack trace, while a damaged catalog was set aside.
  it('a damaged gate baseline is moved aside with a warning, the backup compares with the snapshot instead, and a new baseline is written', async () => {
    await labelledDrive(sb, 'A');
    await backupsOnA(1);
    const dir = join(sb.env.AIRGAP_STATE_DIR!, 'baselines');
    const [file] = await readdir(dir);
    expect(file).toMatch(/\.tsv$/);
    // The last: a v2 header over a line without a change stamp (a v1 line).
    for (const garbage of ['# airgap baseline v1\nnot\ta\tbaseline\n', 'PK\u0003\u0004 a zip file\n', '', `# airgap baseline v2\n5\t1700000000\t${'a'.repeat(64)}\t4.20\tsrc/a\n`]) {
      await writeFile(join(dir, file!), garbage);
      // A racy window of 0: the source was written a moment ago, and its stamps must still be kept.
      const r = await runCli(['backup', '--drive', 'A', '--no-prune'], { ...sb.env, AIRGAP_RACY_SECONDS: '0' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/internal error|    at /);
      expect(r.stderr).toMatch(/warning: the gate baseline .* is damaged \(line \d+: .*\): it was moved to .*\.tsv\.damaged-.*, and this one is compared with snapshot /);
      const names = await readdir(dir);
      expect(names.filter((n) => n.includes('.damaged-')).length).toBeGreaterThan(0);
      // The accepted backup wrote a new, sound baseline (v2: every line with its change stamp): the
      // next backup uses it without a warning.
      const lines = (await readFile(join(dir, file!), 'utf8')).split('\n');
      expect(lines[0]).toBe('# airgap baseline v2');
      expect(lines.slice(1, -1).every((l) => CHANGE_STAMP.test(l.split('\t')[4]!))).toBe(true);
      const next = await sb.run('backup', '--drive', 'A', '--no-prune');
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).not.toMatch(/baseline/);
      for (const n of names.filter((x) => x.includes('.damaged-'))) await rename(join(dir, n), join(sb.dir, n));
    }
  });
});

describe('catalog', () => {
  it('a damaged catalog is reported, moved aside and rebuilt by scan, never silently reset', async () => {
    await labelledDrive(sb, 'A');
    await backupsOnA(1);
    const file = join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json');
    await writeFile(file, '{"version": 1, "drives": [garbage');
    const r = await sb.run('status');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the catalog .* was damaged; it was moved to .*catalog\.json\.damaged-/);
    const aside = (await readdir(sb.env.AIRGAP_STATE_DIR!)).filter((n) => n.startsWith('catalog.json.damaged-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(sb.env.AIRGAP_STATE_DIR!, aside[0]!), 'utf8')).toContain('garbage');
    expect((await sb.run('scan')).code).toBe(0);
    const catalog = JSON.parse(await readFile(file, 'utf8'));
    expect(catalog.drives.map((d: { name: string; snapshots: unknown[] }) => [d.name, d.snapshots.length])).toEqual([['A', 1]]);
  });

  it('status shows where each drive should be, what it holds and the next action', async () => {
    await labelledDrive(sb, 'A');
    await backupsOnA(1);
    const r = await sb.run('status', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.drives.map((d: { name: string; snapshots: number; connected: boolean }) => [d.name, d.snapshots, d.connected])).toEqual([['A', 1, true], ['B', 0, false]]);
    expect(s.next).toMatch(/drive B|connect drive/);
    expect((await sb.run('status')).stdout).toMatch(/Next: /);
  });
});

describe('prune', () => {
  it('--dry-run lists what retention drops, prune removes it, and never the newest', async () => {
    await labelledDrive(sb, 'A');
    await backupsOnA(4);
    const before = await snaps(sb.drive('A'));
    expect(before).toHaveLength(4);
    const dry = JSON.parse((await sb.run('prune', 'A', '--dry-run', '--json')).stdout);
    expect(dry.prune.map((p: { snapshot: string }) => p.snapshot)).toEqual(before.slice(0, 2));
    expect(await snaps(sb.drive('A'))).toEqual(before);
    const r = await sb.run('prune', 'A');
    expect(r.code, r.stderr).toBe(0);
    expect(await snaps(sb.drive('A'))).toEqual(before.slice(2));
    expect((await sb.run('verify', 'A')).code).toBe(0);
  });

  it('an interrupted prune leaves a .pruning- leftover, never a snapshot; the next backup removes it', async () => {
    await labelledDrive(sb, 'A');
    await backupsOnA(2);
    const [first] = await snaps(sb.drive('A'));
    await rename(join(sb.drive('A'), 'airgap', first!), join(sb.drive('A'), 'airgap', `.pruning-${first}`));
    const list = JSON.parse((await sb.run('list', 'A', '--json')).stdout);
    expect(list.snapshots.map((s: { id: string }) => s.id)).not.toContain(first);
    expect(list.leftovers).toEqual([`.pruning-${first}`]);
    const r = await sb.run('backup', '--drive', 'A', '--no-prune');
    expect(r.stderr).toMatch(/removing \.pruning-.* interrupted prune/);
    expect((await readdir(join(sb.drive('A'), 'airgap'))).filter((n) => n.startsWith('.pruning-'))).toEqual([]);
  });

  it('backup without --drive refuses while a drive that must stay offline is connected, unless --allow-connected', async () => {
    await labelledDrive(sb, 'A');
    await labelledDrive(sb, 'B');
    const r = await sb.run('backup', '--json');
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error.code).toBe('air-gap');
    expect(await snaps(sb.drive('A'))).toEqual([]);
    const ok = await sb.run('backup', '--allow-connected');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/air gap is not kept/);
  });
});
