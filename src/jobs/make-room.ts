// Prune before writing, when the next snapshot only fits that way (issue 17 §2). Called by the
// snapshot writer under the drive lock, after the scan has sized the snapshot and before any byte
// is written: it removes what core/make-room.ts allows (what retention drops anyway, oldest first
// and only as much as needed; in fit mode also the oldest beyond the rules), or refuses, naming
// the sizes and what to do. A dry run says what it would remove and removes nothing.
import { refusal } from '../core/errors.js';
import { humanBytes } from '../core/human-bytes.js';
import { roomPlan } from '../core/make-room.js';
import { pruneCandidates } from '../core/planner.js';
import { pruneGate } from '../core/prune-gate.js';
import { plural } from '../core/plural.js';
import type { Policy } from '../core/policy.js';
import type { DriveLock } from '../layout/drive-lock.js';
import { refreshFromDrive } from './catalog-sync.js';
import { planDrives } from './planning.js';
import { pruneOnDrive, type PruneTarget } from './prune-on-drive.js';
import type { Session } from './session.js';

export interface RoomContext {
  policy?: Policy;
  /** The drive's name in the rotation. */
  name: string;
  drive: PruneTarget;
  lock?: DriveLock;
  dryRun: boolean;
  acceptingSuspects: boolean;
  /** --no-prune: the user said nothing may be removed. */
  noPrune: boolean;
  /** The mass-change gate flagged the new snapshot: nothing is removed to make room for it. */
  flagged: boolean;
}

/** Returns the free bytes once room is made; throws the refusal when it cannot be. */
export async function makeRoom(s: Session, c: RoomContext, need: number, free: number): Promise<number> {
  const short = `not enough space on drive ${c.name}: the snapshot needs about ${humanBytes(need)}, the drive has ${humanBytes(free)} free`;
  const rule = c.policy?.drives.find((d) => d.name === c.name);
  if (!c.policy || !rule) throw refusal('no-space', short, 'free space on the drive, or use a larger drive; nothing was written (no retention applies to a drive outside the rotation)');
  const catalog = await s.catalog();
  if (!c.dryRun) await refreshFromDrive(s, catalog, c.drive);
  const drives = planDrives(c.policy, catalog, s, c.acceptingSuspects);
  const here = drives.find((d) => d.name === c.name)?.snapshots.filter((x) => x.complete) ?? [];
  const allowed = pruneCandidates({ policy: c.policy, drives }, c.name, s.today).prune;
  const verified = drives.flatMap((d) => d.snapshots.filter((x) => x.complete && x.verified).map((x) => x.id)).sort();
  const protect = new Set([here.map((x) => x.id).sort().at(-1), here.filter((x) => x.verified).map((x) => x.id).sort().at(-1), verified.at(-1)].filter((x): x is string => x !== undefined));
  const room = roomPlan({ need, free, snapshots: here, allowed, fit: rule.retention.fit === true, protect });
  if (!room.enough || !room.remove.length) {
    const frees = room.allowedBytes ? `retention allows removing ${humanBytes(room.allowedBytes)} (airgap prune ${c.name} --dry-run), not enough` : 'retention keeps every snapshot on it';
    throw refusal('no-space', `${short}; ${frees}`,
      `keep fewer snapshots ("retention" in ${s.env.configPath}, or "fit": true to remove the oldest as needed: docs/rotation.md), free space on the drive, or use a larger drive; nothing was written`);
  }
  const ids = room.remove.map((r) => r.snapshot);
  const what = `${plural(ids.length, 'old snapshot')} (${ids.join(', ')}, ${humanBytes(room.freed)})`;
  if (c.noPrune) throw refusal('no-space', `${short}; removing ${what} first would make room, but --no-prune was given`, `run without --no-prune, or run airgap prune ${c.name} first; nothing was written`);
  if (c.flagged) {
    throw refusal('no-space', `${short}; removing ${what} first would make room, but the sources changed like ransomware or a broken sync would change them, and older snapshots are never removed to store such a change`,
      `check the files now (airgap diff ${c.name}); if the changes are yours: airgap backup --accept-changes; if not, restore from an older snapshot (they are all still there); nothing was written`);
  }
  const gate = pruneGate(catalog.unacceptedSuspects());
  if (!gate.open && !c.acceptingSuspects) throw refusal('no-space', `${short}; removing ${what} first would make room, but ${gate.reason}`, `${gate.hint}; nothing was written`);
  if (c.dryRun) {
    s.log.note(`would first remove ${what} on ${c.name} to make room: ${short}`);
    return free + room.freed;
  }
  s.log.note(`${short}: removing ${what} first (${room.remove[0]!.reason})`);
  const done = await pruneOnDrive(s, catalog, c.drive, ids, c.lock!);
  await catalog.save().catch((e: Error) => s.log.warn(`could not update the catalog: ${e.message}`));
  const freed = room.remove.filter((r) => done.includes(r.snapshot)).reduce((n, r) => n + r.bytes, 0);
  return free + freed;
}
