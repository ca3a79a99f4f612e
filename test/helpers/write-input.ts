// The WriteSnapshotInput the writeSnapshot tests start from: <dir>/src onto a fresh drive folder
// <dir>/drive/airgap, with a fixed drive identity and clock.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { WriteSnapshotInput } from '../../src/snapshot/write-snapshot.js';

export async function writeInputFor(dir: string): Promise<WriteSnapshotInput> {
  await mkdir(join(dir, 'drive', 'airgap'), { recursive: true });
  return {
    airgapDir: join(dir, 'drive', 'airgap'),
    drive: { id: '00000000-0000-4000-8000-000000000000', name: 'T' },
    roots: [{ path: join(dir, 'src'), root: 'src' }],
    excludes: [],
    clock: () => new Date('2026-11-21T09:30:00Z'),
    toolVersion: 'test',
  };
}
