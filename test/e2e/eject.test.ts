// mount and eject on this machine: no udisks here, so mount refuses with the manual step and
// eject falls back to a plain umount of a real loop-mounted exFAT drive (root and FUSE needed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'not root'
  : !existsSync('/dev/fuse') ? 'no /dev/fuse'
  : !has('mkfs.exfat') || !has('mount.exfat-fuse') ? 'exFAT tools missing (apt-get install exfatprogs exfat-fuse)'
  : spawnSync('losetup', ['-f']).status !== 0 ? 'no free loop device' : '';
if (skip) console.log(`skipping eject tests: ${skip}`);

describe.skipIf(skip)('eject on a real (loop-mounted exFAT) drive', () => {
  let sb: Sandbox;
  let work: string;
  let mnt: string;
  let loop: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    sb = await makeSandbox();
    work = await mkdtemp(join(tmpdir(), 'airgap-eject-'));
    mnt = join(work, 'mounts', 'EJ');
    await mkdir(mnt, { recursive: true });
    execFileSync('truncate', ['-s', '32M', join(work, 'img')]);
    execFileSync('mkfs.exfat', ['-L', 'EJ', join(work, 'img')], { stdio: 'ignore' });
    loop = execFileSync('losetup', ['-f', '--show', join(work, 'img')], { encoding: 'utf8' }).trim();
    execFileSync('mount.exfat-fuse', [loop, mnt], { stdio: 'ignore' });
    env = { AIRGAP_STATE_DIR: sb.env.AIRGAP_STATE_DIR!, XDG_CONFIG_HOME: join(sb.dir, 'config'), AIRGAP_MOUNT_ROOTS: join(work, 'mounts'), PATH: process.env.PATH! };
    expect((await runCli(['label', mnt, '--name', 'EJ', '--yes'], env)).code).toBe(0);
  });
  afterEach(async () => {
    spawnSync('umount', ['-l', mnt]);
    spawnSync('losetup', ['-d', loop]);
    await rm(work, { recursive: true, force: true });
    await sb.cleanup();
  });

  it('refuses while an airgap process holds the drive, naming it', async () => {
    await writeFile(join(mnt, 'airgap', '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'backup' }));
    const r = await runCli(['eject', 'EJ'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`error: airgap \\(pid ${process.pid}, backup\\) is writing to this drive`));
    expect(spawnSync('mountpoint', ['-q', mnt]).status).toBe(0);
  });

  it('unmounts the drive so that it can be unplugged', async () => {
    const r = await runCli(['eject', 'EJ'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Drive EJ is unmounted.*safe to unplug/);
    expect(spawnSync('mountpoint', ['-q', mnt]).status).not.toBe(0);
    // Gone from the connected drives.
    const d = JSON.parse((await runCli(['drives', '--json'], env)).stdout);
    expect(d.labelled.map((x: { name: string }) => x.name)).not.toContain('EJ');
  });
});

describe('mount', () => {
  it('refuses a path that is not a device', async () => {
    const r = await runCli(['mount', 'sdb1'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hint: give a device such as \/dev\/sdb1/);
  });

  it.skipIf(has('udisksctl'))('without udisks, refuses with the manual command', async () => {
    const r = await runCli(['mount', '/dev/sdz9'], {});
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/error: udisksctl \(udisks2\) is not installed/);
    expect(r.stderr).toMatch(/hint: mount it by hand, e.g. sudo mkdir -p \/mnt\/backup && sudo mount \/dev\/sdz9 \/mnt\/backup/);
  });
});
