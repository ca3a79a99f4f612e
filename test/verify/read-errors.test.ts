// A tarball the drive fails to read (EIO) is a finding that carries its errno, so that jobs/verify
// can count the drive's read errors (core/drive-health readErrorCount) apart from damage in what
// was read. No test machine can make a folder return EIO: the chunk reader is made to fail as a
// failing disk does, on a snapshot written by the built CLI.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readErrorCount } from '../../src/core/drive-health.js';
import { verifySnapshot } from '../../src/verify/verify-snapshot.js';
import { labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';

const failing = vi.hoisted(() => ({ code: undefined as string | undefined }));
vi.mock('../../src/io/read-chunks.js', async (original) => {
  const real = await original<typeof import('../../src/io/read-chunks.js')>();
  return {
    ...real,
    readChunks: (async (...args: Parameters<typeof real.readChunks>) => {
      if (failing.code) throw Object.assign(new Error(`read failed: ${failing.code}`), { code: failing.code });
      return real.readChunks(...args);
    }) as typeof real.readChunks,
  };
});

const sandboxes: Sandbox[] = [];
afterEach(async () => { for (const sb of sandboxes.splice(0)) await sb.cleanup(); failing.code = undefined; });

async function snapshotFolder(): Promise<{ id: string; dir: string; complete: true }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a.txt'), 'hello\n');
  expect((await sb.run('init', '--source', src, '--drives', 'A', '--yes')).code).toBe(0);
  await labelledDrive(sb, 'A');
  expect((await sb.run('backup', '--drive', 'A')).code).toBe(0);
  const airgap = join(sb.drive('A'), 'airgap');
  const id = (await readdir(airgap)).find((n) => /^\d{4}-/.test(n))!;
  return { id, dir: join(airgap, id), complete: true };
}

describe('read I/O errors in verify findings', () => {
  it('EIO reading the tarball: an unreadable finding with errno EIO, counted; EACCES is not a read error of the drive', async () => {
    const folder = await snapshotFolder();
    expect(readErrorCount((await verifySnapshot(folder, { deep: false })).findings)).toBe(0);
    failing.code = 'EIO';
    const r = await verifySnapshot(folder, { deep: false });
    expect(r.status).toBe('damaged');
    expect(r.findings).toContainEqual(expect.objectContaining({ code: 'unreadable', errno: 'EIO' }));
    expect(readErrorCount(r.findings)).toBe(1);
    failing.code = 'EACCES';
    expect(readErrorCount((await verifySnapshot(folder, { deep: false })).findings)).toBe(0);
  });
});
