// `airgap backup --accept-changes` on a day with nothing due (issue 17 §1). No snapshot is
// written, but the owner said "the changes are mine", often because the tripped backup's hint
// told them to: dropping that silently would leave pruning blocked and the next backup tripping
// on the same changes. So it does what a written backup with --accept-changes does to the
// suspects (every open one accepted; a rejected one stays rejected), and, with no scan to make a
// new baseline from, what `airgap accept` does to the baseline: the one of these sources (the
// state before the changes) is set aside, so that the next backup compares with the newest
// snapshot of them on its drive instead of flagging the same changes again.
import { rm } from 'node:fs/promises';
import { baselinePath } from '../state/baseline.js';
import type { Catalog } from '../state/catalog.js';
import type { Session } from './session.js';

export interface AcceptedWithoutBackup {
  /** The suspect snapshots accepted (empty: none was waiting for an answer). */
  accepted: { drive: string; id: string }[];
  /** The gate baseline of these sources, set aside. */
  baselineSetAside?: string;
  /** --dry-run: nothing was recorded; `accepted` is what would have been. */
  dryRun?: true;
}

export async function acceptWithoutBackup(s: Session, catalog: Catalog, sources: string[], dryRun: boolean): Promise<AcceptedWithoutBackup> {
  if (dryRun) return { accepted: catalog.unacceptedSuspects(), dryRun: true };
  const accepted = catalog.acceptAllSuspects();
  if (!accepted.length) return { accepted };
  await catalog.save();
  const baseline = baselinePath(s.env.stateDir, sources);
  return { accepted, ...(await rm(baseline).then(() => ({ baselineSetAside: baseline }), () => ({}))) };
}
