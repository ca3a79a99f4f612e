// `label` makes the new airgap/ folder durable (fsync of the drive root) and refuses an airgap
// entry that is not a real folder on the drive's own filesystem.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const synced: { dir: string; airgapThere: boolean }[] = [];
vi.mock('../../src/io/durable.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/io/durable.js')>();
  return {
    ...real,
    fsyncDir: async (dir: string) => {
      synced.push({ dir, airgapThere: existsSync(join(dir, 'airgap')) });
      return real.fsyncDir(dir);
    },
  };
});

const { applyLabel, planLabel } = await import('../../src/drives/label.js');
const { Catalog } = await import('../../src/state/catalog.js');

let tmp: string;
beforeEach(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'airgap-h14drives-label-')));
  synced.length = 0;
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

async function input(path: string) {
  return {
    path, name: 'A', force: false, registry: await Catalog.load(join(tmp, 'state')), drivesRoot: tmp, sources: [],
    now: new Date('2026-12-01T10:00:00Z'), newId: () => '6b541ab0-e5cf-45b9-bb34-3e36c2829b24', host: 'h', toolVersion: '0',
  };
}

describe('label', () => {
  it('fsyncs the drive root after creating airgap/', async () => {
    const drive = join(tmp, 'drive');
    await mkdir(drive);
    const i = await input(drive);
    await applyLabel(await planLabel(i), i);
    expect(synced.find((s) => s.dir === drive)).toEqual({ dir: drive, airgapThere: true });
  });

  it.runIf(process.getuid?.() === 0)('refuses an airgap folder that is another filesystem mounted on the drive', async () => {
    const drive = join(tmp, 'drive');
    const airgap = join(drive, 'airgap');
    await mkdir(airgap, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'airgap-h14drives', airgap]);
    try {
      const i = await input(drive);
      await expect(planLabel({ ...i, force: true })).rejects.toThrow(/on another filesystem than the drive/);
    } finally {
      execFileSync('umount', [airgap]);
    }
  });
});
