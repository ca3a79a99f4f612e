// Issue 17 §4: `airgap restore --from-any`. Two simulated drives of the config's rotation (A, B)
// and a third drive of another config (C) are connected; the restore takes the newest copy that
// is not SUSPECT among A and B only, says which drive and snapshot and why, passes over a
// SUSPECT snapshot newer than it, falls back to the next copy when the newest fails
// verification (and says so), and refuses with a hint when no drive has a usable copy.
// Both snapshot formats; the built CLI against real folders.
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree, type Tree } from '../helpers/tree.js';
import { noise } from '../helpers/bytes.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';

const T = 1_700_000_000;
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const exists = (p: string) => lstat(p).then(() => true, () => false);
const FOLDERS = ['Documents', 'Finance', 'Notes', 'Projects', 'Photos'];

/** 25 text files in 5 folders (the gate judges trees of 20 files and more). */
function sourceTree(): Tree {
  const tree: Tree = { 'version.txt': { file: 'v1\n', mtime: T } };
  for (const d of FOLDERS) {
    const files: Tree = {};
    for (let i = 0; i < 5; i++) files[`note-${i}.txt`] = { file: `${d} note ${i}: the budget meeting notes, draft ${i}.\n`.repeat(40 + i), mtime: T + i };
    tree[d] = { dir: files, mtime: T + 100 };
  }
  return tree;
}

interface Chosen { drive: string; snapshot: string; why: string; passedOver: { drive: string; snapshot?: string; reason: string }[] }

for (const format of [1, 2] as const) describe(`restore --from-any, format ${format}`, () => {
  let sb: Sandbox;
  let src: string;
  let hour = 0;
  let n = 0;
  let S1: string; // on A: version v1
  let S2: string; // on B: version v2
  let S3: string; // on C, newest of all, another config's drive
  const fresh = () => join(sb.dir, 'targets', `t${++n}`);
  const config = (name: string) => join(sb.dir, `${name}.json`);

  /** Runs the CLI one simulated hour after the previous run (distinct, ordered snapshot ids). */
  function run(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    hour++;
    return runChecked(sb, args, { AIRGAP_NOW: new Date(Date.UTC(2026, 5, 1) + hour * 3600_000).toISOString(), ...env });
  }
  async function backup(drive: string, env: Record<string, string> = {}, code = 0): Promise<string> {
    const r = await run(['backup', '--drive', drive, '--allow-connected', '--json'], env);
    expect(r.code, show(r)).toBe(code);
    return (JSON.parse(r.stdout) as { snapshot?: string }).snapshot ?? '';
  }
  const restoreAny = (...args: string[]) => run(['restore', '--from-any', ...args]);
  const chosen = (r: CliResult) => (JSON.parse(r.stdout) as { fromAny: Chosen }).fromAny;

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, sourceTree());
    const rotation = (names: string[]) => JSON.stringify({
      version: 1, sources: [src], format, drives: { rotation: names.map((name) => ({ name })) },
      cadence: 'daily', policy: { scheme: 'round-robin', offline: 0, start: '2026-01-01' },
    });
    await writeFile(config('mine'), rotation(['A', 'B']));
    await writeFile(config('other'), rotation(['C']));
    sb.env.AIRGAP_CONFIG = config('mine');
    for (const d of ['A', 'B', 'C']) await labelledDrive(sb, d);
    S1 = await backup('A');
    await writeFile(join(src, 'version.txt'), 'v2\n');
    S2 = await backup('B');
    await writeFile(join(src, 'version.txt'), 'v3 (C: another config)\n');
    S3 = await backup('C', { AIRGAP_CONFIG: config('other') });
    expect([S1 < S2, S2 < S3]).toEqual([true, true]);
  });
  afterAll(() => sb.cleanup());

  it('takes the newest copy among this config\'s drives (B, not C of another config) and says which and why', async () => {
    const to = fresh();
    const r = await restoreAny('--to', to);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^note: --from-any took snapshot ${S2} from drive B: the newest copy that is not SUSPECT on the connected drives of this config \\(A, B\\)$`, 'm'));
    expect(r.stdout).toContain(`Restored snapshot ${S2} from drive B into ${to}`);
    expect(await readFile(join(to, 'docs', 'version.txt'), 'utf8')).toBe('v2\n');
    expect(r.stdout).not.toContain(S3);
  });

  it('with --snapshot <id> or a day, and with paths: from the drive holding it', async () => {
    const to = fresh();
    const r = await restoreAny('docs/version.txt', '--snapshot', S1, '--to', to, '--json');
    expect(r.code, show(r)).toBe(0);
    expect(chosen(r)).toMatchObject({ drive: 'A', snapshot: S1 });
    expect(await readdir(join(to, 'docs'))).toEqual(['version.txt']);
    expect(await readFile(join(to, 'docs', 'version.txt'), 'utf8')).toBe('v1\n');
    const day = await restoreAny('--snapshot', S1.slice(0, 10), '--to', fresh(), '--json');
    expect(day.code, show(day)).toBe(0);
    expect(chosen(day)).toMatchObject({ drive: 'B', snapshot: S2 });
  });

  it('no drive, or no usable copy: error and hint, nothing created', async () => {
    const to = fresh();
    const none = await run(['restore', '--to', to]);
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toMatch(/^error: which drive\?.*--from-any\nhint: /m);
    const gone = await restoreAny('--snapshot', '2020-01-01', '--to', to);
    expect(gone.code, show(gone)).toBe(4);
    expect(gone.stderr).toMatch(/^error: no connected drive of this config has a usable copy of 2020-01-01: drive A: .*; drive B: .*\nhint: connect another drive/m);
    const other = await restoreAny('--snapshot', S3, '--to', to); // only on C, another config's drive
    expect(other.code, show(other)).toBe(4);
    const salvage = await restoreAny('--salvage', '--to', to);
    expect(salvage.code, show(salvage)).toBe(2);
    expect(salvage.stderr).toMatch(/^hint: /m);
    expect(await exists(to)).toBe(false);
    const help = await run(['restore', '--help']);
    expect(help.stdout).toMatch(/airgap restore --from-any \[paths\.\.\.\] --to <dir>/);
    expect(help.stdout).toContain('--from-any');
  });

  it('passes over a newer SUSPECT snapshot on one drive and says so', async () => {
    // Ransomware: 15 of the 25 notes overwritten in place; backing up to A keeps that snapshot
    // as evidence, marked SUSPECT (exit 4). It is the newest of A and B.
    for (const [k, d] of FOLDERS.slice(0, 3).entries()) {
      for (let i = 0; i < 5; i++) {
        const p = join(src, d, `note-${i}.txt`);
        await writeFile(p, noise((await readFile(p)).length, `enc-${k}-${i}`));
      }
    }
    await backup('A', {}, 4);
    const S4 = (await readdir(join(sb.drive('A'), 'airgap'))).filter((x) => /^\d{4}-/.test(x)).sort().at(-1)!;
    expect(S4 > S3).toBe(true);
    expect(JSON.parse(await readFile(join(sb.drive('A'), 'airgap', S4, 'snapshot.json'), 'utf8'))).toMatchObject({ gate: { suspect: true, accepted: false } });
    const to = fresh();
    const r = await restoreAny('--to', to, '--json');
    expect(r.code, show(r)).toBe(0);
    expect(chosen(r)).toMatchObject({ drive: 'B', snapshot: S2 });
    expect((JSON.parse(r.stdout) as { skippedSuspects: string[] }).skippedSuspects).toEqual([S4]);
    const text = await restoreAny('--to', fresh());
    expect(text.stdout, show(text)).toContain(`note: took ${S2}, the newest snapshot that is not SUSPECT. Passed over: ${S4}`);
    expect(await readFile(join(to, 'docs', 'Documents', 'note-0.txt'), 'utf8')).toMatch(/^Documents note 0/);
  });

  it('falls back to the next copy when the newest fails verification, and says so; refuses when none is left', async () => {
    const tar = join(sb.drive('B'), 'airgap', S2, `${S2}.tar`);
    const off = await offsetOfMember(tar, 'docs/version.txt');
    expect(off).toBeGreaterThan(0);
    await flipByte(tar, off);
    const to = fresh();
    const r = await restoreAny('--to', to, '--json');
    expect(r.code, show(r)).toBe(0);
    const c = chosen(r);
    expect(c).toMatchObject({ drive: 'A', snapshot: S1 });
    expect(c.passedOver).toEqual([{ drive: 'B', snapshot: S2, reason: expect.stringMatching(/failed verification.*nothing was restored/) }]);
    expect(await readFile(join(to, 'docs', 'version.txt'), 'utf8')).toBe('v1\n');
    const text = await restoreAny('--to', fresh());
    expect(text.code, show(text)).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^note: --from-any took snapshot ${S1} from drive A: .*fell back to it after a newer copy failed`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^note: passed over drive B's copy of ${S2}: snapshot ${S2} failed verification`, 'm'));
    // A dry run falls back the same way (it hashes the tarballs it would read).
    const dry = await restoreAny('--to', fresh(), '--dry-run', '--json');
    expect(dry.code, show(dry)).toBe(0);
    expect(chosen(dry)).toMatchObject({ drive: 'A', snapshot: S1 });
    // Only B holds S2: no copy is left to fall back to.
    const last = fresh();
    const only = await restoreAny('--snapshot', S2, '--to', last);
    expect(only.code, show(only)).toBe(3);
    expect(only.stderr).toMatch(new RegExp(`^error: no connected drive has a copy that can be restored: drive B, ${S2}: .*failed verification.*\\nhint: `, 'm'));
    expect(await exists(last)).toBe(false);
  });
});
