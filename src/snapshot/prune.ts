// Removes snapshots from a drive. Each is first renamed to .pruning-<id> (atomic: from then on
// it no longer looks like a snapshot), the rename made durable, then deleted. A prune cut short
// leaves a .pruning- folder, a leftover the next backup removes — never a half-deleted snapshot
// that looks whole. The caller holds the drive lock, has checked the policy, and has recorded
// the prune in the host's catalog (so that the snapshot's absence reads "pruned", not "lost").
// A snapshot whose .pruning- name is already taken (a rename cut short on FAT: both entries
// may share the same data) is skipped, never renamed onto it.
import { lstat, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PRUNING_PREFIX } from '../layout/format.js';
import { isSnapshotId } from '../layout/snapshot-id.js';
import { fsyncDir } from '../io/durable.js';
import { failpoint } from '../io/failpoint.js';

export async function pruneSnapshots(
  airgapDir: string, ids: string[],
  hooks: { onPruned?: (id: string) => void; onSkipped?: (id: string, leftover: string) => void; beforeEach?: () => Promise<void> } = {},
): Promise<string[]> {
  const done: string[] = [];
  for (const id of ids) {
    if (!isSnapshotId(id)) throw new Error(`refusing to prune ${id}: not a snapshot id`);
    const doomed = join(airgapDir, PRUNING_PREFIX + id);
    await hooks.beforeEach?.();
    // Only a real snapshot folder is pruned: a link planted under its name is not ours to move.
    if (!(await lstat(join(airgapDir, id)).then((st) => st.isDirectory(), () => false))) continue;
    if (await lstat(doomed).then(() => true, () => false)) {
      hooks.onSkipped?.(id, PRUNING_PREFIX + id);
      continue;
    }
    await rename(join(airgapDir, id), doomed);
    failpoint('prune:renamed');
    await fsyncDir(airgapDir);
    failpoint('prune:synced');
    await rm(doomed, { recursive: true, force: true });
    failpoint('prune:removed');
    done.push(id);
    hooks.onPruned?.(id);
  }
  await fsyncDir(airgapDir);
  return done;
}
