// Which snapshots of a drive are SUSPECT (issue 17 §1): flagged by the mass-change gate when they
// were written (snapshot.json's gate.suspect) and accepted neither then nor since on this host
// (backup --accept-changes records it in the catalog). Restore, find and list all ask this.
import { readSnapshotMeta } from '../layout/snapshot-meta.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import type { Session } from './session.js';

export async function suspectSnapshots(s: Session, driveId: string, snapshots: readonly SnapshotFolder[]): Promise<Set<string>> {
  const catalog = await s.catalog().catch(() => undefined);
  const accepted = new Set(catalog?.drives.find((d) => d.id === driveId)?.snapshots.filter((x) => x.accepted).map((x) => x.id));
  const out = new Set<string>();
  await Promise.all(snapshots.filter((x) => x.complete).map(async (x) => {
    const gate = (await readSnapshotMeta(x).catch(() => undefined))?.gate;
    if (gate?.suspect && !gate.accepted && !accepted.has(x.id)) out.add(x.id);
  }));
  return out;
}
