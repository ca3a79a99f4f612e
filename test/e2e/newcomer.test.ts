// What a newcomer tripped over (issue 17 §5), each through the built CLI as a subprocess.
import { spawnSync } from 'node:child_process';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriveLock } from '../../src/layout/drive-lock.js';
import { BIN, labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const line = (r: CliResult, prefix: string) => r.stderr.split('\n').find((l) => l.startsWith(prefix)) ?? '';

let sb: Sandbox;
let src: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  await writeFile(join(src, 'docs', 'a.txt'), 'hello\n');
  sb.env.AIRGAP_NOW = '2026-03-02T10:00:00Z';
});

afterEach(() => sb.cleanup());

/** A weekly rotation of A, B, C (B offsite) with A and B plugged in. */
async function rotationWithTwoPlugged(): Promise<void> {
  const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes']);
  expect(r.code, show(r)).toBe(0);
  for (const n of ['A', 'B', 'C']) await labelledDrive(sb, n);
  await rm(sb.drive('C'), { recursive: true });
}

describe('a drive name with a typo', () => {
  it('backup --drive Z, verify Z, restore Z with other drives plugged in say "no drive Z" and name the connected ones', async () => {
    await rotationWithTwoPlugged();
    const to = join(sb.dir, 'restored');
    for (const args of [['backup', '--drive', 'Z'], ['verify', 'Z'], ['restore', 'Z', '--to', to]]) {
      const r = await runChecked(sb, args);
      expect(r.code, show(r)).toBe(2);
      expect(line(r, 'error: '), show(r)).toMatch(/no drive named "Z"/);
      expect(line(r, 'error: '), show(r)).toMatch(/connected: A, B/);
      expect(r.stderr, show(r)).not.toMatch(/air gap/);
      expect(line(r, 'hint: '), show(r)).toMatch(/\bA\b.*\bB\b.*\bC\b/);
    }
  });

  it('no hint ever suggests labelling / or a source folder', async () => {
    await rotationWithTwoPlugged();
    for (const where of ['/', src, join(src, 'docs')]) {
      for (const args of [['backup', '--drive', where], ['verify', where], ['restore', where, '--to', join(sb.dir, 'r')]]) {
        const r = await runChecked(sb, args);
        expect(r.code, show(r)).toBe(4);
        expect(line(r, 'error: '), show(r)).toMatch(/not an airgap drive/);
        expect(r.stderr, show(r)).not.toMatch(/airgap label/);
        expect(r.stderr, show(r)).not.toMatch(/air gap/);
      }
    }
  });
});

describe('verify while a backup is writing', () => {
  it('says "a backup is in progress (pid …)", not "unfinished backup … the next backup removes it"; a stale lock still means a leftover', async () => {
    const drive = await labelledDrive(sb, 'A');
    expect((await runChecked(sb, ['backup', '--drive', 'A', '--source', src])).code).toBe(0);
    // What a running backup leaves on the drive: its lock (held by a live process, this one,
    // through the same DriveLock a backup takes) and the .partial- folder it is writing.
    const airgapDir = join(drive, 'airgap');
    const lock = await DriveLock.acquire(airgapDir, 'A', 'backup');
    await mkdir(join(airgapDir, '.partial-2026-03-02T110000Z'));
    try {
      const r = await runChecked(sb, ['verify', 'A']);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout, show(r)).toMatch(new RegExp(`a backup is in progress \\(pid ${process.pid}\\b`));
      expect(r.stdout + r.stderr, show(r)).not.toMatch(/leftover|the next backup removes it/);
    } finally {
      await lock.release();
    }
    const after = await runChecked(sb, ['verify', 'A']);
    expect(after.stdout, show(after)).toMatch(/\.partial-2026-03-02T110000Z is an unfinished backup/);
    expect(after.stdout, show(after)).not.toMatch(/in progress/);
  });

  it('status, drives and list say the same while the lock is held; once no live process holds it, "unfinished" again', async () => {
    const drive = await labelledDrive(sb, 'A');
    expect((await runChecked(sb, ['backup', '--drive', 'A', '--source', src])).code).toBe(0);
    const airgapDir = join(drive, 'airgap');
    const lock = await DriveLock.acquire(airgapDir, 'A', 'backup');
    const partial = '.partial-2026-03-02T110000Z';
    await mkdir(join(airgapDir, partial));
    const running = new RegExp(`drive A: a backup is in progress \\(pid ${process.pid} on [^,]+, since [^)]+\\): \\${partial} is its work, not a snapshot yet; leave A connected until it is done`);
    try {
      for (const args of [['status'], ['drives'], ['list', 'A'], ['list']]) {
        const r = await runChecked(sb, args);
        expect(r.code, show(r)).toBe(0);
        expect(r.stdout, show(r)).toMatch(running);
        expect(r.stdout + r.stderr, show(r)).not.toMatch(/unfinished|interrupted|the next backup .*removes it/);
      }
      const held = { pid: process.pid, command: 'backup' };
      expect(JSON.parse((await runChecked(sb, ['list', 'A', '--json'])).stdout)).toMatchObject({ leftovers: [partial], inProgress: held });
      expect(JSON.parse((await runChecked(sb, ['drives', '--json'])).stdout).labelled[0]).toMatchObject({ leftovers: [partial], inProgress: held });
    } finally {
      await lock.release();
    }
    // A stale lock (its holder killed, as by a power cut) is no run in progress: a leftover of an
    // interrupted run, as with no lock at all.
    const killed = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const { DriveLock } = await import(${JSON.stringify(join(BIN, '..', '..', 'dist', 'layout', 'drive-lock.js'))}); await DriveLock.acquire(${JSON.stringify(airgapDir)}, 'A', 'backup'); process.kill(process.pid, 'SIGKILL');`]);
    expect(killed.signal, String(killed.stderr)).toBe('SIGKILL');
    expect(JSON.parse(await readFile(join(airgapDir, '.lock'), 'utf8')).pid).toBe(killed.pid);
    for (const args of [['status'], ['drives'], ['list', 'A']]) {
      const r = await runChecked(sb, args);
      expect(r.stdout, show(r)).toMatch(/unfinished backup/);
      expect(r.stdout, show(r)).not.toMatch(/in progress/);
    }
    expect(JSON.parse((await runChecked(sb, ['list', 'A', '--json'])).stdout).inProgress).toBeUndefined();
  });
});

describe('a hard-linked pair', () => {
  it('backed up twice with no change: 0 added, 0 modified in the backup gate summary and in diff', async () => {
    await link(join(src, 'docs', 'a.txt'), join(src, 'a-again.txt'));
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes'])).code).toBe(0);
    await labelledDrive(sb, 'A');
    const first = await runChecked(sb, ['backup', '--drive', 'A']);
    expect(first.code, show(first)).toBe(0);
    expect(first.stdout, show(first)).toMatch(/1 hard link/);
    const second = await runChecked(sb, ['backup', '--drive', 'A'], { AIRGAP_NOW: '2026-03-03T10:00:00Z' });
    expect(second.code, show(second)).toBe(0);
    expect(second.stdout, show(second)).toMatch(/changes since .*: 0 added, 0 modified, 0 deleted/);
    for (const now of ['2026-03-03T11:00:00Z', '2026-03-04T10:00:00Z']) {
      const d = await runChecked(sb, ['diff', 'A'], { AIRGAP_NOW: now });
      expect(d.code, show(d)).toBe(0);
      expect(d.stdout, show(d)).toMatch(/added 0 \(0 B\), deleted 0 /);
      expect(d.stdout, show(d)).toMatch(/modified 0 /);
    }
    const third = await runChecked(sb, ['backup', '--drive', 'A'], { AIRGAP_NOW: '2026-03-04T10:00:00Z' });
    expect(third.stdout, show(third)).toMatch(/changes since .*: 0 added, 0 modified, 0 deleted/);
  });
});

describe('after a backup', () => {
  it('prints the next step, as the wizard does: eject, where the drive goes, which drive comes next and when', async () => {
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes'])).code).toBe(0);
    await labelledDrive(sb, 'A');
    const a = await runChecked(sb, ['backup', '--drive', 'A']);
    expect(a.code, show(a)).toBe(0);
    expect(a.stdout, show(a)).toMatch(/^Next: eject A \(airgap eject A\), then: Unplug A and put it away, disconnected; next: bring [BC] on 2026-\d\d-\d\d\.$/m);
    // A is unplugged (the air gap: one drive at a time), B plugged in. B is the offsite drive
    // (init says so): it goes back there.
    await rename(sb.drive('A'), join(sb.dir, 'A-on-the-shelf'));
    await labelledDrive(sb, 'B');
    const b = await runChecked(sb, ['backup', '--drive', 'B', '--json'], { AIRGAP_NOW: '2026-03-09T10:00:00Z' });
    expect(b.code, show(b)).toBe(0);
    expect(JSON.parse(b.stdout).next).toMatchObject({ drive: 'B', place: 'offsite', next: { drive: expect.any(String), date: expect.stringMatching(/^2026-/) } });
    const text = await runChecked(sb, ['backup', '--drive', 'B'], { AIRGAP_NOW: '2026-03-16T10:00:00Z' });
    expect(text.stdout, show(text)).toMatch(/^Next: eject B \(airgap eject B\), then: Unplug B and take it to its offsite place/m);
  });

  it('says nothing of a rotation when there is no config (a one-off backup)', async () => {
    await labelledDrive(sb, 'A');
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toMatch(/^Next:/m);
  });
});

describe('airgap forget (issue 17 §3)', () => {
  it('drops a lost drive from this host: status no longer counts its snapshots; the drive is not touched; a connected one is refused', async () => {
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B', '--cadence', 'weekly', '--yes'])).code).toBe(0);
    await labelledDrive(sb, 'A');
    expect((await runChecked(sb, ['backup', '--drive', 'A'])).code).toBe(0);
    const connected = await runChecked(sb, ['forget', 'A', '--yes']);
    expect(connected.code, show(connected)).toBe(4);
    expect(line(connected, 'error:')).toBe('error: drive A is connected: this host would know it again at once');
    // A is lost (not here any more): forget it.
    await rename(sb.drive('A'), join(sb.dir, 'A-lost'));
    const unconfirmed = await runChecked(sb, ['forget', 'A']);
    expect(unconfirmed.code, show(unconfirmed)).toBe(2);
    expect(line(unconfirmed, 'hint:')).toBe('hint: pass --yes to confirm');
    expect(line(await runChecked(sb, ['forget', 'Z', '--yes']), 'error:')).toBe('error: no drive named Z is known on this host (known: A)');
    const before = JSON.parse((await runChecked(sb, ['status', '--json'])).stdout) as { drives: { name: string; snapshots: number }[] };
    expect(before.drives.find((d) => d.name === 'A')!.snapshots).toBe(1);
    const r = await runChecked(sb, ['forget', 'A', '--yes']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^Forgot drive A: .*its 1 snapshot as copies/m);
    expect(r.stdout).toMatch(/^note: the config's rotation still names A/m);
    const after = JSON.parse((await runChecked(sb, ['status', '--json'])).stdout) as { drives: { name: string; snapshots: number }[] };
    expect(after.drives.find((d) => d.name === 'A')!.snapshots).toBe(0);
    // The drive itself is as it was: plugged in again, it is known again, with its snapshot.
    await rename(join(sb.dir, 'A-lost'), sb.drive('A'));
    const back = JSON.parse((await runChecked(sb, ['status', '--json'])).stdout) as { drives: { name: string; snapshots: number }[] };
    expect(back.drives.find((d) => d.name === 'A')!.snapshots).toBe(1);
  });
});

describe('init', () => {
  it('says which drive it made offsite', async () => {
    const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--yes']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout, show(r)).toMatch(/^ {2}offsite: B \(/m);
    const two = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--offsite', 'A,C', '--force', '--yes']);
    expect(two.stdout, show(two)).toMatch(/^ {2}offsite: A, C \(/m);
    const none = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B', '--force', '--yes']);
    expect(none.stdout, show(none)).toMatch(/^ {2}offsite: none \(/m);
  });
});

describe('cosmetics', () => {
  it('counts of one are singular: no "1 files", no "snapshot(s)"', async () => {
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--yes'])).code).toBe(0);
    await labelledDrive(sb, 'A');
    const outputs: CliResult[] = [await runChecked(sb, ['backup', '--drive', 'A'])];
    expect(outputs[0]!.stdout, show(outputs[0]!)).toMatch(/\b1 file, 2 folders, 0 symlinks, 0 hard links\b/);
    const verify = await runChecked(sb, ['verify', 'A']);
    expect(verify.stdout, show(verify)).toMatch(/^OK: 1 snapshot verified/m);
    expect(verify.stdout, show(verify)).toMatch(/\(checksums, 1 file, /);
    for (const args of [['list', 'A'], ['status'], ['plan'], ['find', 'A', '*.txt'], ['prune', 'A', '--dry-run'], ['scan'], ['diff', 'A']]) {
      outputs.push(await runChecked(sb, args, { AIRGAP_NOW: '2026-03-02T11:00:00Z' }));
    }
    outputs.push(verify);
    for (const r of outputs) {
      expect(r.stdout + r.stderr, show(r)).not.toMatch(/\b1 (files|folders|snapshots|symlinks|hard links|drives|copies)\b/);
      expect(r.stdout + r.stderr, show(r)).not.toMatch(/\w\(s\)/);
    }
  });

  it('a snapshot dated after today gets a clock note, not a negative age', async () => {
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B,C', '--yes'])).code).toBe(0);
    await labelledDrive(sb, 'A');
    // Written while the clock was almost a year ahead; the clock is right again now.
    expect((await runChecked(sb, ['backup', '--drive', 'A'], { AIRGAP_NOW: '2027-01-30T10:00:00Z' })).code).toBe(0);
    const r = await runChecked(sb, ['status']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout, show(r)).not.toMatch(/-\d+ d ago/);
    expect(r.stdout, show(r)).toMatch(/written 2027-01-30 \(334 days after today: the computer's clock or that date looks wrong\)/);
  });

  it('find prints a restore command that runs as printed: no <id>, <dir> or <path> to fill in', async () => {
    await writeFile(join(src, 'docs', "it's here.txt"), 'found me\n');
    await labelledDrive(sb, 'A');
    expect((await runChecked(sb, ['backup', '--drive', 'A', '--source', src])).code).toBe(0);
    const r = await runChecked(sb, ['find', 'A', "it's*"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout, show(r)).not.toMatch(/<\w+>/);
    const cmd = /^Restore the first one with: (airgap restore .*)$/m.exec(r.stdout)?.[1];
    expect(cmd, show(r)).toBeDefined();
    // As a user would paste it into a shell (HOME: the sandbox, for ~/restored).
    const home = join(sb.dir, 'home');
    await mkdir(home);
    const run = spawnSync('bash', ['-c', cmd!.replace(/^airgap /, `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} `)], { env: { ...process.env, ...sb.env, HOME: home, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(await readFile(join(home, 'restored', 'src', 'docs', "it's here.txt"), 'utf8')).toBe('found me\n');
  });
});
