// Which snapshots of a drive are SUSPECT (issue 17 §1): flagged by the mass-change gate when they
// were written (snapshot.json's gate.suspect) and accepted neither then nor since on this host
// (airgap accept or backup --accept-changes record it in the catalog); a rejected one is still
// SUSPECT, marked "(rejected)". Restore, find, list and verify all ask this; the rule is
// core/prune-gate suspectMark.
import { suspectMark, type SuspectDecision, type SuspectMark } from '../core/prune-gate.js';
import type { SnapshotMeta } from '../layout/format.js';
import { readSnapshotMeta } from '../layout/snapshot-meta.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import type { Session } from './session.js';

/** The owner's answers this host recorded, by `<drive id>/<snapshot id>`. */
export type HostDecisions = Map<string, Pick<SuspectDecision, 'accepted' | 'rejected'>>;

export async function hostDecisions(s: Session): Promise<HostDecisions> {
  const catalog = await s.catalog().catch(() => undefined);
  const out: HostDecisions = new Map();
  for (const d of catalog?.drives ?? []) {
    for (const x of d.snapshots) if (x.accepted || x.rejected) out.set(`${d.id}/${x.id}`, { accepted: x.accepted, rejected: x.rejected });
  }
  return out;
}

/** The mark of a snapshot whose snapshot.json flagged it (`flagged`: gate.suspect, not accepted at the backup). */
export const markOf = (flagged: boolean, driveId: string, id: string, decisions: HostDecisions): SuspectMark | undefined =>
  suspectMark({ suspect: flagged, ...decisions.get(`${driveId}/${id}`) });

/** The same, from snapshot.json's gate. */
export const gateMark = (gate: SnapshotMeta['gate'] | undefined, driveId: string, id: string, decisions: HostDecisions): SuspectMark | undefined =>
  markOf(gate?.suspect === true && !gate.accepted, driveId, id, decisions);

/** The SUSPECT ones among `snapshots` (their snapshot.json read here), rejected ones included, with their mark. */
export async function suspectSnapshots(s: Session, driveId: string, snapshots: readonly SnapshotFolder[]): Promise<Map<string, SuspectMark>> {
  const decisions = await hostDecisions(s);
  const out = new Map<string, SuspectMark>();
  await Promise.all(snapshots.filter((x) => x.complete).map(async (x) => {
    const mark = gateMark((await readSnapshotMeta(x).catch(() => undefined))?.gate, driveId, x.id, decisions);
    if (mark) out.set(x.id, mark);
  }));
  return out;
}
