// Issue 17's "Done when": the newcomer's seven weeks, replayed as one story through the built CLI
// with AIRGAP_NOW. Three drives in a weekly round-robin (A, B offsite, C), the defaults `init`
// writes (format 2, the default retention), a home folder that changes every week.
//
//   week 1  A  init, label A B C; the first full on A
//   week 2  B  edits, a new letter, a deleted recipe
//   week 3  C  photos imported
//   week 4  A  ransomware on Monday: the backup is stopped by the gate (SUSPECT snapshot, exit 4);
//              restore takes the newest good snapshot on A and says so; the newest good copy
//              anywhere (C) comes back byte for byte with --from-any; files put back; reject;
//              pruning released; the recovered files backed up on A (a new full)
//   week 5  B  B was reformatted at the office: the CLI says so and names `airgap replace`;
//              replaced, the rotation goes on onto the new disk
//   week 6  C  edits, an add, a delete; status calls A nearly full, with its free space
//   week 7  A  holiday photos: the small drive A is full; backup refuses before writing, with both
//              sizes and the way out; with "fit": true it removes the oldest chain first (week 1's
//              full and the rejected SUSPECT increment on it) and writes; no last good copy goes.
//              (The plan cannot see the import before a scan: it guesses the size from the newest
//              snapshot anywhere, here an increment of a few kB, and says it fits.)
//   end        every drive verifies; RESTORE.txt run with sha256sum and GNU tar gives the final
//              folders back; status counts only this config's drives; airgap log has the runs
//
// The drives are real tmpfs filesystems (A of 9 MiB, B and C of 48 MiB) where mounting is allowed:
// each lives on the "shelf" and is plugged in by bind-mounting it under the drives root, unplugged
// by unmounting it; reformatting B is a fresh tmpfs. Without mounts (not root), the drives are plain
// folders moved between the shelf and the drives root, and only A's filling up is left out.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { whyNoMount } from '../helpers/mount.js';
import { Mulberry32 } from '../helpers/prng.js';
import { restoreScript, runScript } from '../helpers/stock-restore.js';
import { readTree } from '../helpers/tree.js';

const noMount = whyNoMount();
if (noMount) console.log(`seven weeks: plain folders for drives, A's filling up left out: ${noMount}`);
/** AIRGAP_STORY_LOG=<file>: the story's transcript (every command and its output), for reading. */
const LOG = process.env.AIRGAP_STORY_LOG;
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const line = (r: CliResult, prefix: string) => (r.stdout + r.stderr).split('\n').find((l) => l.startsWith(prefix)) ?? '';
const json = <T>(r: CliResult): T => {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON: ${show(r)}`);
  }
};
const SNAPSHOT = /^\d{4}-\d\d-\d\dT\d{6}Z$/;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 7); // Saturday 2026-03-07: the day of init and of every backup
const SIZE: Record<string, string> = { A: '9m', B: '48m', C: '48m' };

let sb: Sandbox;
let shelf: string;
let docs: string;
let pics: string;
let configPath: string;
const mounts: string[] = [];

// ---- the clock ---------------------------------------------------------------------------------

let now = START;
/** Day `d` of the story (0: the first Saturday) at `hour` UTC: AIRGAP_NOW for every command after. */
function at(d: number, hour = 10): void {
  now = START + d * DAY + hour * 3_600_000;
  sb.env.AIRGAP_NOW = new Date(now).toISOString();
}
/** Saturday of week w (1–7). */
const saturday = (w: number) => 7 * (w - 1);
/** An hour after the last command: a verify after its backup, a restore after the verify. */
function later(): void {
  now += 3_600_000;
  sb.env.AIRGAP_NOW = new Date(now).toISOString();
}
const dateOf = (d: number) => new Date(START + d * DAY).toISOString().slice(0, 10);

async function airgap(...args: string[]): Promise<CliResult> {
  const r = await runChecked(sb, args);
  if (LOG) appendFileSync(LOG, `\n[${sb.env.AIRGAP_NOW}] $ airgap ${args.join(' ')}\n${r.stdout}${r.stderr ? `--- stderr\n${r.stderr}` : ''}[exit ${r.code}]\n`);
  return r;
}
async function ok(...args: string[]): Promise<CliResult> {
  const r = await airgap(...args);
  expect(r.code, `airgap ${args.join(' ')}\n${show(r)}`).toBe(0);
  return r;
}

// ---- the drives: tmpfs disks on a shelf, plugged in by a bind mount ------------------------------

const port = (n: string) => sb.drive(n);
const disk = (n: string) => join(shelf, n);
function sh(cmd: string, ...args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}
async function newDisk(n: string): Promise<void> {
  await mkdir(disk(n), { recursive: true });
  if (noMount) return;
  sh('mount', '-t', 'tmpfs', '-o', `size=${SIZE[n]}`, 'tmpfs', disk(n));
  mounts.push(disk(n));
}
async function plugIn(n: string): Promise<void> {
  if (noMount) return rename(disk(n), port(n));
  await mkdir(port(n));
  sh('mount', '--bind', disk(n), port(n));
  mounts.push(port(n));
}
async function unplug(n: string): Promise<void> {
  if (noMount) return rename(port(n), disk(n));
  sh('umount', port(n));
  mounts.splice(mounts.indexOf(port(n)), 1);
  await rm(port(n), { recursive: true });
}
/** A fresh, empty filesystem where the disk was: everything on it is gone. */
async function reformat(n: string): Promise<void> {
  if (noMount) {
    await rm(disk(n), { recursive: true });
    return mkdir(disk(n));
  }
  sh('umount', disk(n));
  mounts.splice(mounts.indexOf(disk(n)), 1);
  await newDisk(n);
}
const snapshotsOn = async (n: string) => (await readdir(join(port(n), 'airgap'))).filter((x) => SNAPSHOT.test(x)).sort();

// ---- the home folder ---------------------------------------------------------------------------

const rng = new Mulberry32(17);
const WORDS = ('the budget meeting invoice project report draft final review notes summer holiday family photo recipe garden '
  + 'letter contract insurance tax return school homework music travel plan bank statement receipt warranty manual').split(' ');
function prose(size: number): string {
  let s = '';
  while (s.length < size) {
    const words = Array.from({ length: rng.int(6, 14) }, () => rng.pick(WORDS));
    s += `${words.join(' ')} ${rng.int(1, 99_999)}.\n`;
  }
  return s.slice(0, size);
}
/** Writes a file as the user does, dated by the story's clock. */
async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  await utimes(path, now / 1000, now / 1000);
}
const photos = async (folder: string, from: number, count: number, size: [number, number]) => {
  for (let i = 0; i < count; i++) await put(join(pics, folder, `IMG_${from + i}.jpg`), rng.bytes(rng.int(...size)));
};
const FOLDERS = ['Letters', 'Taxes/2025', 'Recipes', 'Work/Projects', 'Work/Minutes', 'School'];

/** ~1.5 MB: 120 text files in six folders, names with a comma and spaces, a hard link, a symlink, five photos. */
async function firstFiles(): Promise<void> {
  for (const f of FOLDERS) {
    for (let i = 0; i < 20; i++) await put(join(docs, f, `${f.split('/').at(-1)!.toLowerCase()}-${String(i).padStart(2, '0')}.txt`), prose(rng.int(2000, 9000)));
  }
  await put(join(docs, 'Budget, 2026.csv'), 'month,amount\njan,1200\nfeb,1150\n');
  await put(join(docs, 'Meeting notes.txt'), prose(3000));
  await put(join(docs, 'Work', 'report.txt'), prose(6000));
  await mkdir(join(docs, 'Shared'));
  await link(join(docs, 'Work', 'report.txt'), join(docs, 'Shared', 'report (team copy).txt'));
  await symlink('Work/report.txt', join(docs, 'current report'));
  await photos('2025', 1000, 5, [120_000, 200_000]);
}

/** The two folders as a faithful restore must give them back: content, modes, mtimes, links. */
const folders = async (root = join(docs, '..')) => ({
  Documents: await readTree(join(root, 'Documents'), { hashContent: true }),
  Pictures: await readTree(join(root, 'Pictures'), { hashContent: true }),
});

// ---- one week ----------------------------------------------------------------------------------

/** Saturday morning: plan and status name the due drive. */
async function dueToday(w: number, drive: string): Promise<CliResult> {
  at(saturday(w), 9);
  const plan = await ok('plan');
  expect(plan.stdout, show(plan)).toMatch(new RegExp(`^Plan for ${dateOf(saturday(w))}: write today's snapshot to drive ${drive}\\.$`, 'm'));
  // The offsite drive stays away, or the air gap is kept by a drive at home.
  expect(plan.stdout).toMatch(drive === 'B' ? /^ {2}[AC] {8}offline {2}\(required\) air gap/m : /^ {2}B {8}offsite {2}\(required\) offsite copy/m);
  const status = await ok('status');
  expect(status.stdout, show(status)).toMatch(new RegExp(`^${drive} {2}\\[(home|offsite)\\] {2}(not connected|CONNECTED) — should be: connected now: it is due$`, 'm'));
  expect(status.stdout).toContain(`Next: connect drive ${drive} (only it) and run airgap backup`);
  // No false alarm: 48 MB drives are not "too small" for a few MB of files kept as chains.
  expect(plan.stdout + status.stdout).not.toMatch(/too small for its retention|cannot hold (even one|two full)/);
  return status;
}

/** The week's backup on the due drive, then verify, eject and unplug: the rotation. */
async function backUp(w: number, drive: string, opts: { next: string; kind: 'FULL' | 'INCREMENTAL' }): Promise<string> {
  at(saturday(w), 10);
  const b = await ok('backup', '--drive', drive);
  const id = /^Snapshot (\S+) written to drive (\S+)$/m.exec(b.stdout);
  expect(id?.[2], show(b)).toBe(drive);
  expect(b.stdout).toMatch(new RegExp(`^ {2}format 2, ${opts.kind}`, 'm'));
  expect(b.stdout).toMatch(/^ {2}verified: read back and checked against SHA256SUMS$/m);
  const away = drive === 'B' ? 'take it to its offsite place' : 'put it away, disconnected';
  expect(b.stdout).toContain(`Next: eject ${drive} (airgap eject ${drive}), then: Unplug ${drive} and ${away}; next: bring ${opts.next}.`);
  expect(await snapshotsOn(drive)).toContain(id![1]);
  await verifyClean(drive);
  const e = await ok('eject', drive);
  expect(e.stdout).toMatch(new RegExp(`^Drive ${drive} is simulated \\(under --drives-root\\): nothing to eject\\.$`, 'm'));
  await unplug(drive);
  return id![1]!;
}

async function verifyClean(drive: string): Promise<void> {
  later();
  const v = await ok('verify', drive);
  const count = (await snapshotsOn(drive)).length;
  expect(v.stdout, show(v)).toMatch(new RegExp(`^OK: ${count} snapshots? verified`, 'm'));
  expect(v.stdout).not.toMatch(/DAMAGED|INCOMPLETE/);
}

// ---- the story, week by week -------------------------------------------------------------------

/** Snapshot ids as they are written, and the folders as they were at two moments. */
const id: Record<string, string> = {};
let week1: Awaited<ReturnType<typeof folders>>;
let beforeAttack: Awaited<ReturnType<typeof folders>>;

async function week1SetUp(): Promise<void> {
  at(saturday(1), 8);
  await firstFiles();
  const init = await ok('init', '--source', docs, '--source', pics, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes');
  expect(init.stdout).toContain(`Wrote ${configPath}`);
  expect(init.stdout).toMatch(/^ {2}cadence: weekly \(from 2026-03-07\), round-robin$/m);
  expect(init.stdout).toMatch(/^ {2}offsite: B \(/m);
  expect(init.stdout).toMatch(/^ {2}keeps: {3}the last 3, and the newest of each of the last 7 days, 5 weeks, 12 months and 10 years/m);
  for (const n of ['A', 'B', 'C']) {
    await newDisk(n);
    await plugIn(n);
    const l = await ok('label', port(n), '--name', n, '--yes');
    expect(l.stdout).toMatch(new RegExp(`^Labelled ${esc(port(n))} as airgap drive "${n}" \\(id [0-9a-f-]{36}\\)\\.$`, 'm'));
    await unplug(n);
  }
  await dueToday(1, 'A');
  await plugIn('A');
  id.a1 = await backUp(1, 'A', { next: 'B on 2026-03-14', kind: 'FULL' });
  week1 = await folders();
}

async function week2Edits(): Promise<void> {
  at(saturday(2) - 3, 19);
  await put(join(docs, 'Letters', 'letters-03.txt'), prose(4000));
  await put(join(docs, 'Letters', 'letter to the bank.txt'), prose(2000));
  await unlink(join(docs, 'Recipes', 'recipes-05.txt'));
  await put(join(docs, 'Budget, 2026.csv'), 'month,amount\njan,1200\nfeb,1150\nmar,1300\n');
  await dueToday(2, 'B');
  await plugIn('B');
  id.b2 = await backUp(2, 'B', { next: 'C on 2026-03-21', kind: 'FULL' });
}

async function week3Photos(): Promise<void> {
  at(saturday(3) - 2, 20);
  await photos('2026/Spring', 2000, 6, [180_000, 220_000]);
  await put(join(docs, 'Meeting notes.txt'), prose(3500));
  await dueToday(3, 'C');
  await plugIn('C');
  id.c3 = await backUp(3, 'C', { next: 'A on 2026-03-28', kind: 'FULL' });
  beforeAttack = await folders();
}

/** Monday of week 4: 7 of every 10 documents rewritten with random bytes (same names, that day's date), the Work ones renamed *.locked, a note in every folder. */
async function ransomware(): Promise<void> {
  at(saturday(4) - 5, 3);
  const attacked: string[] = [];
  let k = 0;
  for (const f of FOLDERS) {
    for (const name of (await readdir(join(docs, f))).sort()) {
      if (k++ % 10 >= 7) continue;
      const p = join(docs, f, name);
      await put(p, rng.bytes((await readFile(p)).length));
      attacked.push(p);
    }
    await put(join(docs, f, 'HOW TO DECRYPT.txt'), 'Your files are encrypted. Send 0.5 BTC to get them back.\n');
  }
  for (const p of attacked.filter((x) => x.includes('/Work/'))) await rename(p, `${p}.locked`);
}

/** Saturday: the backup is stopped by the gate; the snapshot is kept as SUSPECT; list, status, verify and prune say so. */
async function week4BackupStoppedByTheGate(): Promise<void> {
  await dueToday(4, 'A');
  await plugIn('A');
  at(saturday(4), 10);
  const hit = await airgap('backup', '--drive', 'A');
  expect(hit.code, show(hit)).toBe(4);
  const suspect = /snapshot (\S+) was written and marked SUSPECT/.exec(hit.stderr)?.[1];
  expect(suspect, show(hit)).toMatch(SNAPSHOT);
  id.suspect = suspect!;
  expect(line(hit, 'error:')).toMatch(/^error: the sources changed like ransomware or a broken sync would change them \(\d+ % of the files changed or disappeared and 100 % of the changed ones now look encrypted .*\): snapshot \S+ was written and marked SUSPECT, and nothing was pruned on any drive$/);
  expect(line(hit, 'hint:')).toBe(`hint: check the files now (open a few of them); if the changes are yours, accept them with: airgap accept A ${suspect} (or airgap backup --accept-changes); if not, disconnect the drive, restore from an older snapshot (restore skips this one), then: airgap reject A ${suspect}`);
  expect(hit.stdout).toMatch(/^ {2}new extensions: \.locked \(\d+\)$/m);
  expect(hit.stdout).toMatch(/HOW TO DECRYPT\.txt in 6 folders/);
  expect(await snapshotsOn('A')).toEqual([id.a1, suspect]);

  later();
  const list = await ok('list', 'A');
  expect(list.stdout.split('\n').find((l) => l.includes(suspect!))).toMatch(/SUSPECT: mass changes, not accepted \(restore skips it unless named\)/);
  const status = await ok('status');
  expect(status.stdout).toContain(`  SUSPECT: ${suspect}, not accepted; not counted as a copy: airgap accept A ${suspect} or airgap reject A ${suspect}`);
  expect(status.stdout).toMatch(new RegExp(`^ALERT: suspect snapshot ${suspect} on A, not accepted`, 'm'));
  const verify = await ok('verify', 'A');
  expect(verify.stdout).toMatch(new RegExp(`^ {2}${suspect} {2}OK .*\\n {4}note: SUSPECT: mass changes`, 'm'));
  const blocked = await ok('prune', 'A', '--dry-run');
  expect(blocked.stdout).toContain(`airgap prune A would refuse now: no pruning while a suspect snapshot is not accepted (A/${suspect})`);
}

/** Restore without --snapshot passes over the SUSPECT one and says so; the newest good copy (C) comes back byte for byte and becomes the home folder again. */
async function week4Recovery(): Promise<void> {
  later();
  const fromA = join(sb.dir, 'restored-from-A');
  const r1 = await ok('restore', 'A', '--to', fromA);
  expect(r1.stdout).toContain(`note: took ${id.a1}, the newest snapshot that is not SUSPECT. Passed over: ${id.suspect} (SUSPECT:`);
  expect(await folders(fromA)).toEqual(week1);
  // The newest good copy is on C (week 3): plugged in beside A, --from-any takes it.
  await plugIn('C');
  const rescued = join(sb.dir, 'recovered');
  const r2 = await ok('restore', '--from-any', '--to', rescued);
  expect(r2.stdout).toMatch(new RegExp(`^note: --from-any took snapshot ${id.c3} from drive C: the newest copy that is not SUSPECT on the connected drives of this config \\(A, C\\)$`, 'm'));
  expect(await folders(rescued)).toEqual(beforeAttack);
  await unplug('C');
  await rm(docs, { recursive: true });
  await rm(pics, { recursive: true });
  await rename(join(rescued, 'Documents'), docs);
  await rename(join(rescued, 'Pictures'), pics);
  expect(await folders()).toEqual(beforeAttack);
}

/** reject: the SUSPECT snapshot stays as evidence, pruning is released; the recovered files go onto A the same day. */
async function week4RejectAndBackUpAgain(): Promise<void> {
  const rej = await ok('reject', 'A', id.suspect!, '--yes');
  expect(rej.stdout).toContain(`Rejected snapshot ${id.suspect} on A: it stays on the drive as evidence, still SUSPECT`);
  expect(rej.stdout).toContain('Pruning may go ahead again');
  const released = await ok('prune', 'A', '--dry-run');
  expect(released.stdout).toMatch(/^Nothing to prune on A: every snapshot is kept by the retention policy\.$/m);
  expect(released.stdout).not.toMatch(/would refuse/);
  const status = await ok('status');
  expect(status.stdout).not.toMatch(/^ALERT: suspect/m);
  expect(status.stdout).toContain(`  SUSPECT (rejected): ${id.suspect}, kept as evidence; not counted as a copy, restore skips it unless named`);
  later();
  // A rejected snapshot is not A's backup of the week: A is due again, for a good one.
  const plan = await ok('plan');
  expect(plan.stdout, show(plan)).toMatch(/^Plan for \S+: write today's snapshot to drive A\.$/m);
  // The gate compares the recovered files with the good state: no change, no trip.
  const again = await ok('backup');
  expect(again.stdout).toMatch(/^ {2}changes since the last accepted backup of these sources: 0 added, 0 modified, 0 deleted, 0 renamed$/m);
  // The SUSPECT increment weighs more than half of A's full: the recovered files start a new chain.
  expect(again.stdout).toMatch(/^ {2}why a full: the chain's increments weigh \d+ % of its full/m);
  id.a4 = /^Snapshot (\S+) written/m.exec(again.stdout)![1]!;
  await verifyClean('A');
  await ok('eject', 'A');
  await unplug('A');
}

/** B comes back from the office reformatted: the CLI says so and names replace; the new disk takes B's place. */
async function week5ReformattedB(): Promise<void> {
  await reformat('B');
  await dueToday(5, 'B');
  await plugIn('B');
  at(saturday(5), 10);
  const blank = await airgap('backup', '--drive', 'B');
  expect(blank.code, show(blank)).toBe(4);
  expect(line(blank, 'error:')).toBe(`error: drive B is not connected: the disk at ${port('B')}, where it was last seen on 2026-03-14, is not an airgap drive (no airgap/ folder: reformatted, or another disk)`);
  expect(line(blank, 'hint:')).toBe(`hint: if it is B reformatted, or a new disk to take its place: airgap replace B ${port('B')}; otherwise plug in B`);
  const replace = await ok('replace', 'B', port('B'), '--yes');
  expect(replace.stdout).toMatch(new RegExp(`^Drive B is now the disk at ${esc(port('B'))} \\(id [0-9a-f-]{36}\\); it takes B's place in the rotation\\.$`, 'm'));
  expect(replace.stdout).toMatch(/^The drive it replaces \(id [0-9a-f-]{36}, 1 snapshot recorded\) stays in this host's history, marked replaced/m);
  id.b5 = await backUp(5, 'B', { next: 'C on 2026-04-11', kind: 'FULL' });
}

async function week6Edits(): Promise<void> {
  at(saturday(6) - 4, 18);
  await put(join(docs, 'School', 'school-02.txt'), prose(5000));
  await put(join(docs, 'Recipes', 'pancakes, the good ones.txt'), prose(1500));
  await unlink(join(docs, 'Letters', 'letters-11.txt'));
  const status = await dueToday(6, 'C');
  if (!noMount) {
    // A, with its three snapshots, is called nearly full, with its free space.
    expect(status.stdout).toMatch(/^ {2}holds 3 snapshots, newest \S+ · [\d.]+ MB free$/m);
    expect(status.stdout).toMatch(/^ALERT: A is nearly full \(room for 1 more snapshot\)$/m);
  }
  await plugIn('C');
  id.c6 = await backUp(6, 'C', { next: 'A on 2026-04-18', kind: 'INCREMENTAL' });
}

/** Holiday photos: A cannot take them; backup refuses with both sizes and the way out; with "fit": true the oldest chain goes first. */
async function week7FullDrive(): Promise<void> {
  at(saturday(7) - 1, 21);
  await photos('2026/Holiday', 3000, 14, [240_000, 260_000]);
  await put(join(docs, 'Letters', 'postcard.txt'), prose(800));
  await dueToday(7, 'A');
  await plugIn('A');
  const before = await snapshotsOn('A');
  expect(before).toEqual([id.a1, id.suspect, id.a4]);
  if (!noMount) {
    // The plan shows the sizes it knows, and says the next is an increment guessed from the
    // recent ones: this week's import is measured only by the backup's scan.
    const plan = await ok('plan');
    expect(plan.stdout, show(plan)).toMatch(/^Size: about [\d.]+ [kM]B \(an increment: what changed since A's last snapshot, about as large as the recent ones\), [\d.]+ MB free on A\.$/m);
    at(saturday(7), 10);
    const full = await airgap('backup', '--drive', 'A');
    expect(full.code, show(full)).toBe(4);
    expect(line(full, 'error:')).toMatch(/^error: not enough space on drive A: the snapshot needs about [\d.]+ MB, the drive has [\d.]+ MB free; retention keeps every snapshot on it$/);
    expect(line(full, 'hint:')).toBe(`hint: keep fewer snapshots ("retention" in ${configPath}, or "fit": true to remove the oldest as needed: docs/rotation.md), free space on the drive, or use a larger drive; nothing was written`);
    expect(await snapshotsOn('A')).toEqual(before);
    // Following the hint: A keeps as many snapshots as fit.
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.drives.rotation.find((d: { name: string }) => d.name === 'A').retention = { fit: true };
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const fitPlan = await ok('plan');
    expect(fitPlan.stdout).toContain('fit mode on A: every snapshot stays while there is room');
  }
  at(saturday(7), 11);
  const b = await ok('backup', '--drive', 'A');
  id.a7 = /^Snapshot (\S+) written/m.exec(b.stdout)![1]!;
  if (!noMount) {
    // The oldest chain goes: week 1's full with the rejected SUSPECT increment built on it.
    expect(line(b, 'note: not enough space')).toMatch(new RegExp(`^note: not enough space on drive A: the snapshot needs about [\\d.]+ MB, the drive has [\\d.]+ MB free: removing 2 old snapshots \\(${id.a1}, ${id.suspect}, [\\d.]+ MB\\) first \\(fit: the oldest, to make room for the new snapshot\\)$`));
  }
  // No last good copy went: A keeps its newest chain, with this week's snapshot on it.
  expect(await snapshotsOn('A')).toEqual(noMount ? [id.a1, id.suspect, id.a4, id.a7] : [id.a4, id.a7]);
  await verifyClean('A');
  await ok('eject', 'A');
  await unplug('A');
}

/** Every drive verifies; RESTORE.txt with stock tools gives the final folders back; status and log. */
async function theEnd(): Promise<void> {
  const final = await folders();
  at(saturday(7), 15);
  for (const n of ['A', 'B', 'C']) await plugIn(n);
  for (const n of ['A', 'B', 'C']) await verifyClean(n);
  expect(await snapshotsOn('B')).toEqual([id.b5]);
  expect(await snapshotsOn('C')).toEqual([id.c3, id.c6]);
  // Without airgap, as the drive's RESTORE.txt says: sha256sum -c, then GNU tar along the chain.
  const home = await mkdtemp(join(sb.dir, 'stock-'));
  const script = await restoreScript(join(port('A'), 'airgap', id.a7!, 'RESTORE.txt'), port('A'));
  expect(script).toMatch(/sha256sum -c/);
  expect(runScript(['sh'], script, { PATH: process.env.PATH!, HOME: home })).not.toMatch(/FAILED/);
  expect(await folders(join(home, `restored-${id.a7}`))).toEqual(final);

  const st = json<{ drives: { name: string; snapshots: number }[]; copies: { date: string; drives: string[] }[] }>(await ok('status', '--json'));
  expect(st.drives.map((d) => [d.name, d.snapshots])).toEqual([['A', noMount ? 4 : 2], ['B', 1], ['C', 2]]);
  // The newest copies: no SUSPECT one, and not the reformatted B's week-2 snapshot.
  expect(st.copies).toEqual([[7, 'A'], [6, 'C'], [5, 'B'], [4, 'A'], [3, 'C']].map(([w, d]) => ({ date: dateOf(saturday(w as number)), drives: [d] })));

  const log = await ok('log');
  const runs = [['backup', 'A', 'suspect'], ['restore', 'A', 'ok'], ['restore', 'C', 'ok'], ['reject', 'A', 'ok'], ['backup', 'B', 'refused'], ['replace', 'B', 'ok'],
    ...(noMount ? [] : [['backup', 'A', 'refused']])];
  for (const [command, drive, outcome] of runs) expect(log.stdout, show(log)).toMatch(new RegExp(`^[\\d-]{10} [\\d:]{8} {2}${command} +${drive} +${outcome} `, 'm'));
  expect(log.stdout.split('\n').filter((l) => / backup +[ABC] +ok /.test(l))).toHaveLength(7);
}

describe('seven weeks with three drives, a ransomware attack, a reformatted drive and a full one (issue 17)', () => {
  beforeAll(async () => {
    sb = await makeSandbox();
    shelf = join(sb.dir, 'shelf');
    docs = join(sb.dir, 'home', 'Documents');
    pics = join(sb.dir, 'home', 'Pictures');
    configPath = join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
    await mkdir(shelf);
    if (LOG) await writeFile(LOG, '');
  });
  afterAll(async () => {
    for (const m of mounts.reverse()) execFileSync('umount', ['-l', m], { stdio: 'pipe' });
    await sb?.cleanup();
  });

  it('runs green from start to finish', async () => {
    await week1SetUp();
    await week2Edits();
    await week3Photos();
    await ransomware();
    await week4BackupStoppedByTheGate();
    await week4Recovery();
    await week4RejectAndBackUpAgain();
    await week5ReformattedB();
    await week6Edits();
    await week7FullDrive();
    await theEnd();
  }, 600_000); // a cap for a loaded machine, not an expectation
});
