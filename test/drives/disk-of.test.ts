// The disk under a mounted drive (drives/disk-of.ts), on captured lsblk output: smartctl reads
// the whole disk, never the partition or the LUKS mapping that is mounted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskOfSource } from '../../src/drives/disk-of.js';
import { parseLsblk } from '../../src/drives/lsblk.js';

const lsblk = (name: string) => parseLsblk(JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/lsblk', `${name}.json`), 'utf8')));

describe('diskOfSource', () => {
  it('a partition: its disk', () => {
    expect(diskOfSource(lsblk('linux-laptop'), '/dev/sdb1')).toBe('/dev/sdb');
    expect(diskOfSource(lsblk('linux-laptop'), '/dev/nvme0n1p2')).toBe('/dev/nvme0n1');
  });
  it('a LUKS mapping: the disk at the top of its tree', () => {
    expect(diskOfSource(lsblk('linux-luks'), '/dev/mapper/luks-8d9f2b1e-4c7a-4e53-b6d2-0a9c3f5e7b18')).toBe('/dev/sdb');
  });
  it('a device lsblk does not list: none', () => {
    expect(diskOfSource(lsblk('linux-laptop'), '/dev/sdq1')).toBeUndefined();
  });
});
