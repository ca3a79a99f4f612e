// Mount and eject where the platform has a tool for it: udisks on Linux (as a desktop would,
// no root needed), diskutil on macOS. Elsewhere, or without the tool, a clear refusal that
// names the manual step. Eject refuses while an airgap process writes to the drive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { refusal } from '../core/errors.js';
import { activeLockHolder } from '../layout/drive-lock.js';
import type { LsblkNode } from './lsblk.js';

export type Run = (cmd: string, args: string[]) => Promise<{ stdout: string; stderr: string }>;

const exec = promisify(execFile);
export const runTool: Run = async (cmd, args) => {
  const { stdout, stderr } = await exec(cmd, args, { timeout: 60_000 });
  return { stdout: String(stdout), stderr: String(stderr) };
};

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';
const toolMessage = (e: unknown) => ((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n')[0];

/** The partition to mount for a device: itself, or its only/first unmounted child with a filesystem. */
export function mountTarget(device: string, nodes: LsblkNode[]): string {
  const node = nodes.find((n) => n.path === device);
  if (node?.fsType) return device;
  const child = nodes.find((n) => n.disk === device && n.path !== device && n.fsType && n.mountpoints.length === 0);
  return child?.path ?? device;
}

/** "Mounted /dev/sdb1 at /media/alice/BACKUP" → the mountpoint. */
export function parseUdisksMount(stdout: string): string | undefined {
  return /^Mounted \S+ at (.+?)\.?$/m.exec(stdout.trim())?.[1];
}

export async function mountDevice(device: string, platform: NodeJS.Platform, run: Run, nodes: LsblkNode[] = []): Promise<string> {
  if (platform === 'linux') {
    const target = mountTarget(device, nodes);
    try {
      const { stdout } = await run('udisksctl', ['mount', '--no-user-interaction', '-b', target]);
      return parseUdisksMount(stdout) ?? '(see your file manager)';
    } catch (e) {
      if (missing(e)) throw refusal('no-mount-tool', 'udisksctl (udisks2) is not installed, so airgap cannot mount drives here', `mount it by hand, e.g. sudo mkdir -p /mnt/backup && sudo mount ${target} /mnt/backup`);
      throw refusal('mount-failed', `could not mount ${target}: ${toolMessage(e)}`, 'check that the device exists (airgap drives --all) and is not already mounted');
    }
  }
  if (platform === 'darwin') {
    try {
      await run('diskutil', ['mount', device]);
      return '(under /Volumes)';
    } catch (e) {
      throw refusal('mount-failed', `could not mount ${device}: ${toolMessage(e)}`, 'open Disk Utility to mount it');
    }
  }
  throw refusal('mount-unsupported', `airgap cannot mount drives on ${platform}`, 'mount the drive with your system tools (it usually mounts itself when plugged in)');
}

export interface EjectResult {
  unmounted: string;
  poweredOff: boolean;
  note?: string;
}

/** Unmounts the drive at `root` and, where possible, powers its disk off. */
export async function ejectDrive(root: string, airgapDir: string, source: { device: string; disk: string } | undefined, platform: NodeJS.Platform, run: Run): Promise<EjectResult> {
  const holder = await activeLockHolder(airgapDir);
  if (holder) {
    throw refusal('drive-busy', `airgap (pid ${holder.pid}, ${holder.command}) is writing to this drive`, 'wait for it to finish, then eject');
  }
  if (platform === 'darwin') {
    try {
      await run('diskutil', ['eject', root]);
      return { unmounted: root, poweredOff: true };
    } catch (e) {
      throw refusal('eject-failed', `could not eject ${root}: ${toolMessage(e)}`, 'close any window or program using the drive, then try again');
    }
  }
  if (platform !== 'linux') {
    throw refusal('eject-unsupported', `airgap cannot eject drives on ${platform}`, 'use "Safely Remove Hardware" / your file manager, then unplug');
  }
  if (!source) throw refusal('eject-unknown-device', `cannot tell which device is mounted at ${root}`, `unmount it by hand: sudo umount ${root}`);
  try {
    await run('udisksctl', ['unmount', '--no-user-interaction', '-b', source.device]);
  } catch (e) {
    if (!missing(e)) throw refusal('eject-failed', `could not unmount ${root}: ${toolMessage(e)}`, 'close any program using the drive (lsof +f -- ' + root + '), then try again');
    // No udisks (servers, containers): a plain umount works for root.
    try {
      await run('umount', [root]);
    } catch (e2) {
      throw refusal('eject-failed', `could not unmount ${root}: ${toolMessage(e2)}`, `unmount it by hand: sudo umount ${root}`);
    }
    return { unmounted: root, poweredOff: false, note: 'udisksctl is not installed: unmounted, but not powered off' };
  }
  if (/\/loop\d+$/.test(source.disk)) return { unmounted: root, poweredOff: false, note: 'a loop device (disk image): nothing to power off' };
  try {
    await run('udisksctl', ['power-off', '--no-user-interaction', '-b', source.disk]);
    return { unmounted: root, poweredOff: true };
  } catch (e) {
    return { unmounted: root, poweredOff: false, note: `unmounted, but could not power off ${source.disk}: ${toolMessage(e)}` };
  }
}
