// The mount and eject jobs: mount a plugged-in disk; unmount a drive and power it off so that it
// can be unplugged (refused while airgap writes to it: drives/mount.ts).
import { usageError } from '../core/errors.js';
import { readLsblk } from '../drives/lsblk.js';
import { ejectDrive, mountDevice, runTool } from '../drives/mount.js';
import { mountOf } from '../drives/platform-identity.js';
import { findDrive } from './find-drive.js';
import type { Session } from './session.js';

export interface MountResult { ok: true; device: string; mountpoint: string }
export type EjectResult = { ok: true; drive: string; simulated: true } | ({ ok: true; drive: string; simulated?: undefined } & Awaited<ReturnType<typeof ejectDrive>>);

export async function mount(s: Session, device: string): Promise<MountResult> {
  if (!device.startsWith('/dev/')) throw usageError('bad-device', `${device} is not a device path`, 'give a device such as /dev/sdb1 (see airgap drives)');
  const nodes = s.env.platform === 'linux' ? await readLsblk().catch(() => []) : [];
  return { ok: true, device, mountpoint: await mountDevice(device, s.env.platform, runTool, nodes) };
}

export async function eject(s: Session, spec: string): Promise<EjectResult> {
  const drive = await findDrive(s, spec);
  const name = drive.identity.name;
  const { drivesRoot, platform } = s.env;
  if (drivesRoot && drive.root.startsWith(drivesRoot + '/')) return { ok: true, drive: name, simulated: true };
  let source: { device: string; disk: string } | undefined;
  if (platform === 'linux') {
    const m = await mountOf(drive.root);
    if (m && m.target !== drive.root) {
      throw usageError('not-a-mountpoint', `${drive.root} is a folder on ${m.target}, not a mounted drive`, `eject ${m.target} itself, or just stop using the folder`);
    }
    if (m?.source.startsWith('/dev/')) {
      const nodes = await readLsblk().catch(() => []);
      source = { device: m.source, disk: nodes.find((n) => n.path === m.source)?.disk ?? m.source };
    }
  }
  return { ok: true, drive: name, ...(await ejectDrive(drive.root, drive.airgapDir, source, platform, runTool)) };
}
