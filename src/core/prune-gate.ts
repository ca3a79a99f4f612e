// The rule that keeps the last good copies while the ransomware gate's question is open: while a
// snapshot the gate marked suspect is neither accepted (the changes are the owner's) nor rejected
// (kept as evidence, the sources recovered), nothing is pruned on any drive (docs/ransomware.md).
// Pruning would make room by deleting the older, good snapshots that a rollback needs. backup and
// prune ask this one function, so that both tell the same story.

export interface SuspectSnapshot {
  drive: string;
  id: string;
}

/** What this host decided about a snapshot (catalog): the gate's flag, and the owner's answer. */
export interface SuspectDecision {
  suspect?: boolean;
  accepted?: boolean;
  rejected?: boolean;
}

/** Whether a snapshot's question is still open: flagged, and neither accepted nor rejected. */
export const questionOpen = (s: SuspectDecision): boolean => s.suspect === true && !s.accepted && !s.rejected;

/**
 * Whether a verified snapshot counts as a good copy for retention ("never prune the newest
 * verified copy"): not one the gate flagged and nobody accepted, or that guard would protect the
 * encrypted snapshot instead of the good one before it. `acceptingOpen`: backup --accept-changes,
 * whose prune runs once every open question is answered "mine" (a rejected one stays rejected).
 */
export const goodCopy = (s: SuspectDecision, acceptingOpen = false): boolean =>
  !s.suspect || s.accepted === true || (acceptingOpen && !s.rejected);

export type PruneGate = { open: true } | { open: false; blockedBy: SuspectSnapshot[]; reason: string; hint: string };

/** Whether pruning may go ahead, given every suspect snapshot whose question is open (questionOpen). */
export function pruneGate(unacceptedSuspects: readonly SuspectSnapshot[]): PruneGate {
  if (unacceptedSuspects.length === 0) return { open: true };
  return {
    open: false,
    blockedBy: [...unacceptedSuspects],
    reason: `no pruning while a suspect snapshot is not accepted (${unacceptedSuspects.map((x) => `${x.drive}/${x.id}`).join(', ')})`,
    hint: `check the flagged changes (airgap diff <drive>); if they are yours: airgap accept ${unacceptedSuspects[0]!.drive} ${unacceptedSuspects[0]!.id} (or airgap backup --accept-changes); once the sources are recovered: airgap reject ${unacceptedSuspects[0]!.drive} ${unacceptedSuspects[0]!.id}`,
  };
}

/** What list, verify and status call a flagged snapshot (issue 17 §1). */
export type SuspectMark = 'open' | 'rejected';

/**
 * SUSPECT with the question open, SUSPECT kept as rejected evidence, or nothing: never flagged,
 * or accepted (at the backup, or since on this host), and then it is a snapshot like any other.
 * A rejected one stays SUSPECT: its files are the damaged ones, and restore must never take it
 * unless named; "(rejected)" only tells the owner the question is answered.
 */
export function suspectMark(s: SuspectDecision): SuspectMark | undefined {
  if (s.suspect !== true || s.accepted === true) return undefined;
  return s.rejected === true ? 'rejected' : 'open';
}
