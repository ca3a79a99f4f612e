// Every DriveSource passes the port contract (test/drives/contract.ts): the simulated drives, the
// drivelist mapping over each captured machine shape, and — on request — this machine's real disks.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Drive } from 'drivelist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../src/core/drive-model.js';
import { DirectorySource } from '../../src/drives/directory-source.js';
import type { DriveSource } from '../../src/drives/drive-source.js';
import { DrivelistSource, fromDrivelist } from '../../src/drives/drivelist-source.js';
import { parseLsblk } from '../../src/drives/lsblk.js';
import { driveSourceContract } from './contract.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const json = (rel: string): unknown => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8'));

/** Serves what DrivelistSource would on a captured machine: fromDrivelist(drivelist output, lsblk nodes). */
class FixtureSource implements DriveSource {
  readonly kind = 'fixture';

  constructor(private readonly drives: string, private readonly lsblk?: string) {}

  async list(): Promise<BlockDevice[]> {
    // Read on every call, as a real listing would be: nothing is shared between two calls.
    const drives = json(`drivelist/${this.drives}.json`) as Drive[];
    return fromDrivelist(drives, this.lsblk ? parseLsblk(json(`lsblk/${this.lsblk}.json`)) : []);
  }
}

async function makeDrivesRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'airgap-dirsource-'));
  for (const name of ['ALPHA', 'beta', 'gamma-2']) await mkdir(join(root, name));
  await writeFile(join(root, 'notes.txt'), 'a plain file is not a drive\n');
  return root;
}

driveSourceContract('DirectorySource', async () => {
  const root = await makeDrivesRoot();
  return { source: new DirectorySource(root), expectDevices: 3, cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('DirectorySource', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeDrivesRoot();
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lists each sub-folder as a removable USB drive mounted at itself; a plain file is not listed', async () => {
    const devices = await new DirectorySource(root).list();
    expect(devices.map((d) => [d.device, d.mountpoints])).toEqual([
      ['sim:ALPHA', [join(root, 'ALPHA')]],
      ['sim:beta', [join(root, 'beta')]],
      ['sim:gamma-2', [join(root, 'gamma-2')]],
    ]);
    expect(devices.map((d) => d.device)).not.toContain('sim:notes.txt');
    for (const d of devices) {
      expect(d).toMatchObject({ removable: true, usb: true, system: false, virtual: false, raid: false, error: null, fingerprints: {} });
      expect(d.size).toBeGreaterThan(0);
    }
  });

  it('a missing root lists nothing', async () => {
    expect(await new DirectorySource(join(root, 'no-such-folder')).list()).toEqual([]);
  });
});

// The drivelist mapping obeys the contract on every captured shape. Counts are those of the
// correct mapping (linux-loop: the system disk and the mounted loop device drivelist omits).
const shapes: [label: string, drives: string, lsblk: string | undefined, devices: number][] = [
  ['Linux laptop (NVMe, zram, 2 USB disks)', 'linux-laptop', 'linux-laptop', 4],
  ['Linux laptop, older lsblk (MOUNTPOINT column)', 'linux-laptop', 'linux-laptop-mountpoint', 4],
  ['Linux loop-mounted image', 'linux-loop', 'linux-loop', 2],
  ['Linux SD card reader (empty slot + card)', 'linux-card-reader', 'linux-card-reader', 3],
  ['Linux LUKS on USB', 'linux-luks', 'linux-luks', 2],
  ['Linux RAID members', 'linux-raid', 'linux-raid', 3],
  ['macOS (APFS system, USB exFAT)', 'macos', undefined, 3],
  ['Windows (system, USB, Storage Space, SD)', 'windows', undefined, 4],
  ['Windows with an errored drive', 'windows-error', undefined, 2],
];
for (const [label, drives, lsblk, devices] of shapes) {
  driveSourceContract(`fromDrivelist: ${label}`, async () => ({
    source: new FixtureSource(drives, lsblk),
    expectDevices: devices,
    cleanup: async () => {},
  }));
}

const REAL_DRIVES = process.env.AIRGAP_TEST_REAL_DRIVES === '1';
if (REAL_DRIVES) {
  driveSourceContract('DrivelistSource (this machine\'s real disks)', async () => ({
    source: new DrivelistSource(),
    expectDevices: -1,
    cleanup: async () => {},
  }));
}
describe('DrivelistSource on real disks', () => {
  it.skipIf(!REAL_DRIVES)('runs the contract on this machine\'s disks only with AIRGAP_TEST_REAL_DRIVES=1 (skipped: it depends on the hardware present)', async () => {
    const devices = await new DrivelistSource().list();
    expect(Array.isArray(devices)).toBe(true);
  });
});
