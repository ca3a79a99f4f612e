// A drive is untrusted input: a stick that only says it is drive A, links on the drive, snapshots
// that vanished, a label racing a backup, and the leftovers of a non-atomic rename on FAT.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile, cp } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { procState } from '../helpers/proc.js';
import { makeTree } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
const snaps = async (drive: string) => (await readdir(join(drive, 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();
const catalogDrives = async () => JSON.parse(await readFile(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')).drives as { id: string; name: string }[];

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await makeTree(src, { 'a.txt': 'a', sub: { dir: { 'b.txt': 'b' } } });
  sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
  await writeFile(sb.env.AIRGAP_CONFIG, JSON.stringify({
    version: 1, sources: [src], drives: { rotation: [{ name: 'A' }, { name: 'B', role: 'offsite' }] }, cadence: 'daily',
    policy: { scheme: 'round-robin', offline: 1, start: '2026-01-01', retention: { keepLast: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 } },
  }));
});
afterEach(() => sb.cleanup());

async function backupA(...extra: string[]): Promise<CliResult> {
  return sb.run('backup', '--drive', 'A', '--no-prune', ...extra);
}

/** A stick whose hand-written drive.json copies drive A's name, with another id. */
async function impostor(dir: string, realDrive = sb.drive('A')): Promise<void> {
  const real = JSON.parse(await readFile(join(realDrive, 'airgap', 'drive.json'), 'utf8'));
  await mkdir(join(dir, 'airgap'), { recursive: true });
  await writeFile(join(dir, 'airgap', 'drive.json'), JSON.stringify({ ...real, id: '11111111-2222-4333-8444-555555555555' }));
}

describe('a drive is bound to its id, not its name', () => {
  it('an impostor named A never receives the backup (exit 4), and the catalog never holds two A', async () => {
    await labelledDrive(sb, 'A');
    expect((await backupA()).code).toBe(0);
    // The config's rotation entry is bound to the drive's id on first use.
    const config = JSON.parse(await readFile(sb.env.AIRGAP_CONFIG!, 'utf8'));
    const realId = JSON.parse(await readFile(join(sb.drive('A'), 'airgap', 'drive.json'), 'utf8')).id;
    expect(config.drives.rotation[0]).toMatchObject({ name: 'A', id: realId });
    // The real A goes to the drawer; the impostor is plugged in.
    await rename(sb.drive('A'), join(sb.dir, 'drawer-A'));
    const fake = sb.drive('stick');
    await impostor(fake, join(sb.dir, 'drawer-A'));
    const r = await backupA();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/error: .*not your drive A/);
    expect(r.stderr).toMatch(/hint: .*airgap replace A /);
    expect(await readdir(join(fake, 'airgap'))).toEqual(['drive.json']);
    expect((await catalogDrives()).filter((d) => d.name === 'A').map((d) => d.id)).toEqual([realId]);
    // By path too, and prune and label --force under that name: refused, nothing written.
    expect((await sb.run('backup', '--drive', fake, '--no-prune')).code).toBe(4);
    expect((await sb.run('prune', fake)).code).toBe(4);
    expect((await sb.run('label', fake, '--name', 'A', '--force', '--yes')).code).not.toBe(0);
    expect(await readdir(join(fake, 'airgap'))).toEqual(['drive.json']);
    // Reading it is allowed, with a warning, and still records nothing.
    const list = await sb.run('list', fake);
    expect(list.stderr).toMatch(/warning: .*not your drive A/);
    const drives = await sb.run('drives');
    expect(drives.stdout + drives.stderr).toMatch(/not your drive A/);
    expect((await sb.run('scan')).stderr).toMatch(/says it is drive A, but it is not your drive A \(a foreign drive\): .*not recorded/);
    expect((await catalogDrives()).filter((d) => d.name === 'A').map((d) => d.id)).toEqual([realId]);
    // The real A still works.
    await rename(join(sb.dir, 'drawer-A'), sb.drive('A'));
    await rm(fake, { recursive: true });
    expect((await backupA()).code).toBe(0);
  });

  it('the config binding alone refuses an impostor when the catalog is gone', async () => {
    await labelledDrive(sb, 'A');
    expect((await backupA()).code).toBe(0);
    await rm(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'));
    await rename(sb.drive('A'), join(sb.dir, 'drawer-A'));
    await impostor(sb.drive('stick'), join(sb.dir, 'drawer-A'));
    const r = await backupA();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/not your drive A/);
    expect(await readdir(join(sb.drive('stick'), 'airgap'))).toEqual(['drive.json']);
  });

  it('status, plan, drives and scan never count an impostor as drive A, nor record it, even with the catalog gone', async () => {
    await labelledDrive(sb, 'A');
    expect((await backupA()).code).toBe(0);
    const realId = JSON.parse(await readFile(join(sb.drive('A'), 'airgap', 'drive.json'), 'utf8')).id;
    await rm(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'));
    await rename(sb.drive('A'), join(sb.dir, 'drawer-A'));
    await impostor(sb.drive('stick'), join(sb.dir, 'drawer-A'));
    const status = await sb.run('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout) as { drives: { name: string; connected: boolean }[]; alerts: string[] };
    expect(view.drives.find((d) => d.name === 'A')?.connected ?? false).toBe(false);
    expect(view.alerts.join('\n')).toMatch(/says it is drive A, but it is not your drive A/);
    const plan = await sb.run('plan', '--json');
    expect(JSON.parse(plan.stdout).connected ?? [], plan.stdout).not.toContain('A');
    const drives = await sb.run('drives');
    expect(drives.stdout + drives.stderr).toMatch(/not your drive A: the config binds drive A to the id/);
    expect((await sb.run('scan')).stderr).toMatch(/not your drive A.*not recorded/);
    // The wizard, unattended, names it and writes nothing.
    const wiz = await sb.run('wizard', '--yes');
    expect(wiz.code, wiz.stdout + wiz.stderr).toBe(4);
    expect(wiz.stderr).toMatch(/error: .*not your drive A/);
    expect(await readdir(join(sb.drive('stick'), 'airgap'))).toEqual(['drive.json']);
    // Nothing recorded it under A: the real A, back from the drawer, is still drive A.
    expect((await catalogDrives().catch(() => [])).filter((d) => d.name === 'A')).toEqual([]);
    await rm(sb.drive('stick'), { recursive: true });
    await rename(join(sb.dir, 'drawer-A'), sb.drive('A'));
    const back = await backupA();
    expect(back.code, back.stderr).toBe(0);
    expect((await catalogDrives()).filter((d) => d.name === 'A').map((d) => d.id)).toEqual([realId]);
  });

  it('an old config without ids still loads, and the first drive seen under a name is bound', async () => {
    await labelledDrive(sb, 'B');
    const r = await sb.run('backup', '--drive', 'B', '--no-prune', '--allow-connected');
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(await readFile(sb.env.AIRGAP_CONFIG!, 'utf8'));
    expect(config.drives.rotation[1].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(config.drives.rotation[0].id).toBeUndefined();
    expect(config.policy.retention.keepLast).toBe(2); // the rest of the file is kept as written
  });
});

describe('nothing on a drive is followed', () => {
  it('a symlinked airgap/ folder is not an airgap folder: reported, never written through', async () => {
    await labelledDrive(sb, 'A');
    const elsewhere = join(sb.dir, 'elsewhere');
    await rename(join(sb.drive('A'), 'airgap'), elsewhere);
    await symlink(elsewhere, join(sb.drive('A'), 'airgap'));
    const before = await readdir(elsewhere);
    const b = await sb.run('backup', '--drive', sb.drive('A'), '--no-prune', '--allow-connected');
    expect(b.code, b.stderr).toBe(4);
    expect(b.stderr).toMatch(/not an airgap folder|symlink/);
    const l = await sb.run('label', sb.drive('A'), '--name', 'Z', '--force', '--yes');
    expect(l.code).toBe(4);
    expect(l.stderr).toMatch(/airgap.*(symlink|not a real folder)/);
    expect(await readdir(elsewhere)).toEqual(before);
  });

  it('a symlinked snapshot folder is reported as not a snapshot, never verified through or pruned', async () => {
    await labelledDrive(sb, 'A');
    expect((await backupA()).code).toBe(0);
    const [id] = await snaps(sb.drive('A'));
    const outside = join(sb.dir, 'outside-snap');
    await cp(join(sb.drive('A'), 'airgap', id!), outside, { recursive: true });
    const fakeId = id!.replace(/Z/, 'Z-9');
    await symlink(outside, join(sb.drive('A'), 'airgap', fakeId));
    const list = await sb.run('list', 'A', '--json');
    const j = JSON.parse(list.stdout);
    expect(j.snapshots.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(JSON.stringify(j.unknown)).toContain(fakeId);
    const v = await sb.run('verify', 'A');
    expect(v.code, v.stdout).toBe(3);
    expect(v.stdout).toMatch(new RegExp(`${fakeId}.*symlink`));
    expect((await backupA()).code).toBe(0);
    expect(await readdir(outside)).toContain('SHA256SUMS');
  });
});

describe('vanished snapshots are damage, not "pruned"', () => {
  it('a snapshot gone without a prune by this host makes verify exit 3, naming it; a host prune is "pruned"', async () => {
    await labelledDrive(sb, 'A');
    for (let i = 0; i < 4; i++) expect((await backupA()).code).toBe(0);
    const ids = await snaps(sb.drive('A'));
    // This host prunes the two oldest (keepLast 2).
    expect((await sb.run('prune', 'A')).code).toBe(0);
    const ok = await sb.run('verify', 'A');
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`${ids[1]}.*pruned by this computer`));
    // Someone removes the third one by hand.
    await rm(join(sb.drive('A'), 'airgap', ids[2]!), { recursive: true });
    const v = await sb.run('verify', 'A');
    expect(v.code, v.stdout).toBe(3);
    expect(v.stdout).toMatch(new RegExp(`${ids[2]}.*missing \\(pruned elsewhere or lost\\)`));
    expect(v.stdout).not.toMatch(new RegExp(`${ids[2]}.*\\(pruned\\)`));
    // ...and the catalog does not forget it: still reported after list, scan and another backup.
    await sb.run('scan');
    expect((await backupA()).code).toBe(0);
    expect((await sb.run('verify', 'A')).code).toBe(3);
    const cat = await catalogDrives() as unknown as { missing?: { id: string }[] }[];
    expect(JSON.stringify(cat)).toContain(ids[2]);
  });

  it('an unknown entry under airgap/ (one bit away from a snapshot id) is reported', async () => {
    await labelledDrive(sb, 'A');
    expect((await backupA()).code).toBe(0);
    const [id] = await snaps(sb.drive('A'));
    const flipped = id!.replace('T', 't'); // 'T' ^ 0x20
    await rename(join(sb.drive('A'), 'airgap', id!), join(sb.drive('A'), 'airgap', flipped));
    const v = await sb.run('verify', 'A');
    expect(v.code).toBe(3);
    expect(v.stdout).toContain(flipped);
    expect(v.stdout).toMatch(new RegExp(`${id}.*missing`));
    const l = await sb.run('list', 'A');
    expect(l.stdout).toContain(flipped);
  });
});

describe('label takes the drive lock', () => {
  it('label --force is refused while a backup holds the lock, naming the holder', async () => {
    await labelledDrive(sb, 'A');
    await writeFile(join(sb.drive('A'), 'airgap', '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'backup', token: 'x' }));
    const r = await sb.run('label', sb.drive('A'), '--name', 'C', '--force', '--yes');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`in use by airgap \\(pid ${process.pid}.*backup`));
    expect(JSON.parse(await readFile(join(sb.drive('A'), 'airgap', 'drive.json'), 'utf8')).name).toBe('A');
  });

  it('two labels at once: only one says Labelled', async () => {
    const path = sb.drive('new');
    await mkdir(path);
    // The first stops (SIGSTOP) holding the lock, before it writes the identity.
    const first = spawn(process.execPath, [BIN, 'label', path, '--name', 'C', '--yes'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...sb.env, AIRGAP_FAILPOINT: 'label:locked', AIRGAP_FAILPOINT_ACTION: 'stop' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out1 = '';
    first.stdout.on('data', (d) => (out1 += d));
    first.stderr.on('data', (d) => (out1 += d));
    const done1 = new Promise<number>((res) => first.on('close', (c) => res(c ?? -1)));
    try {
      let exited = false;
      void done1.then(() => (exited = true));
      for (let i = 0; i < 6000 && !exited && procState(first.pid!) !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(procState(first.pid!)).toBe('T');
      const second = await sb.run('label', path, '--name', 'D', '--yes');
      expect(second.code, second.stderr).toBe(4);
      expect(second.stdout).not.toMatch(/Labelled/);
    } finally {
      process.kill(first.pid!, 'SIGCONT');
    }
    expect(await done1, out1).toBe(0);
    expect(out1).toMatch(/Labelled .* as airgap drive "C"/);
    expect(JSON.parse(await readFile(join(path, 'airgap', 'drive.json'), 'utf8')).name).toBe('C');
    // Afterwards, a plain label says "already labelled".
    expect((await sb.run('label', path, '--name', 'D', '--yes')).code).toBe(4);
  });
});

describe('a non-atomic rename on FAT: .partial-X or .pruning-X next to X', () => {
  for (const prefix of ['.partial-', '.pruning-']) {
    it(`${prefix}X and X both present: both left, reported, fsck advised`, async () => {
      await labelledDrive(sb, 'A');
      expect((await backupA()).code).toBe(0);
      const [id] = await snaps(sb.drive('A'));
      const air = join(sb.drive('A'), 'airgap');
      // On FAT both entries may point at the same clusters: a copy stands in for that here.
      await cp(join(air, id!), join(air, prefix + id), { recursive: true });
      const b = await backupA();
      expect(b.code, b.stderr).toBe(0);
      expect(b.stderr).toMatch(new RegExp(`${prefix.replace('.', '\\.')}${id}.*fsck`));
      expect(await readdir(join(air, prefix + id))).toContain('SHA256SUMS');
      expect(await readdir(join(air, id!))).toContain('SHA256SUMS');
      const p = await sb.run('prune', 'A');
      expect(p.stderr).toMatch(/fsck/);
      expect(await readdir(air)).toContain(prefix + id);
      const v = await sb.run('verify', 'A');
      expect(v.stdout).toMatch(/fsck/);
    });
  }
});

describe('a lock left by a power cut', () => {
  const bootId = () => readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((s) => s.trim(), () => undefined);
  it('a lock from an earlier boot is taken over even when its pid now belongs to a live process; one from this boot is not', async (ctx) => {
    const boot = await bootId();
    if (!boot) return ctx.skip(); // no boot id on this system: locks are judged by pid and age alone
    await labelledDrive(sb, 'A');
    const lock = (bootOf: string) => writeFile(join(sb.drive('A'), 'airgap', '.lock'), JSON.stringify({ pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'backup', token: 'ab', boot: bootOf }) + '\n');
    // pid 1 is alive: with this boot's id the lock is held, as before.
    await lock(boot);
    const held = await backupA();
    expect(held.code, held.stderr).toBe(4);
    expect(held.stderr).toMatch(/in use by airgap \(pid 1 /);
    // Made before the last boot: its holder died with the power; the backup goes ahead.
    await lock('00000000-0000-4000-8000-000000000000');
    const after = await backupA();
    expect(after.code, after.stderr).toBe(0);
    expect(await snaps(sb.drive('A'))).toHaveLength(1);
    expect((await readdir(join(sb.drive('A'), 'airgap'))).includes('.lock')).toBe(false);
  });
});
