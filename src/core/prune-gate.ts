// The rule that keeps the last good copies while the ransomware gate's question is open: while a
// snapshot the gate marked suspect is not accepted, nothing is pruned on any drive (docs/ransomware.md).
// Pruning would make room by deleting the older, good snapshots that a rollback needs. backup and
// prune ask this one function, so that both tell the same story.

export interface SuspectSnapshot {
  drive: string;
  id: string;
}

export type PruneGate = { open: true } | { open: false; blockedBy: SuspectSnapshot[]; reason: string; hint: string };

/** Whether pruning may go ahead, given every unaccepted suspect snapshot the host knows of. */
export function pruneGate(unacceptedSuspects: readonly SuspectSnapshot[]): PruneGate {
  if (unacceptedSuspects.length === 0) return { open: true };
  return {
    open: false,
    blockedBy: [...unacceptedSuspects],
    reason: `no pruning while a suspect snapshot is not accepted (${unacceptedSuspects.map((x) => `${x.drive}/${x.id}`).join(', ')})`,
    hint: 'check the flagged changes (airgap diff <drive>); if they are yours: airgap backup --accept-changes',
  };
}
