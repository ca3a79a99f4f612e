// The health job (`airgap health <drive>`, issue 19): the drive found by its identity (never by
// a device name alone), the disk under it, its SMART read by smartctl (drives/smartctl.ts),
// judged against the reading before it (core/drive-health.ts) and kept in the catalog, where
// status and remind find it.
import { baselineOf, judgeHealth, SMART_DEVICE_TYPES, type HealthJudgement } from '../core/drive-health.js';
import { refusal, usageError } from '../core/errors.js';
import { whyNoSmart, type HealthReading } from '../core/smart-report.js';
import { deviceHolds, diskOf } from '../drives/disk-of.js';
import { readSmart, type SmartAttempt } from '../drives/smartctl.js';
import { recordHealth } from '../state/catalog-health.js';
import { findDrive } from './find-drive.js';
import type { Session } from './session.js';

export interface HealthOptions {
  /** The disk to read, when airgap cannot find it itself (a mount it does not see; see docs/cli.md). */
  device?: string;
  /** One smartctl -d type instead of the usual order (a bridge smartmontools knows by another name). */
  deviceType?: string;
}

export interface HealthResult {
  drive: { id: string; name: string };
  root: string;
  device: string;
  reading: HealthReading;
  /** The reading it was judged against (core/drive-health baselineOf: the drive's first of this disk). */
  previous?: HealthReading;
  judgement: HealthJudgement;
  /** smartctl -d types tried before the one that answered, and what each said. */
  attempts: SmartAttempt[];
  /** False when the drive claims another's name (an impostor): read, never recorded. */
  recorded: boolean;
}

export async function health(s: Session, spec: string, opts: HealthOptions): Promise<HealthResult> {
  const types = opts.deviceType !== undefined ? [checkedType(opts.deviceType)] : SMART_DEVICE_TYPES;
  if (opts.device !== undefined) checkedDevice(opts.device);
  const drive = await findDrive(s, spec);
  const name = drive.identity.name;
  const device = opts.device ?? (await diskOf(drive.root, s.env.platform));
  if (!device) {
    throw refusal('no-block-device', `drive ${name} at ${drive.root} has no disk of its own to read SMART from (a simulated drive, a folder, or not a mountpoint${s.env.platform === 'linux' ? '' : `; airgap finds disks on Linux only, not on ${s.env.platform}`})`,
      `give the disk it is on, if it has one: airgap health ${spec} --device /dev/sdX (lsblk lists them)`);
  }
  if (opts.device !== undefined) await checkHolds(s, opts.device, drive.root, name);
  const read = await readSmart(device, types);
  if (!read.ok && read.missing) {
    throw refusal('smartctl-missing', 'smartctl (smartmontools) is not installed: airgap reads drive health through it',
      'install smartmontools: sudo apt-get install smartmontools (Debian, Ubuntu), sudo dnf install smartmontools (Fedora), brew install smartmontools (macOS)');
  }
  if (!read.ok) throw noSmart(name, spec, device, read.attempts);
  const reading: HealthReading = { ...read.reading, at: s.now.toISOString() };
  const catalog = await s.catalog();
  const previous = baselineOf(catalog.byId(drive.identity.id)?.health ?? [], reading);
  const recorded = drive.binding.status !== 'impostor';
  if (recorded) {
    recordHealth(catalog, drive.identity.id, reading);
    await catalog.save().catch((e: Error) => s.log.warn(`could not record the reading in ${catalog.file}: ${e.message}`));
  }
  return { drive: { id: drive.identity.id, name }, root: drive.root, device, reading, ...(previous ? { previous } : {}), judgement: judgeHealth(reading, previous), attempts: read.attempts, recorded };
}

/** A --device that lsblk shows holding another mount is refused; one it does not list is read, with a warning. */
async function checkHolds(s: Session, device: string, root: string, name: string): Promise<void> {
  const holds = await deviceHolds(device, root);
  if (holds === false) throw refusal('wrong-device', `${device} is not the disk drive ${name} is mounted from (${root})`, 'lsblk shows which disk holds which mountpoint; give that disk, or leave --device out');
  if (holds === undefined) s.log.warn(`cannot check that ${device} holds drive ${name} (lsblk does not list it): its reading is recorded as ${name}'s`);
}

function noSmart(name: string, spec: string, device: string, attempts: SmartAttempt[]): Error {
  const tried = attempts.map((a) => a.type).join(', ');
  const said = [...new Set(attempts.flatMap((a) => a.messages))].slice(0, 3).join('; ');
  const what = `${device} (drive ${name}): tried smartctl -d ${tried}; smartctl said: ${said || 'nothing'}`;
  switch (whyNoSmart(attempts)) {
    case 'bridge':
      return refusal('smart-hidden', `the USB bridge of drive ${name}'s enclosure hides SMART from smartctl: ${what}`,
        `try another enclosure or dock (or the disk on a SATA/NVMe port), or a -d type smartmontools lists for this bridge: airgap health ${spec} --device-type <type> (smartmontools.org/wiki/USB)`);
    case 'permission':
      return refusal('smart-unavailable', `smartctl was not allowed to send SMART commands to ${what}`,
        `run it as root: sudo airgap health ${spec} (a virtual machine's disk has no SMART to read, even for root)`);
    default:
      return refusal('smart-unavailable', `smartctl read no SMART data from ${what}`,
        `a virtual disk, a card reader or a RAID volume has none; if ${name} is a USB enclosure, try another, or --device-type <type> (smartctl -d)`);
  }
}

/** A -d type is passed to smartctl as one argument: letters, digits, commas (sat,12; usbjmicron,0). */
function checkedType(t: string): string {
  if (!/^[a-z][a-z0-9]*(,[a-z0-9]+)*$/.test(t)) throw usageError('bad-device-type', `--device-type ${JSON.stringify(t)} is not a smartctl -d type`, 'e.g. --device-type sat, usbjmicron or sntjmicron (smartctl(8), -d)');
  return t;
}

function checkedDevice(d: string): void {
  if (!/^\/dev\/[^\s]+$/.test(d)) throw usageError('bad-device', `--device ${JSON.stringify(d)} is not a device path under /dev`, 'e.g. --device /dev/sdb (lsblk lists the disks)');
}
