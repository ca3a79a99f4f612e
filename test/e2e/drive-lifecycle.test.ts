// Drives that come and go (issue 17 §3): foreign drives, adopt, replace, retire — each through
// the built CLI as a subprocess, against real folders.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const line = (r: CliResult, prefix: string) => r.stderr.split('\n').find((l) => l.startsWith(prefix)) ?? '';

let sb: Sandbox;
let src: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'a.txt'), 'hello\n');
  sb.env.AIRGAP_NOW = '2026-03-02T10:00:00Z';
});

afterEach(() => sb.cleanup());

const configFile = (env: Record<string, string>) => join(env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
async function rotation(env: Record<string, string> = sb.env): Promise<{ name: string; id?: string }[]> {
  return JSON.parse(await readFile(configFile(env), 'utf8')).drives.rotation;
}
const driveId = async (path: string) => JSON.parse(await readFile(join(path, 'airgap', 'drive.json'), 'utf8')).id as string;
const snapshotsOn = async (path: string) => (await readdir(join(path, 'airgap'))).filter((n) => /^\d{4}-/.test(n));

async function init(env: Record<string, string>, drives: string): Promise<void> {
  const r = await runChecked({ env }, ['init', '--source', src, '--drives', drives, '--cadence', 'weekly', '--yes']);
  expect(r.code, show(r)).toBe(0);
}

describe('foreign drives: a known name with an unknown id', () => {
  it("a second user's fresh config does not adopt someone else's drive B: foreign in backup, drives and status, until airgap adopt", async () => {
    await init(sb.env, 'A,B');
    const b = await labelledDrive(sb, 'B');
    expect((await runChecked(sb, ['backup', '--drive', 'B'])).code).toBe(0);
    const owner = await snapshotsOn(b);
    // Another user on this computer: their own config and state, the same plugged-in drive B.
    const other = { ...sb.env, AIRGAP_STATE_DIR: join(sb.dir, 'state2'), XDG_CONFIG_HOME: join(sb.dir, 'config2') };
    await init(other, 'A,B');
    const w = await runChecked({ env: other }, ['backup', '--drive', 'B']);
    expect(w.code, show(w)).toBe(4);
    expect(line(w, 'error:'), show(w)).toMatch(/not your drive B \(a foreign drive\).*never labelled or used this drive.*nothing was written/);
    expect(line(w, 'hint:'), show(w)).toContain(`airgap adopt ${b}`);
    expect(await snapshotsOn(b)).toEqual(owner);
    expect((await rotation(other)).find((d) => d.name === 'B')?.id).toBeUndefined();
    const d = await runChecked({ env: other }, ['drives']);
    expect(d.stdout, show(d)).toMatch(/foreign: not your drive B/);
    const listAll = await runChecked({ env: other }, ['list']);
    expect(listAll.stdout, show(listAll)).toMatch(/warning: foreign: not your drive B.*airgap adopt/);
    expect(listAll.stdout).toContain(owner[0]); // still readable
    const listJson = JSON.parse((await runChecked({ env: other }, ['list', '--json'])).stdout);
    expect(JSON.stringify(listJson)).toContain('"foreign":true');
    const st = await runChecked({ env: other }, ['status', '--json']);
    const view = JSON.parse(st.stdout) as { drives: { name: string; connected: boolean }[]; copies: { drives: string[] }[]; alerts: string[] };
    expect(view.drives.find((x) => x.name === 'B')?.connected).toBe(false);
    expect(view.copies.flatMap((c) => c.drives)).not.toContain('B');
    expect(view.alerts.join('\n')).toMatch(/not your drive B \(a foreign drive\)/);
    expect((await rotation(other)).find((x) => x.name === 'B')?.id).toBeUndefined();
    // Adopting is explicit, asked for, and then B is the second user's drive B.
    expect((await runChecked({ env: other }, ['adopt', 'B'])).code).toBe(2); // no terminal, no --yes
    const a = await runChecked({ env: other }, ['adopt', b, '--yes']);
    expect(a.code, show(a)).toBe(0);
    expect(a.stdout).toMatch(/Adopted the drive .* as your drive B/);
    expect((await rotation(other)).find((x) => x.name === 'B')?.id).toBe(await driveId(b));
    const again = await runChecked({ env: other }, ['status', '--json']);
    expect(JSON.parse(again.stdout).drives.find((x: { name: string }) => x.name === 'B').connected).toBe(true);
  });

  it('a config without ids (written before they were recorded) binds the first drive this host knows, and says so', async () => {
    const a = await labelledDrive(sb, 'A'); // labelled before init: no config to bind yet
    await init(sb.env, 'A,B');
    expect((await rotation()).find((d) => d.name === 'A')?.id).toBeUndefined();
    const st = await runChecked(sb, ['status']);
    expect(st.stderr, show(st)).toMatch(/drive A \(id .*\) is now bound to its name in the config/);
    expect((await rotation()).find((d) => d.name === 'A')?.id).toBe(await driveId(a));
  });
});

async function catalog(env: Record<string, string> = sb.env): Promise<{ id: string; name: string; snapshots: unknown[]; replaced?: { by: string } }[]> {
  return JSON.parse(await readFile(join(env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')).drives;
}

/** A rotation A, B with a snapshot on B, then B lost: its disk goes to a drawer outside the drives root. */
async function bLost(): Promise<{ oldB: string; oldId: string; oldSnaps: string[] }> {
  await init(sb.env, 'A,B');
  await labelledDrive(sb, 'A');
  const b = await labelledDrive(sb, 'B');
  const r = await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected']);
  expect(r.code, show(r)).toBe(0);
  const oldId = await driveId(b);
  const oldSnaps = await snapshotsOn(b);
  const oldB = join(sb.dir, 'drawer-B');
  await rename(b, oldB);
  return { oldB, oldId, oldSnaps };
}

describe('airgap replace <old> <path>', () => {
  it('a new disk takes lost B\'s name and place: new id in the config, old history kept as replaced, old disk foreign but readable, nothing deleted', async () => {
    const { oldB, oldId, oldSnaps } = await bLost();
    const fresh = sb.drive('new-disk');
    await mkdir(fresh);
    const unconfirmed = await runChecked(sb, ['replace', 'B', fresh]);
    expect(unconfirmed.code, show(unconfirmed)).toBe(2);
    expect(line(unconfirmed, 'hint:')).toContain('--yes');
    expect(await readdir(fresh)).toEqual([]);
    const r = await runChecked(sb, ['replace', 'B', fresh, '--yes']);
    expect(r.code, show(r)).toBe(0);
    const newId = await driveId(fresh);
    expect(newId).not.toBe(oldId);
    expect(r.stdout).toMatch(new RegExp(`Drive B is now the disk at .*id ${newId}.*\\n.*replaces \\(id ${oldId}, 1 snapshot recorded\\).*marked replaced`));
    expect((await rotation()).find((d) => d.name === 'B')?.id).toBe(newId);
    const old = (await catalog()).find((d) => d.id === oldId)!;
    expect(old.replaced?.by).toBe(newId);
    expect(old.snapshots).toHaveLength(1); // the history stays
    // status: B is the new disk, with no snapshot yet; the lost disk's snapshot is no copy any more.
    const st = JSON.parse((await runChecked(sb, ['status', '--json'])).stdout) as { drives: { name: string; connected: boolean; snapshots: number }[]; copies: { drives: string[] }[] };
    expect(st.drives.filter((d) => d.name === 'B')).toMatchObject([{ connected: true, snapshots: 0 }]);
    expect(st.copies.flatMap((c) => c.drives)).not.toContain('B');
    const w = await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected']);
    expect(w.code, show(w)).toBe(0);
    expect(await snapshotsOn(fresh)).toHaveLength(1);
    // The old disk turns up: foreign (never written), still readable, its snapshot untouched.
    const back = sb.drive('old-B');
    await rename(oldB, back);
    const refused = await runChecked(sb, ['backup', '--drive', back, '--allow-connected']);
    expect(refused.code, show(refused)).toBe(4);
    expect(line(refused, 'error:')).toMatch(/not your drive B \(a foreign drive\)/);
    const list = await runChecked(sb, ['list', back]);
    expect(list.code, show(list)).toBe(0);
    expect(list.stdout).toContain(oldSnaps[0]);
    expect(list.stderr).toMatch(/warning: .*foreign drive/);
    const v = await runChecked(sb, ['verify', back]);
    expect(v.code, show(v)).toBe(0);
    expect(await snapshotsOn(back)).toEqual(oldSnaps);
    expect((await runChecked(sb, ['drives'])).stdout).toMatch(/foreign: not your drive B/);
  });

  it('refuses a source folder, a rotation drive, the drive itself, and (unless --take-over) a disk holding another airgap drive\'s snapshots', async () => {
    const { oldB } = await bLost();
    const onSource = await runChecked(sb, ['replace', 'B', src, '--yes']);
    expect(onSource.code, show(onSource)).toBe(4);
    expect(line(onSource, 'error:')).toMatch(/same disk as (the system|the source)/);
    const a = await runChecked(sb, ['replace', 'B', sb.drive('A'), '--yes']);
    expect(a.code, show(a)).toBe(4);
    expect(line(a, 'error:')).toMatch(/is your drive A .*in the rotation/);
    const back = sb.drive('B');
    await rename(oldB, back);
    const itself = await runChecked(sb, ['replace', 'B', back, '--yes']);
    expect(itself.code, show(itself)).toBe(2);
    expect(line(itself, 'error:')).toMatch(/is drive B itself/);
    // Someone's stray airgap drive "X" with a snapshot: not made B by accident.
    const x = await labelledDrive(sb, 'X');
    expect((await runChecked(sb, ['backup', '--drive', 'X', '--allow-connected'])).code).toBe(0);
    const xSnaps = await snapshotsOn(x);
    const xId = await driveId(x);
    const stray = await runChecked(sb, ['replace', 'B', x, '--yes']);
    expect(stray.code, show(stray)).toBe(4);
    expect(line(stray, 'error:')).toMatch(/already is airgap drive "X" .*holding 1 snapshot/);
    expect(line(stray, 'hint:')).toContain('--take-over');
    expect(await rotation().then((r) => r.find((d) => d.name === 'B')?.id)).toBe(await driveId(back));
    await rename(back, oldB); // B is lost after all
    const taken = await runChecked(sb, ['replace', 'B', x, '--take-over', '--yes']);
    expect(taken.code, show(taken)).toBe(0);
    expect(await snapshotsOn(x)).toEqual(xSnaps);
    expect(await driveId(x)).toBe(xId);
    expect((await rotation()).find((d) => d.name === 'B')?.id).toBe(xId);
  });

  it('label --name B (even --force) on a reformatted disk does not take a bound name: it points to airgap replace', async () => {
    await bLost();
    const reformatted = sb.drive('reformatted');
    await mkdir(reformatted);
    for (const extra of [[], ['--force']]) {
      const r = await runChecked(sb, ['label', reformatted, '--name', 'B', '--yes', ...extra]);
      expect(r.code, show(r)).toBe(2);
      expect(line(r, 'hint:')).toContain(`airgap replace B ${reformatted}`);
    }
    expect(await readdir(reformatted)).toEqual([]);
  });

  it('backup --drive B with a blank disk where B was last seen says it is not an airgap drive and names airgap replace, not "plug it in"', async () => {
    await bLost();
    const place = sb.drive('B'); // where B was last seen: a disk with no airgap/ folder now
    await mkdir(place);
    const r = await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected']);
    expect(r.code, show(r)).toBe(4);
    expect(line(r, 'error:')).toMatch(new RegExp(`^error: drive B is not connected: the disk at ${place}, where it was last seen on 2026-03-02, is not an airgap drive \\(no airgap/ folder: reformatted, or another disk\\)$`));
    expect(line(r, 'hint:')).toBe(`hint: if it is B reformatted, or a new disk to take its place: airgap replace B ${place}; otherwise plug in B`);
    expect(await readdir(place)).toEqual([]);
    // Nothing at that place: the usual "not connected".
    await rm(place, { recursive: true });
    const gone = await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected']);
    expect(line(gone, 'hint:')).toBe('hint: plug it in and mount it, or give its path: --drive /path/to/mountpoint');
  });
});

describe('airgap retire <drive>', () => {
  it('takes C out of the rotation: never planned or written, shown retired, still readable; --undo puts it back', async () => {
    await init(sb.env, 'A,B,C');
    for (const n of ['A', 'B']) await labelledDrive(sb, n);
    const c = await labelledDrive(sb, 'C');
    expect((await runChecked(sb, ['backup', '--drive', 'C', '--allow-connected'])).code).toBe(0);
    const snaps = await snapshotsOn(c);
    expect((await runChecked(sb, ['schedule', '--weeks', '52'])).stdout).toMatch(/\bC\b/);
    expect((await runChecked(sb, ['retire', 'C'])).code).toBe(2); // no terminal, no --yes
    const r = await runChecked(sb, ['retire', 'C', '--yes']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/Retired drive C: out of the rotation.*Undo: airgap retire C --undo/);
    expect((await rotation()).map((d) => d.name)).toEqual(['A', 'B']);
    // The planner no longer schedules it: a year of schedule names A and B only.
    const sched = await runChecked(sb, ['schedule', '--weeks', '52']);
    expect(sched.code, show(sched)).toBe(0);
    expect(sched.stdout).toMatch(/\bA\b/);
    expect(sched.stdout).not.toMatch(/\bC\b/);
    const st = JSON.parse((await runChecked(sb, ['status', '--json'])).stdout) as { drives: { name: string; retired?: boolean; inRotation: boolean; snapshots: number }[]; copies: { drives: string[] }[] };
    expect(st.drives.find((d) => d.name === 'C')).toMatchObject({ retired: true, inRotation: false, snapshots: 1 });
    expect(st.copies.flatMap((x) => x.drives)).toContain('C (retired)');
    expect((await runChecked(sb, ['status'])).stdout).toMatch(/C {2}\[retired\]/);
    // Never written...
    const w = await runChecked(sb, ['backup', '--drive', 'C', '--allow-connected']);
    expect(w.code, show(w)).toBe(4);
    expect(line(w, 'error:')).toMatch(/drive C .* is retired/);
    expect(line(w, 'hint:')).toContain('airgap retire C --undo');
    expect(await snapshotsOn(c)).toEqual(snaps);
    // ...still read.
    expect((await runChecked(sb, ['list', 'C'])).stdout).toContain(snaps[0]);
    expect((await runChecked(sb, ['verify', 'C'])).code).toBe(0);
    expect((await runChecked(sb, ['find', 'C', 'a.txt'])).stdout).toContain('a.txt');
    const to = join(sb.dir, 'restored');
    const rs = await runChecked(sb, ['restore', 'C', '--to', to]);
    expect(rs.code, show(rs)).toBe(0);
    expect((await readdir(to, { recursive: true })).some((p) => p.endsWith('a.txt'))).toBe(true);
    expect(line(await runChecked(sb, ['retire', 'C', '--yes']), 'error:')).toMatch(/already retired/);
    // Reversible.
    const u = await runChecked(sb, ['retire', 'C', '--undo', '--yes']);
    expect(u.code, show(u)).toBe(0);
    expect((await rotation()).map((d) => d.name)).toEqual(['A', 'B', 'C']);
    expect((await runChecked(sb, ['backup', '--drive', 'C', '--allow-connected'])).code).toBe(0);
  });

  it('refuses to leave a rotation smaller than policy.offline needs, and a drive that is not in it', async () => {
    await init(sb.env, 'A,B');
    const r = await runChecked(sb, ['retire', 'B', '--yes']);
    expect(r.code, show(r)).toBe(4);
    expect(line(r, 'hint:')).toMatch(/lower policy.offline .* to 0/);
    expect((await rotation()).map((d) => d.name)).toEqual(['A', 'B']);
    expect((await runChecked(sb, ['retire', 'Z', '--yes'])).code).toBe(2);
  });

  it('a retired drive can have a successor: replace brings its name back into the rotation with the new disk', async () => {
    await init(sb.env, 'A,B,C');
    const c = await labelledDrive(sb, 'C');
    expect((await runChecked(sb, ['retire', 'C', '--yes'])).code).toBe(0);
    await rename(c, join(sb.dir, 'drawer-C'));
    const fresh = sb.drive('new-C');
    await mkdir(fresh);
    const r = await runChecked(sb, ['replace', 'C', fresh, '--yes']);
    expect(r.code, show(r)).toBe(0);
    expect((await rotation()).find((d) => d.name === 'C')?.id).toBe(await driveId(fresh));
    // The drive decisions made are in the run history (issue 17 §6), newest first; one refused
    // before anything was decided is not (as with accept and reject).
    expect((await runChecked(sb, ['retire', 'C', '--undo', '--yes'])).code).toBe(2); // not retired
    expect((await runChecked(sb, ['retire', 'C', '--yes'])).code).toBe(0);
    expect((await runChecked(sb, ['retire', 'C', '--undo', '--yes'])).code).toBe(0);
    const runs = JSON.parse((await runChecked(sb, ['log', '--json'])).stdout) as { command: string; drive: string; outcome: string; exitCode: number }[];
    expect(runs.map((x) => [x.command, x.drive, x.outcome, x.exitCode])).toEqual([
      ['unretire', 'C', 'ok', 0], ['retire', 'C', 'ok', 0], ['replace', 'C', 'ok', 0], ['retire', 'C', 'ok', 0],
    ]);
    const text = (await runChecked(sb, ['log'])).stdout.split('\n');
    expect(text[1]).toMatch(/^\S+ \S+ {2}unretire {2}C +ok +0/);
  });
});

// FAT32 through fusefat (root, fusefat and mkfs.vfat needed): fusefat renames a non-empty folder
// without its contents, so backup refuses it; label, drives and plan say so before any backup.
const FUSEFAT_SKIP = process.getuid?.() !== 0 ? 'needs root' : ['fusefat', 'mkfs.vfat'].find((t) => spawnSync('which', [t]).status !== 0);
describe.skipIf(FUSEFAT_SKIP)('a FAT32 drive mounted through fusefat', () => {
  it('label refuses it; once labelled elsewhere, drives marks it fusefat and plan warns that backup will refuse it', async () => {
    const root = join(sb.dir, 'mnt');
    const mnt = join(root, 'fat');
    await mkdir(mnt, { recursive: true });
    const img = join(sb.dir, 'fat32.img');
    expect(spawnSync('truncate', ['-s', '64M', img]).status).toBe(0);
    expect(spawnSync('mkfs.vfat', ['-F', '32', '-n', 'AGFAT', img]).status).toBe(0);
    const log = openSync(join(sb.dir, 'fusefat.log'), 'a');
    const m = spawnSync('fusefat', ['-o', 'rw+', img, mnt], { stdio: ['ignore', log, log] });
    closeSync(log);
    expect(m.status).toBe(0);
    try {
      const env = { AIRGAP_STATE_DIR: join(sb.dir, 'fstate'), XDG_CONFIG_HOME: join(sb.dir, 'fconfig'), AIRGAP_MOUNT_ROOTS: root, AIRGAP_NOW: sb.env.AIRGAP_NOW! };
      const l = await runChecked({ env }, ['label', mnt, '--name', 'F', '--yes', '--force']);
      expect(l.code, show(l)).toBe(4);
      expect(line(l, 'error:')).toMatch(/mounted with fusefat/);
      expect(line(l, 'hint:')).toMatch(/kernel FAT driver/);
      expect(await readdir(mnt)).not.toContain('airgap');
      // Its airgap/ folder written elsewhere and copied on (as a user would from another computer).
      const elsewhere = await labelledDrive(sb, 'F');
      expect(spawnSync('cp', ['-r', join(elsewhere, 'airgap'), mnt + '/']).status).toBe(0);
      await init(env, 'F,G');
      expect((await runChecked({ env }, ['adopt', mnt, '--yes'])).code).toBe(0);
      const d = await runChecked({ env }, ['drives', '--json']);
      const row = (JSON.parse(d.stdout) as { labelled: { name: string; root: string; mountedWith?: string; warning?: string }[] }).labelled.find((x) => x.name === 'F');
      expect(row, show(d)).toMatchObject({ root: mnt, mountedWith: 'fusefat' });
      expect(row?.warning).toMatch(/fusefat.*will not write/);
      expect((await runChecked({ env }, ['drives'])).stdout).toMatch(/WARNING +mounted with fusefat/);
      const p = await runChecked({ env }, ['plan']);
      expect(p.code, show(p)).toBe(0);
      expect(p.stdout + p.stderr).toMatch(/warning: drive F is mounted with fusefat/);
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });
});
