// drivelist output (+ lsblk on Linux) → BlockDevice → verdict, on captured-style fixtures.
//
// fixtures/drivelist/linux-*.json were produced by drivelist 12's own Linux transform
// (node_modules/drivelist/js/lsblk/json.js) over the same machines as fixtures/lsblk/*.json;
// macos.json and windows*.json follow the fields its native addon packs
// (src/device-descriptor.cpp, src/darwin/list.mm + js/index.js handleApfs, src/windows/list.cpp).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve, win32 } from 'node:path';
import type { Drive } from 'drivelist';
import { describe, expect, it } from 'vitest';
import { checkFingerprint, classifyDevice, type BlockDevice, type ClassifyOptions, type Fingerprint } from '../../src/core/drive-model.js';
import { fromDrivelist } from '../../src/drives/drivelist-source.js';
import { fingerprintAt, isRaidMember, parseBlkid, parseLsblk } from '../../src/drives/lsblk.js';
import { parseDiskutilInfo, parseFindmnt } from '../../src/drives/platform-identity.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const text = (rel: string) => readFileSync(join(FIXTURES, rel), 'utf8');
const json = (rel: string): unknown => JSON.parse(text(rel));
const drivelist = (name: string) => json(`drivelist/${name}.json`) as Drive[];
const lsblk = (name: string) => parseLsblk(json(`lsblk/${name}.json`));
/** What DrivelistSource maps on Linux (drivelist + lsblk) and elsewhere (drivelist alone). */
const devicesOf = (name: string, withLsblk = name.startsWith('linux-')) => fromDrivelist(drivelist(name), withLsblk ? lsblk(name) : []);

/** device → 'offer' or the refusal reason. */
function verdicts(devices: BlockDevice[], opts?: ClassifyOptions): Record<string, string> {
  return Object.fromEntries(devices.map((d) => {
    const v = classifyDevice(d, opts);
    return [d.device, v.offer ? 'offer' : v.reason];
  }));
}

function device(devices: BlockDevice[], name: string): BlockDevice {
  const d = devices.find((x) => x.device === name);
  if (!d) throw new Error(`${name} is not among ${devices.map((x) => x.device).join(', ')}`);
  return d;
}

// Identities in the fixtures.
const SANDISK = { serial: '32343133464E343031373438', model: 'Extreme 55AE' };
const WD_ELEMENTS = { serial: '575836314141393844394C33', model: 'Elements 25A3' };
const NVME = { serial: 'S5GXNF0R812345B', model: 'Samsung SSD 980 PRO 1TB' };
const LUKS_DISK = { serial: '575834314142433031323334', model: 'My Passport 25E2' };

describe('Linux laptop: NVMe system disk, zram, two USB disks', () => {
  const devices = devicesOf('linux-laptop');

  it('offers exactly the two USB disks; the NVMe is system, zram virtual', () => {
    expect(verdicts(devices)).toEqual({
      '/dev/sda': 'offer',
      '/dev/sdb': 'offer',
      '/dev/zram0': 'virtual',
      '/dev/nvme0n1': 'system',
    });
  });

  it('maps drivelist fields', () => {
    expect(device(devices, '/dev/sda')).toMatchObject({
      description: 'SanDisk Extreme 55AE (BACKUP_A)', size: 1000170586112, mountpoints: ['/media/alice/BACKUP_A'],
      removable: true, usb: true, card: false, system: false, virtual: false, readOnly: false, raid: false, error: null, busType: 'USB',
    });
    expect(device(devices, '/dev/nvme0n1')).toMatchObject({ system: true, removable: false, usb: false, busType: 'NVME', mountpoints: ['/boot/efi', '/'] });
    expect(device(devices, '/dev/zram0')).toMatchObject({ virtual: true, system: false, busType: 'UNKNOWN' });
  });

  it('fingerprints each mountpoint: serial and model from the disk, filesystem fields from the partition', () => {
    expect(device(devices, '/dev/sda').fingerprints).toEqual({
      '/media/alice/BACKUP_A': { ...SANDISK, fsType: 'exfat', fsUuid: '3A5C-91F2', label: 'BACKUP_A', partUuid: '5f1c2d3e-01' },
    });
    expect(device(devices, '/dev/nvme0n1').fingerprints).toEqual({
      '/boot/efi': { ...NVME, fsType: 'vfat', fsUuid: '7A3B-1C2D', partUuid: '3f2a9c1e-6b4d-4e8a-9f1c-2d7e5b8a0c41' },
      '/': { ...NVME, fsType: 'ext4', fsUuid: 'b8e4c2a6-5d31-4f7e-a9c0-3e6f1d2b7a95', partUuid: '9d1e7f4b-2c8a-4b36-8e5d-0f3a6c9b1e27' },
    });
  });

  it('the ext4 disk: only the mounted partition is a mountpoint and has a fingerprint', () => {
    const sdb = device(devices, '/dev/sdb');
    expect(sdb.mountpoints).toEqual(['/media/alice/B-data']);
    expect(sdb.fingerprints).toEqual({
      '/media/alice/B-data': { ...WD_ELEMENTS, fsType: 'ext4', fsUuid: 'e1c7a4f2-8b3d-4c59-9a6e-2f0d7b3c5a18', label: 'B-data', partUuid: '6a2f8d1c-4e7b-4a93-b5c0-8d1e3f7a2b64' },
    });
  });

  it('swap is not a mountpoint: zram0 "[SWAP]" is not offered as a place to look for a drive', () => {
    // lsblk (hence drivelist) reports active swap as the mountpoint "[SWAP]". It is not a path:
    // detectDrives would look for "[SWAP]/airgap/drive.json" relative to the working directory.
    const zram = device(devices, '/dev/zram0');
    expect(zram.mountpoints).toEqual([]);
    expect(zram.fingerprints).toEqual({});
    for (const d of devices) for (const mp of d.mountpoints) expect(isAbsolute(mp), `${d.device}: ${mp}`).toBe(true);
  });

  it('no disk is a RAID member', () => {
    expect(devices.map((d) => d.raid)).toEqual([false, false, false, false]);
  });

  it('without lsblk (it failed) the same disks are classified the same, with no fingerprints', () => {
    const bare = fromDrivelist(drivelist('linux-laptop'), []);
    expect(verdicts(bare)).toEqual(verdicts(devices));
    expect(bare.every((d) => Object.keys(d.fingerprints).length === 0)).toBe(true);
  });
});

describe('lsblk parsing', () => {
  const nodes = lsblk('linux-laptop');

  it('flattens the tree: every node with its top-level disk', () => {
    expect(nodes.map((n) => [n.path, n.type, n.disk])).toEqual([
      ['/dev/sda', 'disk', '/dev/sda'],
      ['/dev/sda1', 'part', '/dev/sda'],
      ['/dev/sdb', 'disk', '/dev/sdb'],
      ['/dev/sdb1', 'part', '/dev/sdb'],
      ['/dev/sdb2', 'part', '/dev/sdb'],
      ['/dev/zram0', 'disk', '/dev/zram0'],
      ['/dev/nvme0n1', 'disk', '/dev/nvme0n1'],
      ['/dev/nvme0n1p1', 'part', '/dev/nvme0n1'],
      ['/dev/nvme0n1p2', 'part', '/dev/nvme0n1'],
    ]);
  });

  it('reads the raw column types: numbers, booleans, null for missing values; [null] (not mounted) becomes []', () => {
    expect(nodes.find((n) => n.path === '/dev/sda')).toEqual({
      path: '/dev/sda', type: 'disk', size: 1000170586112, removable: false, readOnly: false, tran: 'usb', ...SANDISK,
      fsType: null, fsUuid: null, label: null, partUuid: null, mountpoints: [], disk: '/dev/sda',
    });
    expect(nodes.find((n) => n.path === '/dev/sdb2')).toMatchObject({ tran: null, serial: null, fsType: 'ext4', label: 'B-spare', mountpoints: [] });
  });

  it('the older MOUNTPOINT column (util-linux < 2.37) parses the same', () => {
    const older = json('lsblk/linux-laptop-mountpoint.json') as { blockdevices: Record<string, unknown>[] };
    expect(older.blockdevices[0]).toHaveProperty('mountpoint');
    expect(older.blockdevices[0]).not.toHaveProperty('mountpoints');
    const parsed = parseLsblk(older);
    expect(parsed).toEqual(nodes);
    expect(fromDrivelist(drivelist('linux-laptop'), parsed)).toEqual(fromDrivelist(drivelist('linux-laptop'), nodes));
  });

  it('accepts util-linux < 2.33 JSON, where every value is a string and there is no PATH column', () => {
    const parsed = parseLsblk({
      blockdevices: [{
        name: 'sdb', type: 'disk', size: '62008590336', rm: '1', ro: '0', tran: 'usb', serial: 'AA00000000000489', model: 'DataTraveler 3.0',
        fstype: null, uuid: null, label: null, partuuid: null, mountpoint: null,
        children: [{ name: 'sdb1', type: 'part', size: '62007541760', rm: '1', ro: '0', tran: null, serial: null, model: null,
          fstype: 'vfat', uuid: 'B4FE-5315', label: 'KINGSTON', partuuid: '0046cb1d-01', mountpoint: '/media/bob/KINGSTON' }],
      }],
    });
    expect(parsed[0]).toMatchObject({ path: '/dev/sdb', size: 62008590336, removable: true, readOnly: false, mountpoints: [] });
    expect(parsed[1]).toMatchObject({ path: '/dev/sdb1', disk: '/dev/sdb', mountpoints: ['/media/bob/KINGSTON'] });
    expect(fingerprintAt(parsed, '/media/bob/KINGSTON')).toEqual({
      serial: 'AA00000000000489', model: 'DataTraveler 3.0', fsType: 'vfat', fsUuid: 'B4FE-5315', label: 'KINGSTON', partUuid: '0046cb1d-01',
    });
  });

  it('refuses output without a blockdevices array', () => {
    expect(() => parseLsblk({})).toThrow(/blockdevices/);
    expect(() => parseLsblk(null)).toThrow(/blockdevices/);
  });

  it('fingerprintAt: undefined for a path nothing is mounted at', () => {
    expect(fingerprintAt(nodes, '/media/alice/nothing')).toBeUndefined();
  });
});

describe('a loop device with a mounted image', () => {
  const drives = drivelist('linux-loop');
  const nodes = lsblk('linux-loop');

  it('the fixtures are faithful: lsblk shows the mounted loop device, drivelist 12 omits every /dev/loop*', () => {
    expect(nodes.find((n) => n.path === '/dev/loop0')).toMatchObject({ type: 'loop', mountpoints: ['/mnt/image'] });
    expect(drives.map((d) => d.device)).toEqual(['/dev/sda']);
  });

  it('the mounted loop device is listed: refused as "loop" by default, offered with includeLoop', () => {
    // drivelist drops loop devices (js/lsblk/json.js filters /dev/loop*), so unless the mapping
    // adds the mounted ones from lsblk, --include-loop can never offer anything.
    const devices = fromDrivelist(drives, nodes);
    expect(verdicts(devices)).toEqual({ '/dev/sda': 'system', '/dev/loop0': 'loop' });
    expect(verdicts(devices, { includeLoop: true })).toEqual({ '/dev/sda': 'system', '/dev/loop0': 'offer' });
    expect(device(devices, '/dev/loop0')).toMatchObject({
      mountpoints: ['/mnt/image'],
      fingerprints: { '/mnt/image': { fsType: 'ext4', fsUuid: '0c5e9a3d-7b21-4f86-a4d0-6e2b8c1f9a53', label: 'IMAGE' } },
    });
  });

  it('classifyDevice: the loop rule comes before the virtual one and depends only on includeLoop', () => {
    const loop: BlockDevice = {
      device: '/dev/loop7', description: '', size: 1073741824, mountpoints: ['/mnt/image'], removable: false, usb: false, card: false,
      system: false, virtual: true, readOnly: false, raid: false, error: null, fingerprints: {},
    };
    expect(classifyDevice(loop)).toMatchObject({ offer: false, reason: 'loop' });
    expect(classifyDevice(loop, { includeLoop: true })).toEqual({ offer: true });
  });
});

describe('SD card reader: an empty slot and one with a card', () => {
  const devices = devicesOf('linux-card-reader');

  it('the empty slot has no size and is refused; the card is offered', () => {
    expect(verdicts(devices)).toEqual({ '/dev/sda': 'system', '/dev/sdb': 'no-size', '/dev/sdc': 'offer' });
    expect(device(devices, '/dev/sdb')).toMatchObject({ size: null, mountpoints: [], removable: true, usb: true });
  });

  it('the card fingerprint carries the reader serial and the card filesystem', () => {
    expect(device(devices, '/dev/sdc').fingerprints).toEqual({
      '/media/alice/EOS_DIGITAL': { serial: '000000000819', model: 'Micro SD/M2', fsType: 'vfat', fsUuid: '9C33-6BBD', label: 'EOS_DIGITAL', partUuid: 'a1b2c3d4-01' },
    });
  });
});

describe('LUKS container on a USB disk', () => {
  const drives = drivelist('linux-luks');
  const nodes = lsblk('linux-luks');
  const devices = fromDrivelist(drives, nodes);
  const SECRET = { ...LUKS_DISK, fsType: 'ext4', fsUuid: '2b7e5d1c-9f3a-4c68-8e0b-6d4a1f7c3e92', label: 'SECRET' };

  it('the USB disk is offered; the system disk is not', () => {
    expect(verdicts(devices)).toEqual({ '/dev/sda': 'system', '/dev/sdb': 'offer' });
  });

  it('lsblk: the LUKS partition is not mounted, its crypt child is, and belongs to the USB disk', () => {
    expect(nodes.find((n) => n.fsType === 'crypto_LUKS')).toMatchObject({ path: '/dev/sdb1', mountpoints: [] });
    const crypt = nodes.find((n) => n.type === 'crypt');
    expect(crypt).toMatchObject({ path: '/dev/mapper/luks-8d9f2b1e-4c7a-4e53-b6d2-0a9c3f5e7b18', disk: '/dev/sdb', mountpoints: ['/media/alice/SECRET'] });
    expect(fingerprintAt(nodes, '/media/alice/SECRET')).toEqual(SECRET);
  });

  it('the unlocked filesystem is a mountpoint of the USB disk, fingerprinted', () => {
    // drivelist only looks one level down (the LUKS partition), so it reports the disk with no
    // mountpoints. Without this, a labelled drive inside LUKS is found by mount-scan only, and
    // the same disk is also offered as "not an airgap drive yet ... not mounted".
    const sdb = device(devices, '/dev/sdb');
    expect(sdb.mountpoints).toEqual(['/media/alice/SECRET']);
    expect(sdb.fingerprints).toEqual({ '/media/alice/SECRET': SECRET });
  });
});

describe('RAID members', () => {
  const devices = devicesOf('linux-raid');
  const nodes = lsblk('linux-raid');

  it('both members are refused as raid (hot-swap bays: drivelist calls them removable); md0 is not a disk', () => {
    expect(verdicts(devices)).toEqual({ '/dev/sda': 'system', '/dev/sdb': 'raid', '/dev/sdc': 'raid' });
    expect(device(devices, '/dev/sdb')).toMatchObject({ raid: true, removable: true, system: false, usb: false });
    expect(devices.map((d) => d.device)).not.toContain('/dev/md0');
  });

  it('isRaidMember looks at the partitions and the md array below a disk', () => {
    expect(isRaidMember(nodes, '/dev/sdb')).toBe(true);
    expect(isRaidMember(nodes, '/dev/sdc')).toBe(true);
    expect(isRaidMember(nodes, '/dev/sda')).toBe(false);
    expect(nodes.filter((n) => n.path === '/dev/md0').map((n) => [n.type, n.disk])).toEqual([['raid1', '/dev/sdb'], ['raid1', '/dev/sdc']]);
  });
});

describe('a drive reporting an error (Windows, empty card-reader slot)', () => {
  const devices = devicesOf('windows-error');
  const errored = () => device(devices, '\\\\.\\PhysicalDrive4');

  it('is refused for the error, with drivelist\'s message', () => {
    expect(verdicts(devices)).toEqual({ '\\\\.\\PhysicalDrive0': 'system', '\\\\.\\PhysicalDrive4': 'error' });
    expect(errored().error).toBe("Couldn't get disk geometry: Error 21");
    expect(classifyDevice(errored())).toMatchObject({ detail: expect.stringContaining("Couldn't get disk geometry: Error 21") });
  });

  it('an unknown size is null, as on Linux, not drivelist\'s native 0', () => {
    expect(drivelist('windows-error')[1]!.size).toBe(0);
    expect(errored().size).toBeNull();
  });
});

describe('macOS: internal APFS system disk, external USB exFAT', () => {
  const devices = devicesOf('macos');

  it('offers the USB disk only', () => {
    expect(verdicts(devices)).toEqual({ '/dev/disk0': 'system', '/dev/disk3': 'system', '/dev/disk4': 'offer' });
  });

  it('maps the fields; fingerprints come later from diskutil, not from the mapping', () => {
    expect(device(devices, '/dev/disk4')).toEqual({
      device: '/dev/disk4', description: 'Extreme 55AE', size: 1000170586112, mountpoints: ['/Volumes/BACKUP'],
      removable: true, usb: true, card: false, system: false, virtual: false, readOnly: false, raid: false, error: null, busType: 'USB', fingerprints: {},
    });
    expect(device(devices, '/dev/disk0').mountpoints).toContain('/');
    expect(device(devices, '/dev/disk3')).toMatchObject({ virtual: true, system: true });
  });
});

describe('Windows: system C:, USB E:, Storage Space D:, SD card G:', () => {
  const devices = devicesOf('windows');

  it('offers the USB stick and the SD card; the Storage Space is internal', () => {
    expect(verdicts(devices)).toEqual({
      '\\\\.\\PhysicalDrive0': 'system',
      '\\\\.\\PhysicalDrive1': 'offer',
      '\\\\.\\PhysicalDrive2': 'internal',
      '\\\\.\\PhysicalDrive3': 'offer',
    });
  });

  it('maps mountpoints and bus types', () => {
    expect(device(devices, '\\\\.\\PhysicalDrive1')).toMatchObject({ mountpoints: ['E:\\'], usb: true, card: false, busType: 'USB', fingerprints: {} });
    expect(device(devices, '\\\\.\\PhysicalDrive3')).toMatchObject({ mountpoints: ['G:\\'], card: true, usb: false, busType: 'SD' });
    for (const d of devices) for (const mp of d.mountpoints) expect(win32.isAbsolute(mp), mp).toBe(true);
  });
});

describe('classifyDevice: the most serious reason wins', () => {
  const base: BlockDevice = {
    device: '/dev/sdx', description: '', size: 8e9, mountpoints: [], removable: true, usb: true, card: false, system: false,
    virtual: false, readOnly: false, raid: false, error: null, fingerprints: {},
  };
  const reason = (over: Partial<BlockDevice>, opts?: ClassifyOptions) => verdicts([{ ...base, ...over }], opts)[over.device ?? base.device];

  it.each([
    [{ error: 'I/O', system: true }, 'error'],
    [{ system: true, device: '/dev/loop0' }, 'system'],
    [{ device: '/dev/loop0', virtual: true }, 'loop'],
    [{ virtual: true, raid: true }, 'virtual'],
    [{ raid: true, size: null }, 'raid'],
    [{ size: null, removable: false, usb: false }, 'no-size'],
    [{ size: 0 }, 'no-size'],
    [{ removable: false, usb: false, card: false }, 'internal'],
    [{ removable: false, usb: false, card: true }, 'offer'],
    [{ removable: true, usb: false }, 'offer'],
    [{ readOnly: true }, 'offer'],
  ] as [Partial<BlockDevice>, string][])('%o → %s', (over, expected) => {
    expect(reason(over)).toBe(expected);
  });

  it('includeLoop offers a loop device but never a system or errored one', () => {
    expect(reason({ device: '/dev/loop0' }, { includeLoop: true })).toBe('offer');
    expect(reason({ device: '/dev/loop0', system: true }, { includeLoop: true })).toBe('system');
    expect(reason({ device: '/dev/loop0', error: 'x' }, { includeLoop: true })).toBe('error');
  });
});

describe('blkid -o export (captured with util-linux 2.38.1)', () => {
  it('exFAT partition', () => {
    const out = 'DEVNAME=/dev/sda1\nLABEL=BACKUP_A\nUUID=3A5C-91F2\nBLOCK_SIZE=512\nTYPE=exfat\nPARTUUID=5f1c2d3e-01\n';
    expect(parseBlkid(out)).toEqual({ fsType: 'exfat', fsUuid: '3A5C-91F2', label: 'BACKUP_A', partUuid: '5f1c2d3e-01' });
  });

  it('FAT32 with a boot-sector label: LABEL wins, LABEL_FATBOOT and SEC_TYPE are ignored', () => {
    const out = 'DEVNAME=/dev/sdc1\nSEC_TYPE=msdos\nLABEL_FATBOOT=EOS_DIGITAL\nLABEL=EOS_DIGITAL\nUUID=9C33-6BBD\nBLOCK_SIZE=512\nTYPE=vfat\nPARTUUID=a1b2c3d4-01\n';
    expect(parseBlkid(out)).toEqual({ fsType: 'vfat', fsUuid: '9C33-6BBD', label: 'EOS_DIGITAL', partUuid: 'a1b2c3d4-01' });
  });

  it('ext4 without a partition (a whole-disk filesystem or an image)', () => {
    const out = 'DEVNAME=/dev/loop0\nLABEL=IMAGE\nUUID=0c5e9a3d-7b21-4f86-a4d0-6e2b8c1f9a53\nBLOCK_SIZE=4096\nTYPE=ext4\n';
    expect(parseBlkid(out)).toEqual({ fsType: 'ext4', fsUuid: '0c5e9a3d-7b21-4f86-a4d0-6e2b8c1f9a53', label: 'IMAGE' });
  });

  it('nothing found (blkid exits 2 with no output)', () => {
    expect(parseBlkid('')).toEqual({});
  });

  it('undoes blkid\'s shell-style escaping, so a label reads as lsblk reports it', () => {
    // Captured: mkfs.ext4 -L "My Drive" img && blkid -o export img
    const out = 'DEVNAME=/tmp/bl.img\nLABEL=My\\ Drive\nUUID=cf79132e-e5bf-4ead-a9e5-16ef4c1b1ae6\nBLOCK_SIZE=1024\nTYPE=ext4\n';
    expect(parseBlkid(out)).toEqual({ fsType: 'ext4', fsUuid: 'cf79132e-e5bf-4ead-a9e5-16ef4c1b1ae6', label: 'My Drive' });
  });
});

describe('findmnt -J -T <path> -o TARGET,SOURCE,FSTYPE', () => {
  it.each([
    ['usb-exfat', { target: '/media/alice/BACKUP_A', source: '/dev/sda1', fsType: 'exfat' }],
    ['luks', { target: '/media/alice/SECRET', source: '/dev/mapper/luks-8d9f2b1e-4c7a-4e53-b6d2-0a9c3f5e7b18', fsType: 'ext4' }],
    ['tmpfs', { target: '/tmp', source: 'tmpfs', fsType: 'tmpfs' }],
    ['container-root', { target: '/', source: '/dev/vda', fsType: 'ext4' }],
  ])('%s', (name, expected) => {
    expect(parseFindmnt(json(`findmnt/${name}.json`))).toEqual(expected);
  });

  it('no answer → undefined', () => {
    expect(parseFindmnt({})).toBeUndefined();
    expect(parseFindmnt({ filesystems: [] })).toBeUndefined();
    expect(parseFindmnt(null)).toBeUndefined();
    expect(parseFindmnt({ filesystems: [{ target: '/x' }] })).toBeUndefined();
  });

  it('a missing fstype is an empty string', () => {
    expect(parseFindmnt({ filesystems: [{ target: '/x', source: '/dev/sdz1' }] })).toEqual({ target: '/x', source: '/dev/sdz1', fsType: '' });
  });
});

describe('diskutil info', () => {
  it('an external exFAT volume: volume and partition UUIDs, type, name; no serial on macOS', () => {
    const f = parseDiskutilInfo(text('diskutil/info-external.txt'));
    expect(f).toMatchObject({
      fsUuid: '5C2E8A41-7D3B-3F96-A0E4-1B9C6D2F8E57', partUuid: '0B1E7C52-8D44-4B7A-9E21-5C3F8A6D2E90', fsType: 'exfat', label: 'BACKUP',
    });
    expect(f.serial).toBeUndefined();
  });

  it('takes the model from "Device / Media Name" when diskutil prints it', () => {
    const whole = [
      '   Device Identifier:         disk4',
      '   Device Node:               /dev/disk4',
      '   Whole:                     Yes',
      '   Part of Whole:             disk4',
      '   Device / Media Name:       Extreme 55AE',
      '',
      '   Volume Name:               Not applicable (no file system)',
    ].join('\n');
    expect(parseDiskutilInfo(whole).model).toBe('Extreme 55AE');
  });

  it('no output → an empty fingerprint', () => {
    expect(parseDiskutilInfo('')).toEqual({});
  });
});

describe('checkFingerprint', () => {
  const recorded: Fingerprint = { serial: 'S1', fsUuid: 'U1', model: 'Extreme 55AE', label: 'BACKUP_A', fsType: 'exfat', partUuid: 'P1' };

  it('match: serial and filesystem UUID agree; informational fields may differ', () => {
    expect(checkFingerprint(recorded, { serial: 'S1', fsUuid: 'U1' })).toEqual({ status: 'match' });
    expect(checkFingerprint(recorded, { ...recorded, label: 'RENAMED', model: 'other', partUuid: 'P2', fsType: 'vfat' })).toEqual({ status: 'match' });
  });

  it('match: a field known on one side only is not compared (a USB bridge that hides the serial)', () => {
    expect(checkFingerprint(recorded, { fsUuid: 'U1' })).toEqual({ status: 'match' });
    expect(checkFingerprint({ fsUuid: 'U1' }, { serial: 'S9', fsUuid: 'U1' })).toEqual({ status: 'match' });
  });

  it('new: nothing usable was recorded', () => {
    expect(checkFingerprint(undefined, { serial: 'S1' })).toEqual({ status: 'new' });
    expect(checkFingerprint({}, { fsUuid: 'U1' })).toEqual({ status: 'new' });
    expect(checkFingerprint({ model: 'm', label: 'l' }, { serial: 'S1' })).toEqual({ status: 'new' });
  });

  it('unknown: nothing usable is seen now (simulated drive, Windows), whatever was recorded', () => {
    expect(checkFingerprint(recorded, undefined)).toEqual({ status: 'unknown' });
    expect(checkFingerprint(recorded, {})).toEqual({ status: 'unknown' });
    expect(checkFingerprint(recorded, { model: 'Extreme 55AE', label: 'BACKUP_A' })).toEqual({ status: 'unknown' });
    expect(checkFingerprint(undefined, undefined)).toEqual({ status: 'unknown' });
  });

  it('mismatch: names each field known on both sides that differs, serial first', () => {
    expect(checkFingerprint(recorded, { serial: 'S1', fsUuid: 'U2' })).toEqual({ status: 'mismatch', fields: [{ field: 'fsUuid', recorded: 'U1', seen: 'U2' }] });
    expect(checkFingerprint(recorded, { serial: 'S2' })).toEqual({ status: 'mismatch', fields: [{ field: 'serial', recorded: 'S1', seen: 'S2' }] });
    expect(checkFingerprint(recorded, { serial: 'S2', fsUuid: 'U2' })).toEqual({
      status: 'mismatch',
      fields: [{ field: 'serial', recorded: 'S1', seen: 'S2' }, { field: 'fsUuid', recorded: 'U1', seen: 'U2' }],
    });
  });

  it('never a mismatch when no field is known on both sides', () => {
    expect(checkFingerprint({ serial: 'S1' }, { fsUuid: 'U1' }).status).not.toBe('mismatch');
  });

  it('on a fixture fingerprint: same disk, reformatted (or a copied identity file) → fsUuid mismatch', () => {
    const fixtureFp = devicesOf('linux-laptop').find((d) => d.device === '/dev/sda')!.fingerprints['/media/alice/BACKUP_A'];
    expect(checkFingerprint(fixtureFp, { ...fixtureFp, fsUuid: '1111-2222' })).toMatchObject({ status: 'mismatch', fields: [{ field: 'fsUuid' }] });
  });
});
