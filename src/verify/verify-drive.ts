// Verifies every snapshot on a drive (or one) and the hash chain that links them: each
// snapshot.json records the SHA-256 of the previous snapshot's SHA256SUMS, so a rewritten or
// swapped older snapshot shows up even when its own checksums were rewritten to match. Format 2's
// chains (what an increment needs, what depends on a damaged snapshot) are judged in chain-check.
import { join } from 'node:path';
import { MAX_SUMS_BYTES, SUMS_FILE } from '../layout/format.js';
import { describeUnknown, readDriveContents, twinMessage } from '../layout/drive-contents.js';
import { damaged, type DriveReport, type Finding } from '../core/findings.js';
import { verifySnapshot, type VerifiedSnapshot, type VerifyOptions } from './verify-snapshot.js';
import { sha256Hex } from '../io/sha256.js';
import { readRegularFile } from '../io/read-regular.js';
import { DriveChains } from './chain-check.js';
import { activeLockHolder } from '../layout/drive-lock.js';
import { hostLabel } from '../io/stale-lock.js';

export interface VerifyDriveInput extends VerifyOptions {
  airgapDir: string;
  path: string;
  drive: { id: string; name: string };
  snapshotId?: string;
  /**
   * What this host's catalog knows of the drive's past: snapshots it recorded that vanished
   * without a prune by this host (damage), and when this host pruned a snapshot. Without it,
   * nothing is called "pruned".
   */
  history?: { missing: { id: string; missingSince: string }[]; prunedAt: (snapshotId: string) => string | undefined };
  onSnapshot?: (id: string, index: number, total: number) => void;
}

export async function verifyDrive(input: VerifyDriveInput): Promise<DriveReport & { snapshots: VerifiedSnapshot[] }> {
  const contents = await readDriveContents(input.airgapDir);
  const chosen = input.snapshotId ? contents.snapshots.filter((s) => s.id === input.snapshotId) : contents.snapshots;
  const reports: VerifiedSnapshot[] = [];
  // Oldest first: a base's damage is known by the time the increments built on it are walked.
  const chains = new DriveChains(contents);
  for (const [i, folder] of chosen.entries()) {
    input.onSnapshot?.(folder.id, i, chosen.length);
    reports.push(await verifySnapshot(folder, { ...input, chain: chains.context }));
  }
  await chains.judge(reports);
  // The chain needs every snapshot's SHA256SUMS hash, also those not verified this time.
  const sumsOf = new Map<string, string | undefined>(reports.map((r) => [r.id, r.sumsSha256]));
  for (const s of contents.snapshots) {
    if (!sumsOf.has(s.id) && s.complete) {
      const raw = await readRegularFile(join(s.dir, SUMS_FILE), { maxBytes: MAX_SUMS_BYTES }).catch(() => undefined); // never a FIFO: it would block
      sumsOf.set(s.id, raw ? sha256Hex(raw) : undefined);
    }
  }
  // The newest snapshot was written under the drive's name then: a different name in drive.json
  // now means a relabel since (fine) or an edited/damaged identity file (not fine): say it.
  const newest = [...reports].reverse().find((r) => r.meta && r.meta.drive.id === input.drive.id);
  if (newest && newest.meta!.drive.name !== input.drive.name && newest.id === contents.snapshots.filter((s) => s.complete).at(-1)?.id) {
    newest.findings.push({ severity: 'warning', code: 'drive-name-differs', message: `written to this drive when it was named ${newest.meta!.drive.name}; its identity file now says ${input.drive.name} (relabelled since, or drive.json edited?)` });
  }
  for (const r of reports) {
    const prev = r.meta?.previous;
    if (r.meta && r.meta.drive.id !== input.drive.id) {
      r.findings.push({ severity: 'warning', code: 'other-drive', message: `written to drive ${r.meta.drive.name} (${r.meta.drive.id}), found on ${input.drive.name}: copied between drives?` });
    }
    if (!prev) continue;
    const onDrive = sumsOf.get(prev.id);
    const prunedAt = input.history?.prunedAt(prev.id);
    // "pruned" only when this host pruned it; a vanished snapshot this host knew is damage (below).
    const f: Finding | undefined = !sumsOf.has(prev.id)
      ? prunedAt
        ? { severity: 'note', code: 'chain-gap', message: `previous snapshot ${prev.id} is no longer on this drive: pruned by this computer on ${prunedAt.slice(0, 10)}` }
        : { severity: 'warning', code: 'chain-gap', message: `previous snapshot ${prev.id} is not on this drive: missing (pruned elsewhere or lost)` }
      : onDrive !== prev.sha256sums
        ? { severity: 'damage', code: 'chain-broken', message: `previous snapshot ${prev.id} is not the one this snapshot followed: its ${SUMS_FILE} changed since (history rewritten or replaced)` }
        : undefined;
    if (f) r.findings.push(f);
    if (damaged(r.findings)) r.status = r.status === 'incomplete' ? 'incomplete' : 'damaged';
  }
  const driveFindings: Finding[] = [];
  if (!input.snapshotId) {
    for (const m of input.history?.missing ?? []) {
      driveFindings.push({ severity: 'damage', code: 'snapshot-missing', message: `snapshot ${m.id} is missing (pruned elsewhere or lost): this computer recorded it on the drive and did not prune it (gone since ${m.missingSince.slice(0, 10)})` });
    }
  }
  for (const u of contents.unknown) {
    // An entry named like a snapshot that is not a real folder (a link off the drive) is a snapshot that is not one: damage.
    driveFindings.push({ severity: u.snapshotName ? 'damage' : 'warning', code: u.snapshotName ? 'not-a-snapshot' : 'unknown-entry', message: describeUnknown(u), file: u.name });
  }
  for (const t of contents.twins) driveFindings.push({ severity: 'warning', code: 'rename-leftover', message: twinMessage(t), file: t });
  // Read-only: the lock is looked at, never taken (verify may run beside a backup).
  const holder = await activeLockHolder(input.airgapDir).catch(() => undefined);
  return {
    drive: input.drive,
    path: input.path,
    snapshots: reports,
    leftovers: contents.leftovers,
    ...(holder ? { inProgress: { pid: holder.pid, host: hostLabel(holder.host), command: holder.command, startedAt: holder.startedAt } } : {}),
    driveFindings,
    ok: reports.every((r) => r.status === 'ok') && !damaged(driveFindings),
  };
}
