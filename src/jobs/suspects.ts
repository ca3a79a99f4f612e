// Which snapshots of a drive are SUSPECT (issue 17 §1): flagged by the mass-change gate when they
// were written (snapshot.json's gate.suspect) and accepted neither then nor since on this host
// (backup --accept-changes records it in the catalog). Restore, find, list and verify all ask this.
import type { SnapshotMeta } from '../layout/format.js';
import { readSnapshotMeta } from '../layout/snapshot-meta.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import type { Session } from './session.js';

/** The snapshots this host accepted after they were written, as `<drive id>/<snapshot id>`. */
export async function acceptedOnHost(s: Session): Promise<Set<string>> {
  const catalog = await s.catalog().catch(() => undefined);
  return new Set(catalog?.drives.flatMap((d) => d.snapshots.filter((x) => x.accepted).map((x) => `${d.id}/${x.id}`)) ?? []);
}

/** Whether a snapshot whose snapshot.json has this gate is SUSPECT, given acceptedOnHost(). */
export const isSuspect = (gate: SnapshotMeta['gate'] | undefined, driveId: string, id: string, accepted: Set<string>): boolean =>
  gate?.suspect === true && !gate.accepted && !accepted.has(`${driveId}/${id}`);

/** The SUSPECT ones among `snapshots` (their snapshot.json read here). */
export async function suspectSnapshots(s: Session, driveId: string, snapshots: readonly SnapshotFolder[]): Promise<Set<string>> {
  const accepted = await acceptedOnHost(s);
  const out = new Set<string>();
  await Promise.all(snapshots.filter((x) => x.complete).map(async (x) => {
    if (isSuspect((await readSnapshotMeta(x).catch(() => undefined))?.gate, driveId, x.id, accepted)) out.add(x.id);
  }));
  return out;
}
