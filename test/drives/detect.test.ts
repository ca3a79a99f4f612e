// detectDrives over fake DriveSources whose "mountpoints" are real temp folders.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlockDevice, Fingerprint } from '../../src/core/drive-model.js';
import type { DriveIdentity } from '../../src/layout/format.js';
import { detectDrives, type DetectOptions } from '../../src/drives/detect.js';
import type { DriveSource } from '../../src/drives/drive-source.js';

let tmp: string;
beforeEach(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'airgap-detect-')));
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

const disk = (over: Partial<BlockDevice> & Pick<BlockDevice, 'device'>): BlockDevice => ({
  description: 'USB disk', size: 64_000_000_000, mountpoints: [], removable: true, usb: true, card: false, system: false,
  virtual: false, readOnly: false, raid: false, error: null, fingerprints: {}, ...over,
});
const source = (devices: BlockDevice[], kind = 'fake'): DriveSource => ({ kind, list: async () => devices.map((d) => structuredClone(d)) });
const detect = (opts: Partial<DetectOptions> & Pick<DetectOptions, 'sources'>) => detectDrives({ mountRoots: [], ...opts });

/** Makes `mp` an airgap drive (a valid identity per src/core/format.ts identitySchema). */
async function label(mp: string, name: string): Promise<DriveIdentity> {
  const identity: DriveIdentity = {
    format: 'airgap-drive', formatVersion: 1, id: randomUUID(), name,
    createdAt: '2026-11-01T09:30:00.000Z', createdBy: 'airgap 0.1.0', host: 'alice-laptop',
  };
  await mkdir(join(mp, 'airgap'), { recursive: true });
  await writeFile(join(mp, 'airgap', 'drive.json'), JSON.stringify(identity, null, 2) + '\n');
  return identity;
}

async function folder(...parts: string[]): Promise<string> {
  const p = join(tmp, ...parts);
  await mkdir(p, { recursive: true });
  return p;
}

describe('detectDrives', () => {
  it('finds a labelled drive on a listed disk\'s mountpoint, with its fingerprint and space', async () => {
    const mp = await folder('run', 'sdb1');
    const identity = await label(mp, 'OFFSITE-1');
    const fp: Fingerprint = { serial: '32343133464E343031373438', fsUuid: '3A5C-91F2', fsType: 'exfat' };
    const found = await detect({ sources: [source([disk({ device: '/dev/sdb', mountpoints: [mp], fingerprints: { [mp]: fp } })])] });

    expect(found.warnings).toEqual([]);
    expect(found.unlabelled).toEqual([]);
    expect(found.refused).toEqual([]);
    expect(found.labelled).toHaveLength(1);
    const [drive] = found.labelled;
    expect(drive).toMatchObject({
      identity, root: mp, airgapDir: join(mp, 'airgap'), device: '/dev/sdb', via: 'device', fingerprint: fp, snapshots: 0, readOnly: false,
    });
    expect(drive!.lastSnapshot).toBeUndefined();
    expect(drive!.space!.total).toBeGreaterThan(0);
    expect(drive!.space!.free).toBeLessThanOrEqual(drive!.space!.total);
  });

  it('counts complete snapshots only and names the last one; keeps the device\'s read-only flag', async () => {
    const mp = await folder('run', 'sdc1');
    await label(mp, 'RO');
    for (const id of ['2026-11-01T093000Z', '2026-11-02T093000Z']) {
      await mkdir(join(mp, 'airgap', id));
      await writeFile(join(mp, 'airgap', id, 'SHA256SUMS'), '');
    }
    await mkdir(join(mp, 'airgap', '2026-11-03T093000Z')); // interrupted: no SHA256SUMS
    const found = await detect({ sources: [source([disk({ device: '/dev/sdc', mountpoints: [mp], readOnly: true })])] });
    expect(found.labelled[0]).toMatchObject({ snapshots: 2, lastSnapshot: '2026-11-02T093000Z', readOnly: true });
  });

  it('lists an unlabelled removable disk under unlabelled, with the fingerprint of its first mountpoint', async () => {
    const mp = await folder('run', 'sdd1');
    const fp: Fingerprint = { serial: 'AA00000000000489', fsUuid: 'B4FE-5315' };
    const found = await detect({
      sources: [source([
        disk({ device: '/dev/sdd', description: 'Kingston DataTraveler 3.0', mountpoints: [mp], fingerprints: { [mp]: fp } }),
        disk({ device: '/dev/sde', description: 'unmounted stick' }),
      ])],
    });
    expect(found.labelled).toEqual([]);
    expect(found.refused).toEqual([]);
    expect(found.unlabelled).toEqual([
      { device: '/dev/sdd', description: 'Kingston DataTraveler 3.0', size: 64_000_000_000, mountpoints: [mp], fingerprint: fp },
      { device: '/dev/sde', description: 'unmounted stick', size: 64_000_000_000, mountpoints: [] },
    ]);
  });

  it('refuses a system disk, with the reason', async () => {
    const root = await folder('sysroot');
    const found = await detect({
      sources: [source([disk({ device: '/dev/nvme0n1', description: 'Samsung SSD 980 PRO 1TB', mountpoints: [root], system: true, removable: false, usb: false })])],
    });
    expect(found.labelled).toEqual([]);
    expect(found.unlabelled).toEqual([]);
    expect(found.refused).toEqual([{
      device: '/dev/nvme0n1', description: 'Samsung SSD 980 PRO 1TB', size: 64_000_000_000, mountpoints: [root], reason: 'system', detail: expect.stringContaining('system'),
    }]);
  });

  it('sorts labelled, unlabelled and refused disks from one listing', async () => {
    const a = await folder('run', 'a');
    const b = await folder('run', 'b');
    const c = await folder('run', 'c');
    await label(a, 'zulu');
    await label(b, 'Alpha');
    const found = await detect({
      sources: [source([
        disk({ device: '/dev/sda', mountpoints: [a] }),
        disk({ device: '/dev/sdb', mountpoints: [b] }),
        disk({ device: '/dev/sdc', mountpoints: [c] }),
        disk({ device: '/dev/zram0', virtual: true, removable: true, usb: false }),
        disk({ device: '/dev/sdd', size: null }),
      ])],
    });
    expect(found.labelled.map((d) => d.identity.name)).toEqual(['Alpha', 'zulu']);
    expect(found.unlabelled.map((d) => d.device)).toEqual(['/dev/sdc']);
    expect(found.refused.map((d) => [d.device, d.reason])).toEqual([['/dev/zram0', 'virtual'], ['/dev/sdd', 'no-size']]);
  });

  it('a loop device is refused unless includeLoop', async () => {
    const mp = await folder('mnt', 'image');
    const loop = disk({ device: '/dev/loop3', mountpoints: [mp], removable: false, usb: false });
    expect((await detect({ sources: [source([loop])] })).refused.map((r) => r.reason)).toEqual(['loop']);
    expect((await detect({ sources: [source([loop])], includeLoop: true })).unlabelled.map((u) => u.device)).toEqual(['/dev/loop3']);
  });

  it('finds a labelled folder by scanning a mount root (via mount-scan), fingerprinted by fingerprintOf', async () => {
    const media = await folder('media', 'alice');
    const mp = await folder('media', 'alice', 'ARCHIVE-2');
    await folder('media', 'alice', 'not-a-drive');
    await writeFile(join(media, 'stray-file'), 'x');
    const identity = await label(mp, 'ARCHIVE-2');
    const fingerprintOf = vi.fn(async (path: string): Promise<Fingerprint | undefined> => (path === mp ? { fsUuid: '0c5e9a3d-7b21-4f86-a4d0-6e2b8c1f9a53' } : undefined));

    const found = await detect({ sources: [source([])], mountRoots: [media], fingerprintOf });

    expect(found.warnings).toEqual([]);
    expect(found.unlabelled).toEqual([]); // scanning only finds airgap drives, never offers folders
    expect(found.labelled).toHaveLength(1);
    expect(found.labelled[0]).toMatchObject({ identity, root: mp, via: 'mount-scan', fingerprint: { fsUuid: '0c5e9a3d-7b21-4f86-a4d0-6e2b8c1f9a53' }, readOnly: false });
    expect(found.labelled[0]!.device).toBeUndefined();
    expect(fingerprintOf).toHaveBeenCalledWith(mp);
    expect(fingerprintOf).toHaveBeenCalledTimes(1);
  });

  it('a mount root that does not exist is no error', async () => {
    const found = await detect({ sources: [source([])], mountRoots: [join(tmp, 'no', 'such', 'root')], extraRoots: [join(tmp, 'gone')] });
    expect(found).toEqual({ labelled: [], unlabelled: [], refused: [], warnings: [] });
  });

  it('the same drive seen on a disk, under a mount root, through a symlinked root and as a last-seen path is listed once, via its device', async () => {
    const media = await folder('media', 'alice');
    const mp = await folder('media', 'alice', 'BACKUP_A');
    await label(mp, 'BACKUP_A');
    await symlink(media, join(tmp, 'media-link'));
    const fingerprintOf = vi.fn(async () => ({ fsUuid: 'should-not-be-used' }));

    const found = await detect({
      sources: [source([disk({ device: '/dev/sda', mountpoints: [mp], fingerprints: { [mp]: { fsUuid: '3A5C-91F2' } } })])],
      mountRoots: [media, join(tmp, 'media-link')],
      extraRoots: [mp, join(mp, 'airgap')],
      fingerprintOf,
    });

    expect(found.labelled).toHaveLength(1);
    expect(found.labelled[0]).toMatchObject({ root: mp, via: 'device', device: '/dev/sda', fingerprint: { fsUuid: '3A5C-91F2' } });
    expect(found.unlabelled).toEqual([]);
    expect(found.warnings).toEqual([]);
  });

  it('two disks holding copies of one identity file are two drives (a clone is not hidden)', async () => {
    const a = await folder('run', 'sdb1');
    const b = await folder('run', 'sdc1');
    const identity = await label(a, 'TWIN');
    await mkdir(join(b, 'airgap'));
    await writeFile(join(b, 'airgap', 'drive.json'), JSON.stringify(identity));
    const found = await detect({ sources: [source([disk({ device: '/dev/sdb', mountpoints: [a] }), disk({ device: '/dev/sdc', mountpoints: [b] })])] });
    expect(found.labelled.map((d) => [d.device, d.identity.id])).toEqual([['/dev/sdb', identity.id], ['/dev/sdc', identity.id]]);
  });

  describe('a damaged identity file', () => {
    it('on a listed disk: a warning; the disk is neither labelled nor offered as new', async () => {
      const mp = await folder('run', 'sdb1');
      await mkdir(join(mp, 'airgap'));
      await writeFile(join(mp, 'airgap', 'drive.json'), '{ "format": "airgap-drive", "formatVersion": 1, "id": ');
      const found = await detect({ sources: [source([disk({ device: '/dev/sdb', mountpoints: [mp] })])] });
      expect(found.labelled).toEqual([]);
      expect(found.unlabelled).toEqual([]);
      expect(found.refused).toEqual([]);
      expect(found.warnings).toHaveLength(1);
      expect(found.warnings[0]).toContain(join(mp, 'airgap', 'drive.json'));
      expect(found.warnings[0]).toMatch(/not valid JSON/);
    });

    it('valid JSON that is not an identity: a warning naming the field', async () => {
      const mp = await folder('run', 'sdb1');
      await mkdir(join(mp, 'airgap'));
      await writeFile(join(mp, 'airgap', 'drive.json'), JSON.stringify({ format: 'airgap-drive', formatVersion: 1, name: 'NO-ID', createdAt: '2026-11-01T09:30:00.000Z', createdBy: 'x', host: 'h' }));
      const found = await detect({ sources: [source([disk({ device: '/dev/sdb', mountpoints: [mp] })])] });
      expect(found.labelled).toEqual([]);
      expect(found.unlabelled).toEqual([]);
      expect(found.warnings).toHaveLength(1);
      expect(found.warnings[0]).toMatch(/invalid: id/);
    });

    it('found only by scanning a mount root: one warning, nothing labelled', async () => {
      const media = await folder('media', 'alice');
      const mp = await folder('media', 'alice', 'BROKEN');
      await mkdir(join(mp, 'airgap'));
      await writeFile(join(mp, 'airgap', 'drive.json'), 'not json at all');
      const found = await detect({ sources: [source([])], mountRoots: [media] });
      expect(found.labelled).toEqual([]);
      expect(found.warnings).toHaveLength(1);
      expect(found.warnings[0]).toContain(mp);
    });

    it('on a listed disk that is also under a mount root (the usual /media/$USER case): still one warning', async () => {
      const media = await folder('media', 'alice');
      const mp = await folder('media', 'alice', 'BROKEN');
      await mkdir(join(mp, 'airgap'));
      await writeFile(join(mp, 'airgap', 'drive.json'), '{');
      const found = await detect({ sources: [source([disk({ device: '/dev/sdb', mountpoints: [mp] })])], mountRoots: [media] });
      expect(found.labelled).toEqual([]);
      expect(found.unlabelled).toEqual([]);
      expect(found.refused).toEqual([]);
      expect(found.warnings, found.warnings.join('\n')).toHaveLength(1);
    });
  });

  it('a source whose list() throws: a warning naming it, and the other sources are still used', async () => {
    const mp = await folder('run', 'sdb1');
    await label(mp, 'STILL-FOUND');
    const broken: DriveSource = { kind: 'drivelist', list: async () => { throw new Error('Could not load the native drivelist addon'); } };
    const found = await detect({ sources: [broken, source([disk({ device: '/dev/sdb', mountpoints: [mp] }), disk({ device: '/dev/sdc' })])] });
    expect(found.warnings).toEqual(['could not list drives with drivelist: Could not load the native drivelist addon']);
    expect(found.labelled.map((d) => d.identity.name)).toEqual(['STILL-FOUND']);
    expect(found.unlabelled.map((d) => d.device)).toEqual(['/dev/sdc']);
  });

  it('a source that throws synchronously is handled the same way', async () => {
    const broken: DriveSource = { kind: 'sync-broken', list: () => { throw new Error('boom'); } };
    const found = await detect({ sources: [broken, source([disk({ device: '/dev/sdc' })])] });
    expect(found.warnings).toEqual(['could not list drives with sync-broken: boom']);
    expect(found.unlabelled.map((d) => d.device)).toEqual(['/dev/sdc']);
  });
});
