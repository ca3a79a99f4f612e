// The mass-change (ransomware) gate end to end: simulated attacks and legitimate big changes on
// a real tree of 300 text files in 25 folders, backed up with the built CLI to a simulated drive.
import { appendFile, mkdir, readdir, readFile, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { mulberry32 as prng } from '../helpers/prng.js';

// ---- deterministic content -------------------------------------------------------------------


const WORDS = ('the budget meeting invoice project report draft final review notes summer holiday family photo recipe garden '
  + 'letter contract insurance tax return school homework music playlist travel plan bank statement receipt warranty manual '
  + 'quarterly results minutes agenda action items follow up deadline customer supplier order delivery address phone').split(' ');

function text(rand: () => number, size: number): string {
  let s = '';
  while (s.length < size) {
    const line: string[] = [];
    for (let i = 0, n = 6 + Math.floor(rand() * 10); i < n; i++) line.push(WORDS[Math.floor(rand() * WORDS.length)]!);
    s += line.join(' ') + (rand() < 0.3 ? ` ${Math.floor(rand() * 100000)}` : '') + '.\n';
  }
  return s.slice(0, size);
}

function randomBuffer(rand: () => number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE(Math.floor(rand() * 4294967296), Math.min(i, size - 4));
  return b;
}

/** The files' mtime: well before the test runs, so that any rewrite changes it. */
const OLD_MTIME = Date.UTC(2026, 0, 15, 9, 0, 0) / 1000;
const TOP = ['Documents', 'Finance', 'Notes', 'Projects'];
const SUB = ['2022', '2023', '2024', 'archive', 'current'];
/** Every folder of the tree: the root, 4 top folders and 20 leaf folders. */
const FOLDERS = ['', ...TOP, ...TOP.flatMap((t) => SUB.map((s) => `${t}/${s}`))];
const LEAVES = TOP.flatMap((t) => SUB.map((s) => `${t}/${s}`));
const FILES_PER_LEAF = 15;

/** 300 text files of 1–3 KB in 20 leaf folders (25 folders in all); returns their relative paths. */
async function buildTree(root: string): Promise<string[]> {
  const rand = prng(20261121);
  const paths: string[] = [];
  for (const leaf of LEAVES) {
    await mkdir(join(root, leaf), { recursive: true });
    for (let i = 0; i < FILES_PER_LEAF; i++) {
      const p = `${leaf}/note-${String(i).padStart(2, '0')}.txt`;
      await writeFile(join(root, p), text(rand, 1000 + Math.floor(rand() * 2000)));
      await utimes(join(root, p), OLD_MTIME, OLD_MTIME);
      paths.push(p);
    }
  }
  return paths;
}

/** 60 % of the files, spread over every folder (3 of every 5). */
const sixtyPercent = (paths: string[]) => paths.filter((_, i) => i % 5 < 3);

/** Overwrites the files in place with random bytes of the same size (what a ransomware does). */
async function encryptInPlace(root: string, paths: string[], seed = 666): Promise<void> {
  const rand = prng(seed);
  for (const p of paths) {
    const size = (await readFile(join(root, p))).length;
    await writeFile(join(root, p), randomBuffer(rand, size));
  }
}

// ---- sandbox -----------------------------------------------------------------------------------

let sb: Sandbox;
let src: string;
let files: string[];
let hour = 0;
/** The snapshots of the first two (normal) backups. */
let S1: string;
let S2: string;

const airgapDir = () => join(sb.drive('A'), 'airgap');
const snaps = async () => (await readdir(airgapDir())).filter((n) => /^\d{4}-/.test(n)).sort();
const meta = async (id: string) => JSON.parse(await readFile(join(airgapDir(), id, 'snapshot.json'), 'utf8'));
const json = (r: CliResult) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
};

/** Runs the CLI one (simulated) hour after the previous run, so that snapshot ids are distinct and ordered. */
async function run(...args: string[]): Promise<CliResult> {
  hour++;
  sb.env.AIRGAP_NOW = new Date(Date.UTC(2026, 5, 1, 0, 0, 0) + hour * 3600_000).toISOString();
  return sb.run(...args);
}
const backup = (...extra: string[]) => run('backup', '--drive', 'A', ...extra);

async function writeConfig(extra: Record<string, unknown> = {}) {
  await writeFile(sb.env.AIRGAP_CONFIG!, JSON.stringify({
    version: 1,
    sources: [src],
    // One drive in the rotation that keeps only the last snapshot: every backup may prune.
    // Format 1, so that each snapshot stands alone and "may prune" means it (a format 2 chain
    // keeps its base: test/e2e/format2-history.test.ts, test/core/chains.test.ts).
    format: 1,
    drives: { rotation: [{ name: 'A', retention: { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 } }] },
    cadence: 'daily',
    policy: { scheme: 'round-robin', offline: 0, start: '2026-01-01' },
    ...extra,
  }));
}

const suspectAlerts = async () => {
  const r = await run('status', '--json');
  expect(r.code, r.stderr).toBe(0);
  return (json(r).alerts as string[]).filter((a) => /suspect/i.test(a));
};

/** Sandbox, tree, config, drive A and two normal backups (S1, S2): retention would now drop S1. */
async function setup(configExtra: Record<string, unknown> = {}) {
  sb = await makeSandbox();
  hour = 0;
  src = join(sb.dir, 'home');
  files = await buildTree(src);
  sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
  await writeConfig(configExtra);
  await labelledDrive(sb, 'A');
  const first = await backup('--json');
  expect(first.code, first.stderr).toBe(0);
  expect(json(first).meta.gate).toBeUndefined(); // nothing to compare with yet
  const second = await backup('--json');
  expect(second.code, second.stderr).toBe(0);
  const m = json(second).meta;
  expect(m.gate).toMatchObject({ suspect: false, accepted: false, counts: { oldFiles: 300, newFiles: 300, added: 0, deleted: 0, modified: 0, renamed: 0, encrypted: 0 } });
  expect(json(second).pruned).toEqual([]); // S1 is the newest on A while S2 is written: kept
  [S1, S2] = await snaps() as [string, string];
  expect(await snaps()).toHaveLength(2);
}

const baselineFile = async () => {
  const dir = join(sb.env.AIRGAP_STATE_DIR!, 'baselines');
  const names = await readdir(dir);
  expect(names.filter((n) => n.endsWith('.tsv'))).toHaveLength(1);
  return join(dir, names.find((n) => n.endsWith('.tsv'))!);
};

describe('mass-change gate: attacks trip it', () => {
  beforeEach(() => setup());
  afterEach(() => sb.cleanup());

  it('a: 60 % encrypted in place → exit 4, suspect snapshot written, no pruning anywhere until --accept-changes', async () => {
    const baselineBefore = await readFile(await baselineFile());
    await encryptInPlace(src, sixtyPercent(files));

    // The backup that sees the attack.
    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(4);
    const err = json(r);
    expect(err.ok).toBe(false);
    expect(err.error.code).toBe('mass-change');
    expect(err.error.message).toMatch(/180 of 180 sampled/);
    expect(err.error.message).toMatch(/marked SUSPECT/);
    expect(err.error.hint).toMatch(/--accept-changes/);

    // The snapshot was written, complete, and marked suspect; nothing was pruned.
    const after = await snaps();
    expect(after).toHaveLength(3);
    expect(after.slice(0, 2)).toEqual([S1, S2]);
    const S3 = after[2]!;
    const m3 = await meta(S3);
    expect(m3.gate).toMatchObject({
      suspect: true, accepted: false, comparedWith: 'the last accepted backup of these sources',
      counts: { oldFiles: 300, newFiles: 300, added: 0, deleted: 0, modified: 180, renamed: 0, encrypted: 180 },
    });
    expect(m3.gate.reasons.join('\n')).toMatch(/60 % of the files changed or disappeared and 100 % of the changed ones now look encrypted/);
    expect((await run('verify', 'A')).code).toBe(0);

    // status warns; prune refuses.
    const alerts = await suspectAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(new RegExp(`suspect snapshot ${S3} on A, not accepted`));
    const p = await run('prune', 'A', '--json');
    expect(p.code).toBe(4);
    expect(json(p).error.code).toBe('suspect-not-accepted');
    expect(await snaps()).toEqual([S1, S2, S3]);
    // A dry run tells the same story (issue 17 §1): prune would refuse, and why; never "would prune".
    const dry = await run('prune', 'A', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`airgap prune A would refuse now: no pruning while a suspect snapshot is not accepted (A/${S3})`);
    expect(dry.stdout).not.toMatch(/^Would prune/m);
    expect(dry.stdout).toMatch(/^hint: .*--accept-changes/m);
    expect(json(await run('prune', 'A', '--dry-run', '--json')).blocked.by).toEqual([{ drive: 'A', id: S3 }]);
    expect(await snaps()).toEqual([S1, S2, S3]);

    // A later backup of the same (still encrypted) sources trips again: the baseline was not moved.
    expect(await readFile(await baselineFile())).toEqual(baselineBefore);
    const again = await backup();
    expect(again.code, again.stderr).toBe(4);
    expect(again.stderr).toMatch(/error: the sources changed like ransomware/);
    expect(again.stdout).toMatch(/modified files that now look encrypted: 180 of 180 sampled/);
    expect(again.stdout).toMatch(/modified 180 \(60 %\)/);
    expect(again.stdout).toMatch(/SUSPECT: /);
    expect(again.stdout).toMatch(/e\.g\. encrypted-looking: "home\/Documents\/2022\/note-00\.txt"/);
    const S4 = (await snaps())[3]!;
    expect(await snaps()).toEqual([S1, S2, S3, S4]);
    expect((await meta(S4)).gate).toMatchObject({ suspect: true, accepted: false, counts: { modified: 180, encrypted: 180 } });
    expect(await readFile(await baselineFile())).toEqual(baselineBefore);
    expect(await suspectAlerts()).toHaveLength(2);

    // The user checked and accepts: exit 0, the suspects are accepted and pruning resumes.
    const ok = await backup('--accept-changes', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const out = json(ok);
    expect(out.accepted).toEqual([{ drive: 'A', id: S3 }, { drive: 'A', id: S4 }]);
    expect(out.meta.gate).toMatchObject({ suspect: true, accepted: true });
    expect(out.pruned).toEqual([S3, S2, S1]); // newest first
    const S5 = out.snapshot as string;
    expect(await snaps()).toEqual([S4, S5]);
    expect(await suspectAlerts()).toEqual([]);
    expect(await readFile(await baselineFile())).not.toEqual(baselineBefore); // the accepted state is the new baseline

    // From now on the (accepted) state is the reference: no trip, normal pruning.
    const next = await backup('--json');
    expect(next.code, next.stderr).toBe(0);
    expect(json(next).meta.gate).toMatchObject({ suspect: false, counts: { modified: 0, encrypted: 0 } });
    expect(json(next).pruned).toEqual([S4]);
    const pr = await run('prune', 'A', '--json');
    expect(pr.code, pr.stderr).toBe(0);
  });

  it('reject: with the files recovered, the SUSPECT snapshot is kept as evidence, pruning resumes, the last good copy stays; --delete removes it', async () => {
    const clean = await readFile(join(src, files[0]!));
    const baselineBefore = await readFile(await baselineFile());
    await encryptInPlace(src, sixtyPercent(files));
    expect((await backup('--json')).code).toBe(4);
    const S3 = (await snaps())[2]!;
    // The owner recovers the sources from the good snapshot.
    const rec = join(sb.dir, 'recovered');
    expect((await run('restore', 'A', '--to', rec)).code).toBe(0);
    await rm(src, { recursive: true });
    await rename(join(rec, 'home'), src);
    expect(await readFile(join(src, files[0]!))).toEqual(clean);

    // No --yes away from a terminal: nothing changes.
    const unconfirmed = await run('reject', 'A', S3);
    expect(unconfirmed.code).not.toBe(0);
    expect((await run('prune', 'A')).code).toBe(4);
    // Bad input: a clear error each, nothing changed.
    for (const [args, re] of [[['reject', 'A', S1, '--yes'], /was not flagged by the mass-change gate/], [['reject', 'Z', S3, '--yes'], /no drive named Z/],
      [['reject', 'A', '2020-01-01T000000Z', '--yes'], /holds no snapshot 2020-01-01T000000Z/], [['accept', 'A', S3, '--delete', '--yes'], /unknown option '--delete'/]] as const) {
      const r = await run(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).toMatch(/^hint: /m);
    }

    // Before the answer: status names it SUSPECT on A, with both ways out, and counts no copy of it.
    const open = await run('status');
    expect(open.stdout).toContain(`  SUSPECT: ${S3}, not accepted; not counted as a copy: airgap accept A ${S3} or airgap reject A ${S3}`);
    expect(open.stdout).toMatch(new RegExp(`ALERT: suspect snapshot ${S3} on A, not accepted: .*airgap accept A ${S3} if the changes are yours, airgap reject A ${S3} once`));
    expect((json(await run('status', '--json')).copies as { date: string; drives: string[] }[])).toEqual([{ date: S2.slice(0, 10), drives: ['A'] }]);

    const rej = await run('reject', 'A', S3, '--yes');
    expect(rej.code, rej.stderr).toBe(0);
    expect(rej.stdout).toContain(`Rejected snapshot ${S3} on A: it stays on the drive as evidence, still SUSPECT`);
    expect(rej.stdout).toContain('Pruning may go ahead again');
    expect(await suspectAlerts()).toEqual([]);
    expect((await run('reject', 'A', S3, '--yes')).stderr).toMatch(/already rejected/);
    // list, status and verify say it was rejected: still SUSPECT, but the question is answered.
    const listed = await run('list', 'A');
    expect(listed.stdout.split('\n').find((l) => l.includes(S3))).toMatch(/SUSPECT \(rejected\): kept as evidence of mass changes \(restore skips it unless named\)/);
    expect(json(await run('list', 'A', '--json')).snapshots.find((x: { id: string }) => x.id === S3)).toMatchObject({ suspect: true, rejected: true });
    const st = await run('status');
    expect(st.stdout).toContain(`  SUSPECT (rejected): ${S3}, kept as evidence; not counted as a copy, restore skips it unless named`);
    expect(st.stdout).not.toMatch(/ALERT: suspect/);
    expect(json(await run('status', '--json')).drives[0].suspect).toEqual([{ id: S3, mark: 'rejected' }]);
    expect((await run('verify', 'A')).stdout).toMatch(new RegExp(`${S3}  OK .*\\n    note: SUSPECT \\(rejected\\): kept as evidence`));
    const found = await run('find', 'A', files[0]!.split('/').at(-1)!, '--all-snapshots');
    expect(found.stdout).toMatch(new RegExp(`^${S3}  SUSPECT \\(rejected\\)  `, 'm'));
    expect(found.stdout).toMatch(new RegExp(`^SUSPECT \\(rejected\\): ${S3}: kept as evidence of mass changes`, 'm'));
    expect(found.stdout).not.toMatch(/^SUSPECT: /m);
    expect(found.stdout).toMatch(new RegExp(`^Restore the first one with: airgap restore A \\S+ --snapshot ${S2} `, 'm'));
    expect(json(await run('find', 'A', files[0]!.split('/').at(-1)!, '--all-snapshots', '--json'))).toMatchObject({ suspect: [S3], rejected: [S3] });
    // Still never restored unless named; the baseline still holds the good state.
    const again = await run('restore', 'A', '--to', join(sb.dir, 'r-after'));
    expect(again.stdout).toContain(`note: took ${S2}, the newest snapshot that is not SUSPECT`);
    expect(await readFile(await baselineFile())).toEqual(baselineBefore);
    // Pruning resumes, but the rejected snapshot is no good copy: S2, the newest good one, stays.
    const pr = await run('prune', 'A', '--json');
    expect(pr.code, pr.stderr).toBe(0);
    expect(json(pr).pruned).toEqual([S1]);
    expect(json(pr).notes.join('\n')).toContain(`keeping A/${S2} although retention would drop it: it is the newest verified copy anywhere`);
    expect(await snaps()).toEqual([S2, S3]);
    // The recovered sources back up without a trip (compared with the good state).
    const next = await backup('--json');
    expect(next.code, next.stderr).toBe(0);
    expect(json(next).meta.gate).toMatchObject({ suspect: false });
    const log = json(await run('log', '--json')) as { command: string; outcome: string; snapshot?: string }[];
    expect(log.find((x) => x.command === 'reject')).toMatchObject({ outcome: 'ok', snapshot: S3 });
  });

  it('reject --delete removes the rejected snapshot from the drive; accept lifts the mark without a new backup', async () => {
    await encryptInPlace(src, sixtyPercent(files));
    expect((await backup('--json')).code).toBe(4);
    const S3 = (await snaps())[2]!;
    const del = await run('reject', 'A', S3, '--delete', '--yes');
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`Rejected snapshot ${S3} on A and deleted it from the drive.`);
    expect(await snaps()).toEqual([S1, S2]);

    // The same changes once more, and this time they are the owner's.
    expect((await backup('--json')).code).toBe(4);
    const S4 = (await snaps())[2]!;
    const acc = await run('accept', 'A', S4, '--yes');
    expect(acc.code, acc.stderr).toBe(0);
    expect(acc.stdout).toContain(`Accepted snapshot ${S4} on A: its changes are yours`);
    expect(acc.stdout).toContain('set aside: the next backup compares them with the newest snapshot of them on its drive');
    expect(await suspectAlerts()).toEqual([]);
    const list = await run('list', 'A');
    expect(list.stdout).not.toMatch(/SUSPECT/);
    expect(json(await run('list', 'A', '--json')).snapshots.find((x: { id: string }) => x.id === S4).suspect).toBeUndefined();
    const st = await run('status', '--json');
    expect(json(st).drives[0].suspect).toBeUndefined();
    expect(json(st).copies[0]).toEqual({ date: S4.slice(0, 10), drives: ['A'] });
    // No new trip on the accepted state, and normal pruning.
    const next = await backup('--json');
    expect(next.code, next.stderr).toBe(0);
    expect(json(next).meta.gate).toMatchObject({ suspect: false, comparedWith: `snapshot ${S4}`, counts: { modified: 0 } });
    expect((await run('prune', 'A')).code).toBe(0);
  });

  it('--accept-changes on a day with nothing due still accepts the open suspects, and says so; without it the question stays open (issue 17 §1)', async () => {
    await encryptInPlace(src, sixtyPercent(files));
    expect((await backup('--json')).code).toBe(4);
    const S3 = (await snaps())[2]!;
    // A already has today's snapshot: nothing is due, and without the flag nothing is accepted.
    const plain = await run('backup');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^Nothing is due today/);
    expect(plain.stdout).not.toMatch(/accept/);
    expect(await suspectAlerts()).toHaveLength(1);
    // A dry run says what it would accept and records nothing.
    const dry = await run('backup', '--accept-changes', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Dry run: --accept-changes would accept the changes of A/${S3} (nothing was recorded).`);
    expect(await suspectAlerts()).toHaveLength(1);

    const r = await run('backup', '--accept-changes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Nothing is due today/);
    expect(r.stdout).toContain(`No snapshot was written, but the changes of A/${S3} are accepted (as airgap accept does): no longer SUSPECT, and pruning may go ahead again.`);
    expect(r.stdout).toContain("the gate's baseline of these sources was set aside");
    expect(await snaps()).toEqual([S1, S2, S3]);
    expect(await suspectAlerts()).toEqual([]);
    expect((await run('list', 'A')).stdout).not.toMatch(/SUSPECT/);
    // Nothing left to accept: said, not silent.
    const again = await run('backup', '--accept-changes', '--json');
    expect(json(again)).toMatchObject({ outcome: 'nothing-due', acceptance: { accepted: [] } });
    expect((await run('backup', '--accept-changes')).stdout).toContain('--accept-changes: nothing to accept (no SUSPECT snapshot is waiting for an answer).');
    // The next backup does not trip on the same changes (compared with the accepted snapshot), and prunes.
    const next = await backup('--json');
    expect(next.code, next.stderr).toBe(0);
    expect(json(next).meta.gate).toMatchObject({ suspect: false, comparedWith: `snapshot ${S3}`, counts: { modified: 0 } });
    expect(json(next).pruned.length).toBeGreaterThan(0);
  });

  it('restore without --snapshot (or latest, or the day) passes over the SUSPECT snapshot and says so; named, it is restored', async () => {
    const clean = await readFile(join(src, files[0]!));
    await encryptInPlace(src, sixtyPercent(files));
    expect((await backup('--json')).code).toBe(4);
    const S3 = (await snaps())[2]!;
    for (const how of [[], ['--snapshot', 'latest'], ['--snapshot', S3.slice(0, 10)]]) {
      const to = join(sb.dir, `r-${how.join('-') || 'default'}`);
      const r = await run('restore', 'A', '--to', to, ...how);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`note: took ${S2}, the newest snapshot that is not SUSPECT. Passed over: ${S3} (SUSPECT:`);
      expect(r.stdout).toContain(`--snapshot ${S3}`);
      // The files as they were before the attack, not the encrypted ones.
      expect(await readFile(join(to, 'home', files[0]!))).toEqual(clean);
    }
    const j = await run('restore', 'A', '--to', join(sb.dir, 'r-json'), '--json');
    expect(json(j)).toMatchObject({ snapshot: S2, skippedSuspects: [S3] });
    // `verify` and `find` mark it too, and find's restore command takes the clean copy.
    const v = await run('verify', 'A');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`${S3}  OK .*\\n    note: SUSPECT: mass changes`));
    expect(v.stdout).not.toMatch(new RegExp(`${S2}  OK .*\\n    note: SUSPECT`));
    const f = await run('find', 'A', files[0]!.split('/').at(-1)!, '--all-snapshots');
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(new RegExp(`^${S3}  SUSPECT  `, 'm'));
    expect(f.stdout).toMatch(new RegExp(`^SUSPECT: ${S3}: mass changes`, 'm'));
    expect(f.stdout).toMatch(new RegExp(`^Restore the first one with: airgap restore A \\S+ --snapshot ${S2} `, 'm'));
    // `list` marks it, and says what restore does with it.
    const list = await run('list', 'A');
    expect(list.stdout.split('\n').find((l) => l.includes(S3))).toMatch(/SUSPECT: mass changes, not accepted \(restore skips it unless named\)/);
    expect(list.stdout.split('\n').find((l) => l.includes(S2))).not.toMatch(/SUSPECT/);
    // Named by its id, the suspect is restored (evidence, or the user knows better).
    const named = await run('restore', 'A', '--to', join(sb.dir, 'r-named'), '--snapshot', S3);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).not.toMatch(/note: took/);
    expect(await readFile(join(sb.dir, 'r-named', 'home', files[0]!))).not.toEqual(clean);
    // Once accepted (the changes were the user's), it is the newest like any other.
    expect((await backup('--accept-changes', '--json')).code).toBe(0);
    const after = await run('restore', 'A', '--to', join(sb.dir, 'r-after'), '--json');
    expect(json(after).skippedSuspects).toBeUndefined();
    expect((await run('list', 'A')).stdout).not.toMatch(/SUSPECT/);
  });

  it('b: 60 % encrypted and renamed to .locked, with a ransom note in every folder → exit 4, report names both', async () => {
    const victims = sixtyPercent(files);
    await encryptInPlace(src, victims);
    for (const p of victims) await rename(join(src, p), join(src, `${p}.locked`));
    const note = 'Your files have been encrypted!\nTo get them back, send 0.5 BTC to the address below and write to us.\nDo not rename the files.\n';
    for (const f of FOLDERS) await writeFile(join(src, f, 'HOW-TO-DECRYPT.txt'), note);

    const r = await backup();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/error: the sources changed like ransomware .* marked SUSPECT, and nothing was pruned on any drive/);
    expect(r.stdout).toMatch(/new extensions: \.locked \(180\)/);
    expect(r.stdout).toMatch(/ransom notes\?\): HOW-TO-DECRYPT\.txt in 25 folders/);
    expect(r.stdout).toMatch(/SUSPECT: 180 files appeared with a new extension "\.locked" and an identical note "HOW-TO-DECRYPT\.txt" appeared in 25 folders/);
    expect(r.stdout).toMatch(/SUSPECT: 60 % of the files disappeared \(180 of 300\)/);

    const after = await snaps();
    expect(after.slice(0, 2)).toEqual([S1, S2]);
    expect(after).toHaveLength(3);
    const m = await meta(after[2]!);
    expect(m.gate).toMatchObject({ suspect: true, accepted: false, counts: { oldFiles: 300, newFiles: 325, added: 205, deleted: 180, modified: 0, renamed: 0 } });
    expect(m.gate.reasons).toHaveLength(2);
    expect(m.gate.reasons.join('\n')).toMatch(/\.locked/);
    expect(await suspectAlerts()).toHaveLength(1);
    expect((await run('prune', 'A')).code).toBe(4);
    expect((await snaps())).toEqual(after);
  });

  it('c: 80 % deleted → exit 4 ("disappeared")', async () => {
    const doomed = files.filter((_, i) => i % 5 !== 0);
    expect(doomed).toHaveLength(240);
    for (const p of doomed) await unlink(join(src, p));

    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(4);
    expect(json(r).error.code).toBe('mass-change');
    expect(json(r).error.message).toMatch(/80 % of the files disappeared \(240 of 300\)/);

    const after = await snaps();
    expect(after).toHaveLength(3);
    expect(after.slice(0, 2)).toEqual([S1, S2]);
    const m = await meta(after[2]!);
    expect(m.gate).toMatchObject({ suspect: true, accepted: false, counts: { oldFiles: 300, newFiles: 60, deleted: 240, modified: 0, added: 0 } });
    expect(m.counts.files).toBe(60);
    expect(await suspectAlerts()).toHaveLength(1);
    expect((await run('prune', 'A')).code).toBe(4);
    expect(await snaps()).toEqual(after);
  });

  it('f: airgap diff shows the flagged changes against the live sources, and between the good and the suspect snapshot', async () => {
    await encryptInPlace(src, sixtyPercent(files));
    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(4);
    const S3 = (await snaps())[2]!;

    // Between the last good snapshot and the suspect one: manifests only (hashes, no sampling).
    const between = await run('diff', 'A', S2, S3, '--json');
    expect(between.code, between.stderr).toBe(0);
    const b = json(between);
    expect(b.report).toMatchObject({ oldFiles: 300, newFiles: 300, added: 0, deleted: 0, modified: 180, renamed: 0, sampled: 0 });
    const betweenText = await run('diff', 'A', S2, S3);
    expect(betweenText.code).toBe(0);
    expect(betweenText.stdout).toMatch(new RegExp(`Changes from ${S2} to ${S3} on drive A \\(content not sampled\\)`));
    expect(betweenText.stdout).toMatch(/modified 180 \(60 %\)/);

    // The live sources: what the user is told to run to "check the flagged changes" (status,
    // prune) must show the flagged changes and the verdict, not compare the garbage with itself.
    const live = await run('diff', 'A', '--json');
    expect(live.code, live.stderr).toBe(0);
    const l = json(live);
    expect(l.report).toMatchObject({ oldFiles: 300, newFiles: 300, modified: 180, encrypted: 180 });
    expect(l.verdict.trip).toBe(true);
    const liveText = await run('diff', 'A');
    expect(liveText.code).toBe(0);
    expect(liveText.stdout).toMatch(/modified files that now look encrypted: 180 of 180 sampled/);
    expect(liveText.stdout).toMatch(/SUSPECT: /);
  });

  it('f (before the backup): airgap diff A against the live sources reports the attack and the verdict', async () => {
    await encryptInPlace(src, sixtyPercent(files));
    const live = await run('diff', 'A', '--json');
    expect(live.code, live.stderr).toBe(0);
    const l = json(live);
    expect(l.report).toMatchObject({ oldFiles: 300, newFiles: 300, added: 0, deleted: 0, modified: 180, sampled: 180, encrypted: 180 });
    expect(l.verdict.trip).toBe(true);
    const text = await run('diff', 'A');
    // diff makes the gate's own comparison: with the last accepted backup (the host baseline).
    expect(text.stdout).toMatch(/Changes in the sources since the last accepted backup of these sources:/);
    expect(text.stdout).toMatch(/modified files that now look encrypted: 180 of 180 sampled/);
    expect(text.stdout).toMatch(/SUSPECT: 60 % of the files changed/);
    expect(await snaps()).toEqual([S1, S2]); // diff writes nothing
  });
});

describe('mass-change gate: legitimate big changes pass', () => {
  beforeEach(() => setup());
  afterEach(() => sb.cleanup());

  it('d: importing 200 photos and 50 archives (random bytes, new extensions) → exit 0, not suspect, normal pruning', async () => {
    const rand = prng(4242);
    for (let i = 0; i < 200; i++) {
      const dir = join(src, 'Pictures', `2026-0${1 + (i % 6)}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `IMG_${String(1000 + i)}.jpg`), randomBuffer(rand, 4000 + Math.floor(rand() * 12000)));
    }
    await mkdir(join(src, 'Downloads'), { recursive: true });
    for (let i = 0; i < 50; i++) await writeFile(join(src, 'Downloads', `package-${i}.zip`), randomBuffer(rand, 2000 + Math.floor(rand() * 20000)));

    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.meta.gate).toMatchObject({ suspect: false, accepted: false, reasons: [], counts: { oldFiles: 300, newFiles: 550, added: 250, deleted: 0, modified: 0, encrypted: 0 } });
    expect(out.changes.newExtensions).toEqual([{ ext: 'jpg', files: 200 }, { ext: 'zip', files: 50 }]);
    expect(out.changes.ransomNotes).toEqual([]);
    // Retention works as usual: S1 goes, S2 (the newest before this one) stays.
    expect(out.pruned).toEqual([S1]);
    expect(await snaps()).toEqual([S2, out.snapshot]);
    expect(await suspectAlerts()).toEqual([]);
  });

  it('e: appending a line to 70 % of the text files → exit 0 (modified, not encrypted-looking)', async () => {
    const edited = files.filter((_, i) => i % 10 < 7);
    expect(edited).toHaveLength(210);
    for (const p of edited) await appendFile(join(src, p), 'Reviewed on 2026-06-01, no changes needed.\n');

    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.meta.gate).toMatchObject({ suspect: false, reasons: [], counts: { oldFiles: 300, newFiles: 300, modified: 210, encrypted: 0, added: 0, deleted: 0 } });
    expect(out.changes.sampled).toBe(210);
    expect(out.pruned).toEqual([S1]);
    expect(await suspectAlerts()).toEqual([]);
    // The text summary says what changed.
    const again = await backup();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/changes since the last accepted backup of these sources: 0 added, 0 modified, 0 deleted, 0 renamed/);
  });
});

describe('mass-change gate: reorganising is not deleting', () => {
  beforeEach(() => setup());
  afterEach(() => sb.cleanup());

  it('h: moving 3 of the 4 top folders into Archive/ (same contents) is 225 renames → exit 0', async () => {
    await mkdir(join(src, 'Archive'));
    for (const t of ['Documents', 'Finance', 'Notes']) await rename(join(src, t), join(src, 'Archive', t));
    const r = await backup('--json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = json(r);
    expect(out.meta.gate).toMatchObject({ suspect: false, counts: { oldFiles: 300, newFiles: 300, renamed: 225, added: 0, deleted: 0, modified: 0 } });
  });
});

describe('mass-change gate: the policy comes from the config', () => {
  beforeEach(() => setup({ gate: { deletedShare: 0.9 } }));
  afterEach(() => sb.cleanup());

  it('g: with gate.deletedShare 0.9, deleting 80 % does not trip; deleting 95 % does', async () => {
    const doomed = files.filter((_, i) => i % 5 !== 0);
    for (const p of doomed) await unlink(join(src, p));
    const r = await backup('--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.meta.gate).toMatchObject({ suspect: false, counts: { deleted: 240, newFiles: 60 } });
    expect(out.pruned).toEqual([S1]);

    // The threshold is still there: 58 of the remaining 60 disappear (95 % of the last accepted 60 → trips).
    const rest = files.filter((_, i) => i % 5 === 0).slice(2);
    for (const p of rest) await unlink(join(src, p));
    const r2 = await backup('--json');
    expect(r2.code, r2.stderr).toBe(4);
    expect(json(r2).error.message).toMatch(/97 % of the files disappeared \(58 of 60\)/);
  });
});

// ---- measurement -------------------------------------------------------------------------------

describe('gate overhead (measurement)', () => {
  let msb: Sandbox;
  afterEach(() => msb?.cleanup());

  it('40,000 small files: second backup with the gate vs. with nothing to compare', { timeout: 900_000 }, async () => {
    msb = await makeSandbox();
    const big = join(msb.dir, 'big');
    const rand = prng(40000);
    const corpus = text(rand, 64 * 1024);
    const jobs: Promise<void>[] = [];
    const t0 = Date.now();
    for (let f = 0; f < 100; f++) {
      const d = join(big, `folder-${String(f).padStart(3, '0')}`);
      await mkdir(d, { recursive: true });
      for (let i = 0; i < 400; i++) {
        const size = 200 + Math.floor(rand() * 3900);
        const at = Math.floor(rand() * (corpus.length - size));
        jobs.push(writeFile(join(d, `file-${String(i).padStart(4, '0')}.txt`), `${f}/${i}\n${corpus.slice(at, at + size)}`));
      }
      await Promise.all(jobs.splice(0));
    }
    const buildMs = Date.now() - t0;
    msb.env.AIRGAP_CONFIG = join(msb.dir, 'config.json');
    await writeFile(msb.env.AIRGAP_CONFIG, JSON.stringify({ version: 1, sources: [big] }));
    await labelledDrive(msb, 'A');
    const baselines = join(msb.env.AIRGAP_STATE_DIR!, 'baselines');

    const timed = async (...args: string[]) => {
      const s = process.hrtime.bigint();
      const r = await msb.run(...args);
      const ms = Number(process.hrtime.bigint() - s) / 1e6;
      expect(r.code, r.stderr).toBe(0);
      return { ms, out: JSON.parse(r.stdout) };
    };
    const first = await timed('backup', '--drive', 'A', '--json');
    expect(first.out.meta.counts.files).toBe(40_000);

    // One round in npm test (a figure, not an assertion); AIRGAP_GATE_ROUNDS=3 for a median.
    const ROUNDS = Number(process.env.AIRGAP_GATE_ROUNDS ?? 1);
    const withGate: number[] = [];
    const without: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      // With the gate: the baseline of the previous backup is there; no changes.
      const g = await timed('backup', '--drive', 'A', '--json');
      expect(g.out.meta.gate).toMatchObject({ suspect: false, counts: { oldFiles: 40_000, newFiles: 40_000, modified: 0 } });
      withGate.push(g.ms);
      // Without: no baseline and a fresh drive with no snapshot, so there is nothing to compare with.
      await rm(baselines, { recursive: true, force: true });
      await labelledDrive(msb, `F${k}`);
      const n = await timed('backup', '--drive', `F${k}`, '--json');
      expect(n.out.meta.gate).toBeUndefined();
      without.push(n.ms);
      await rm(msb.drive(`F${k}`), { recursive: true, force: true });
      // Drive A keeps only its newest snapshot (disk space); the run above wrote a new baseline.
      const snapsA = (await readdir(join(msb.drive('A'), 'airgap'))).filter((x) => /^\d{4}-/.test(x)).sort();
      for (const old of snapsA.slice(0, -1)) await rm(join(msb.drive('A'), 'airgap', old), { recursive: true, force: true });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const g = median(withGate);
    const n = median(without);
    console.log(`gate-overhead: 40000 files in 100 folders (tree built in ${buildMs} ms, first backup ${first.ms.toFixed(0)} ms); `
      + `second backup with gate median ${g.toFixed(0)} ms [${withGate.map((x) => x.toFixed(0)).join(', ')}], `
      + `without (no baseline, fresh drive) median ${n.toFixed(0)} ms [${without.map((x) => x.toFixed(0)).join(', ')}]; `
      + `overhead ${(((g - n) / n) * 100).toFixed(1)} %`);
  });
});
