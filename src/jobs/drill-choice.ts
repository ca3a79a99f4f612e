// What a restore drill takes: the drive (named, or the connected drive of this config whose
// last good drill is the oldest) and a random snapshot on it that a restore would take
// (core/drill-sample.ts chooseDrillSnapshot: complete, not SUSPECT, its chain whole).
import { byDriveName } from '../core/drive-name.js';
import { chooseDrillSnapshot, type DrillCandidate } from '../core/drill-sample.js';
import { refusal, usageError } from '../core/errors.js';
import { checkBinding } from '../drives/binding.js';
import { readDriveContents, type SnapshotFolder } from '../layout/drive-contents.js';
import type { SnapshotMeta } from '../layout/format.js';
import { readSnapshotMeta } from '../layout/snapshot-meta.js';
import { detect } from './drive-lookup.js';
import { findDrive, type FoundDrive } from './find-drive.js';
import type { Session } from './session.js';
import { suspectSnapshots } from './suspects.js';

export interface DrillDrive {
  drive: FoundDrive;
  /** No drive named: why this one (the connected drives, and when each had its last good drill). */
  why?: string;
}

/**
 * The drive named, or with none named the connected drive of this config (every connected
 * airgap drive without a config) whose last good drill is the oldest, never drilled first: the
 * most overdue one; a drive holding snapshots before one that holds none. A foreign drive
 * (another's, or an impostor) is never chosen unnamed.
 */
export async function drillDrive(s: Session, spec: string | undefined): Promise<DrillDrive> {
  if (spec !== undefined) return { drive: await findDrive(s, spec) };
  const config = await s.configIfReadable();
  const own = [...(config?.drives.rotation ?? []), ...(config?.drives.retired ?? [])];
  const detection = await detect(s);
  for (const w of detection.warnings) s.log.warn(w);
  const catalog = await s.catalog();
  const mine = detection.labelled.filter((d) => checkBinding(d.identity, catalog, config?.drives.rotation ?? []).status !== 'impostor' && (!config || byDriveName(own, d.identity.name) !== undefined));
  if (!mine.length) {
    throw refusal('no-drive', config ? 'no drive of this config is connected: nothing to drill' : 'no airgap drive is connected: nothing to drill',
      'plug in a drive of the rotation (airgap status says where each one is), or name one: airgap drill <drive|path>');
  }
  const last = (id: string) => catalog.byId(id)?.lastRestoreDrillAt;
  // A drive with nothing on it has nothing to drill: the others go first, when there are any.
  const holding = mine.filter((d) => d.snapshots > 0);
  // Never drilled sorts first (''), then the oldest good drill; a tie goes by name.
  const ordered = [...(holding.length ? holding : mine)].sort((a, b) => (last(a.identity.id) ?? '').localeCompare(last(b.identity.id) ?? '') || (a.identity.name < b.identity.name ? -1 : 1));
  const pick = ordered[0]!;
  const listed = ordered.map((d) => `${d.identity.name}: ${last(d.identity.id)?.slice(0, 10) ?? 'never'}`).join(', ');
  return {
    drive: await findDrive(s, pick.root),
    why: ordered.length === 1
      ? `the only connected drive${config ? ' of this config' : ''}${ordered.length < mine.length ? ' that holds snapshots' : ''} (last good drill: ${listed.slice(listed.indexOf(': ') + 2)})`
      : `the connected drive whose last good drill is the oldest (${listed})`,
  };
}

export interface DrillSnapshot {
  snapshot: SnapshotFolder;
  meta: SnapshotMeta;
  /** How many snapshots of the drive it was drawn from. */
  of: number;
}

/** A random snapshot of the drive a drill can take; a usage error (exit 2) naming why when there is none. */
export async function drillSnapshot(s: Session, drive: FoundDrive, random: () => number): Promise<DrillSnapshot> {
  const { snapshots } = await readDriveContents(drive.airgapDir);
  const suspect = await suspectSnapshots(s, drive.identity.id, snapshots);
  const metas = new Map<string, SnapshotMeta>();
  await Promise.all(snapshots.filter((x) => x.complete).map(async (x) => {
    const meta = await readSnapshotMeta(x).catch(() => undefined);
    if (meta) metas.set(x.id, meta);
  }));
  const candidates: DrillCandidate[] = snapshots.map((x) => {
    const meta = metas.get(x.id);
    return {
      id: x.id, complete: x.complete, suspect: suspect.has(x.id),
      ...(meta?.base !== undefined ? { base: meta.base } : {}),
      // An increment's own count may leave out what it carries: a snapshot with any file counts.
      ...(meta ? { files: meta.counts.files + (meta.carried?.files ?? 0) } : {}),
    };
  });
  const choice = chooseDrillSnapshot(candidates, drive.identity.name, random);
  if (!choice.ok) throw usageError(choice.code, choice.message, choice.hint);
  return { snapshot: snapshots.find((x) => x.id === choice.id)!, meta: metas.get(choice.id)!, of: choice.of };
}
