import { EXIT, usageError } from '../../core/errors.js';
import { readLsblk } from '../../drives/lsblk.js';
import { ejectDrive, mountDevice, runTool } from '../../drives/mount.js';
import { mountOf } from '../../drives/platform-identity.js';
import type { Context } from '../context.js';
import { findDrive } from '../find-drive.js';
import { printJson } from '../output.js';

export async function mountCommand(ctx: Context, device: string): Promise<number> {
  if (!device.startsWith('/dev/')) throw usageError('bad-device', `${device} is not a device path`, 'give a device such as /dev/sdb1 (see airgap drives)');
  const nodes = ctx.platform === 'linux' ? await readLsblk().catch(() => []) : [];
  const at = await mountDevice(device, ctx.platform, runTool, nodes);
  if (ctx.json) printJson(ctx, { ok: true, device, mountpoint: at });
  else ctx.stdout.write(`Mounted ${device} at ${at}\n`);
  return EXIT.ok;
}

export async function ejectCommand(ctx: Context, spec: string): Promise<number> {
  const drive = await findDrive(ctx, spec);
  const name = drive.identity.name;
  if (ctx.drivesRoot && drive.root.startsWith(ctx.drivesRoot + '/')) {
    if (ctx.json) printJson(ctx, { ok: true, drive: name, simulated: true });
    else ctx.stdout.write(`Drive ${name} is simulated (under --drives-root): nothing to eject.\n`);
    return EXIT.ok;
  }
  let source: { device: string; disk: string } | undefined;
  if (ctx.platform === 'linux') {
    const mount = await mountOf(drive.root);
    if (mount && mount.target !== drive.root) {
      throw usageError('not-a-mountpoint', `${drive.root} is a folder on ${mount.target}, not a mounted drive`, `eject ${mount.target} itself, or just stop using the folder`);
    }
    if (mount?.source.startsWith('/dev/')) {
      const nodes = await readLsblk().catch(() => []);
      source = { device: mount.source, disk: nodes.find((n) => n.path === mount.source)?.disk ?? mount.source };
    }
  }
  const r = await ejectDrive(drive.root, drive.airgapDir, source, ctx.platform, runTool);
  if (ctx.json) printJson(ctx, { ok: true, drive: name, ...r });
  else ctx.stdout.write(`Drive ${name} is unmounted${r.poweredOff ? ' and powered off' : ''}: safe to unplug.${r.note ? ` (${r.note})` : ''}\n`);
  return EXIT.ok;
}
