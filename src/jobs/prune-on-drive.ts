// Pruning snapshots on a drive whose lock this run holds: recorded in the catalog first (a
// snapshot missing without such a record is reported as lost), then removed one by one, then
// the catalog follows the drive. backup and prune both prune through here.
import { twinMessage } from '../layout/drive-contents.js';
import type { DriveLock } from '../layout/drive-lock.js';
import { pruneSnapshots } from '../snapshot/prune.js';
import type { Catalog } from '../state/catalog.js';
import { recordPruneFirst, refreshFromDrive, withdrawUnpruned } from './catalog-sync.js';
import type { Session } from './session.js';

export interface PruneTarget {
  identity: { id: string };
  root: string;
  airgapDir: string;
}

/** Returns the ids actually removed. Throws when the prune cannot be recorded first (nothing removed then). */
export async function pruneOnDrive(s: Session, catalog: Catalog, drive: PruneTarget, ids: string[], lock: DriveLock): Promise<string[]> {
  await recordPruneFirst(catalog, drive.identity.id, ids, s.now);
  const done: string[] = [];
  try {
    await pruneSnapshots(drive.airgapDir, ids, {
      beforeEach: () => lock.assertHeld(),
      onPruned: (id) => done.push(id),
      onSkipped: (_id, leftover) => s.log.warn(`not pruned: ${twinMessage(leftover)}`),
    });
  } finally {
    // What was recorded but is still on the drive (skipped, or the prune failed first) is withdrawn.
    await withdrawUnpruned(catalog, drive.identity.id, drive.airgapDir, ids);
  }
  await refreshFromDrive(s, catalog, drive);
  return done;
}
