// The prune job: what the retention rules no longer keep on one drive, removed under the drive
// lock (never while a suspect snapshot is unaccepted: core/prune-gate.ts). A dry run tells the
// same story and touches nothing.
import { refusal } from '../core/errors.js';
import { byDriveName } from '../core/drive-name.js';
import { pruneCandidates, type KeptItem, type PruneItem } from '../core/planner.js';
import { pruneGate, type SuspectSnapshot } from '../core/prune-gate.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { DriveLock } from '../layout/drive-lock.js';
import { removeLeftovers } from '../layout/leftovers.js';
import { findDrive } from './find-drive.js';
import { planDrives } from './planning.js';
import { pruneOnDrive } from './prune-on-drive.js';
import type { Session } from './session.js';

export interface PruneResult {
  ok: true;
  dryRun?: true;
  drive: string;
  /** What the retention rules let go, with why. */
  prune: PruneItem[];
  /** What stays, newest first, with the rules (or the guard) that keep each. */
  keep: KeptItem[];
  /** What was removed (nothing for a dry run). */
  pruned: string[];
  bytes: number;
  notes: string[];
  /**
   * A dry run while a suspect snapshot is not accepted: prune itself would refuse (exit 4), and
   * this says why; `prune` is then what retention would let go once the question is settled.
   */
  blocked?: { reason: string; hint: string; by: SuspectSnapshot[] };
}

export async function prune(s: Session, spec: string, opts: { dryRun?: boolean }): Promise<PruneResult> {
  const { policy } = await s.requirePolicy();
  const drive = await findDrive(s, spec, { write: true, bind: !opts.dryRun });
  const catalog = await s.catalog();
  const name = byDriveName(policy.drives, drive.identity.name)?.name ?? drive.identity.name;
  const gate = pruneGate(catalog.unacceptedSuspects());
  if (!gate.open && !opts.dryRun) throw refusal('suspect-not-accepted', gate.reason, gate.hint);
  const { prune: items, keep, notes } = pruneCandidates({ policy, drives: planDrives(policy, catalog, s) }, name);
  const result: PruneResult = { ok: true, ...(opts.dryRun ? { dryRun: true as const } : {}), drive: name, prune: items, keep, pruned: [], bytes: items.reduce((n, p) => n + p.bytes, 0), notes };
  // The same gate as the real prune (and backup's): a dry run says it would refuse, not "would prune".
  if (!gate.open) result.blocked = { reason: gate.reason, hint: gate.hint, by: gate.blockedBy };
  if (opts.dryRun) return result;
  // What an interrupted prune (or backup) left is finished off first, even when nothing else is due.
  if ((await readDriveContents(drive.airgapDir)).leftovers.length) {
    const lock = await DriveLock.acquire(drive.airgapDir, name, 'prune');
    try {
      await removeLeftovers(drive.airgapDir, (line) => s.log.line(line));
    } finally {
      await lock.release();
    }
  }
  if (items.length === 0) return result;
  const lock = await DriveLock.acquire(drive.airgapDir, name, 'prune');
  try {
    result.pruned = await pruneOnDrive(s, catalog, drive, items.map((p) => p.snapshot), lock);
    await catalog.save();
  } finally {
    await lock.release();
  }
  return result;
}
