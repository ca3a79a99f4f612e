// Pruning snapshots on a drive whose lock this run holds: recorded in the catalog first (a
// snapshot missing without such a record is reported as lost), then removed one by one, then
// the catalog follows the drive. backup and prune both prune through here.
import { prunableTogether } from '../core/chains.js';
import { summarizeSnapshots, twinMessage } from '../layout/drive-contents.js';
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

/** Returns the ids actually removed, in the order removed (newest first). Throws when the prune cannot be recorded first (nothing removed then). */
export async function pruneOnDrive(s: Session, catalog: Catalog, drive: PruneTarget, asked: string[], lock: DriveLock): Promise<string[]> {
  const ids = await withoutBasesOfKept(drive.airgapDir, asked, (m) => s.log.warn(m));
  if (!ids.length) return [];
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

/**
 * The last guard before anything is deleted: a snapshot that a snapshot staying on the drive
 * builds on (format 2: a link of its chain, read from the drive's own snapshot.json files) is
 * never pruned, whatever the plan said (core/chains.ts prunableTogether). A plan made from a
 * catalog that did not know a snapshot's base would otherwise leave a kept snapshot that cannot
 * be restored.
 */
async function withoutBasesOfKept(airgapDir: string, ids: string[], warn: (m: string) => void): Promise<string[]> {
  const snaps = (await summarizeSnapshots(airgapDir)).map((x) => ({ id: x.id, bytes: x.bytes, complete: x.state === 'complete', ...(x.base === undefined ? {} : { base: x.base }) }));
  const { prune, held } = prunableTogether(snaps, ids);
  for (const [id, kept] of held) warn(`not pruned: ${id}, because ${kept.join(', ')} ${kept.length === 1 ? 'builds' : 'build'} on it and ${kept.length === 1 ? 'stays' : 'stay'} on the drive`);
  // Newest first: a chain pruned whole loses its increments before its base, so a prune cut
  // short (a kill, an unplug) leaves the older part of the chain whole, never an increment
  // whose base is gone.
  return [...prune].sort().reverse();
}
