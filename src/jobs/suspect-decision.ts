// `airgap accept` and `airgap reject` (issue 17 §1): the owner's answer to the question the
// mass-change gate asked about one snapshot, without a new backup or a due day.
// - accept: the changes are the owner's. The snapshot is no longer SUSPECT on this host, it no
//   longer holds pruning back, and the gate's baseline for its sources (the last accepted state,
//   from before the changes) is set aside, so that the next backup compares with the newest
//   snapshot of those sources on its drive instead of flagging the same changes again.
// - reject: the snapshot is evidence (the sources were recovered). It stays SUSPECT (restore never
//   takes it unless named) and on the drive, unless --delete, but no longer holds pruning back;
//   the baseline stays: the recovered sources are compared with the last good state as before.
// The rule that only a decided snapshot releases the prune block is core/prune-gate.ts's.
import { rm } from 'node:fs/promises';
import { refusal, usageError } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { DriveLock } from '../layout/drive-lock.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { readFullSnapshotMeta, readSnapshotMeta } from '../layout/snapshot-meta.js';
import { baselinePath } from '../state/baseline.js';
import { knownDrive } from './drive-lookup.js';
import { findDrive } from './find-drive.js';
import { pruneOnDrive } from './prune-on-drive.js';
import type { Session } from './session.js';

export type Decision = 'accept' | 'reject';

export interface DecisionPlan {
  decision: Decision;
  drive: { id: string; name: string };
  snapshot: string;
  /** reject --delete: the snapshot is removed from the drive as well. */
  delete: boolean;
  question: string;
}

export interface DecisionResult extends DecisionPlan {
  /** accept: the gate baseline that was set aside (it held the state before the changes). */
  baselineSetAside?: string;
  deleted: boolean;
  /** Suspect snapshots whose question is still open: pruning waits for them. */
  stillOpen: { drive: string; id: string }[];
}

/** Checks that the snapshot is one the gate flagged on this host and that is not decided yet. */
export async function planDecision(s: Session, decision: Decision, spec: string, snapshotId: string, opts: { delete?: boolean }): Promise<DecisionPlan> {
  const catalog = await s.catalog();
  const entry = knownDrive(catalog, spec);
  const snap = entry.snapshots.find((x) => x.id === snapshotId);
  if (!snap) throw usageError('unknown-snapshot', `drive ${entry.name} holds no snapshot ${snapshotId} that this host knows of`, `airgap list ${entry.name} shows its snapshots, SUSPECT ones marked`);
  if (!snap.suspect) throw usageError('not-suspect', `snapshot ${snapshotId} on ${entry.name} was not flagged by the mass-change gate: there is nothing to ${decision}`, `airgap list ${entry.name} marks the SUSPECT ones`);
  if (snap.accepted || snap.rejected) {
    throw usageError('already-decided', `snapshot ${snapshotId} on ${entry.name} was already ${snap.accepted ? 'accepted' : 'rejected'}`, 'nothing to do');
  }
  const question = decision === 'accept'
    ? `Accept the changes in snapshot ${snapshotId} on ${entry.name} as yours (it is no longer SUSPECT, and pruning may go ahead)?`
    : `Reject snapshot ${snapshotId} on ${entry.name} as evidence${opts.delete ? ' and DELETE it from the drive' : ' (it stays on the drive, SUSPECT)'}, now that your files are recovered?`;
  return { decision, drive: { id: entry.id, name: entry.name }, snapshot: snapshotId, delete: opts.delete === true, question };
}

export async function applyDecision(s: Session, plan: DecisionPlan): Promise<DecisionResult> {
  const catalog = await s.catalog();
  const result: DecisionResult = { ...plan, deleted: false, stillOpen: [] };
  if (plan.decision === 'accept') {
    // The snapshot says which sources it was of: their baseline is the state before the changes.
    const drive = await findDrive(s, plan.drive.name, { bind: false });
    const folder = (await readDriveContents(drive.airgapDir)).snapshots.find((x) => x.id === plan.snapshot && x.complete);
    if (!folder) throw refusal('snapshot-missing', `snapshot ${plan.snapshot} is not on drive ${plan.drive.name} (or is incomplete)`, `airgap list ${plan.drive.name} shows what it holds`);
    // Its sources: an encrypted snapshot's are only in snapshot.json.age (a key is needed; the
    // plain one's empty list would name another baseline).
    const meta = await readFullSnapshotMeta(folder);
    const baseline = baselinePath(s.env.stateDir, meta.sources.map((x) => x.path));
    catalog.decideSuspect(plan.drive.id, plan.snapshot, 'accepted');
    await catalog.save();
    if (await rm(baseline).then(() => true, () => false)) result.baselineSetAside = baseline;
  } else {
    catalog.decideSuspect(plan.drive.id, plan.snapshot, 'rejected');
    await catalog.save();
    if (plan.delete) result.deleted = await deleteRejected(s, plan);
  }
  result.stillOpen = catalog.unacceptedSuspects();
  return result;
}

/** reject --delete: removed as a prune would remove it, unless a later snapshot builds on it. */
async function deleteRejected(s: Session, plan: DecisionPlan): Promise<boolean> {
  const drive = await findDrive(s, plan.drive.name, { write: true, bind: false });
  const contents = await readDriveContents(drive.airgapDir);
  const dependants: string[] = [];
  for (const x of contents.snapshots.filter((y) => y.complete && y.id !== plan.snapshot)) {
    const meta = await readSnapshotMeta(x).catch(() => undefined);
    if (meta?.chain?.includes(plan.snapshot)) dependants.push(x.id);
  }
  if (dependants.length) {
    throw refusal('snapshot-is-a-base', `snapshot ${plan.snapshot} was rejected but not deleted: ${plural(dependants.length, 'later snapshot')} on ${plan.drive.name} build on it (${dependants.join(', ')})`,
      `it goes when they do (retention prunes a chain whole); or delete them first with airgap reject ${plan.drive.name} <snapshot> --delete`);
  }
  const lock = await DriveLock.acquire(drive.airgapDir, plan.drive.name, 'prune');
  try {
    const catalog = await s.catalog();
    const pruned = await pruneOnDrive(s, catalog, drive, [plan.snapshot], lock);
    await catalog.save();
    return pruned.includes(plan.snapshot);
  } finally {
    await lock.release();
  }
}
