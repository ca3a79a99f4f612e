// The host catalog kept in step with every drive airgap sees (an impostor is never recorded), and
// prunes recorded before they happen. The catalog itself is read once per run (session.ts).
import { statfs } from 'node:fs/promises';
import { readDriveContents, summarizeSnapshots } from '../layout/drive-contents.js';
import type { Fingerprint, FingerprintCheck } from '../core/drive-model.js';
import { refusal } from '../core/errors.js';
import { Catalog } from '../state/catalog.js';
import { checkBinding, type BindingCheck, type RotationBinding } from '../drives/binding.js';
import { byDriveName } from '../core/drive-name.js';
import { bindRotationId } from '../state/config.js';
import type { Session } from './session.js';

/** The drive is the truth for its contents: every time airgap sees a drive, the catalog follows. */
export async function refreshFromDrive(s: Session, catalog: Catalog, drive: { identity: { id: string }; root: string; airgapDir: string }): Promise<void> {
  const summaries = await summarizeSnapshots(drive.airgapDir).catch(() => undefined);
  if (summaries) catalog.recordContents(drive.identity.id, summaries, await capacityOf(drive.root), s.now);
}

/** A drive's whole size and the room left on it, as its file system reports them now. */
export async function capacityOf(root: string): Promise<{ total: number; free: number } | undefined> {
  const fs = await statfs(root).catch(() => undefined);
  return fs ? { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize } : undefined;
}

/**
 * Records a detected drive in the catalog (seen, and what it holds), unless it only claims the
 * name of another known drive: an impostor is never recorded, or the real drive would later
 * look like the impostor. Returns the binding, and the fingerprint check of a recorded drive.
 */
export async function recordDetected(
  s: Session, catalog: Catalog, d: { identity: { id: string; name: string; createdAt: string }; root: string; airgapDir: string; fingerprint?: Fingerprint }, rotation: RotationBinding[],
): Promise<{ binding: BindingCheck; fingerprint?: FingerprintCheck }> {
  const binding = checkBinding(d.identity, catalog, rotation);
  if (binding.status === 'impostor') return { binding };
  // First sight of a drive this host knows under an unbound rotation name: its id is recorded now.
  if (binding.status === 'first' && byDriveName(rotation, d.identity.name) && (await bindRotationId(s.env.configPath, d.identity.name, d.identity.id).catch(() => false))) {
    s.forgetConfig();
    s.log.note(`drive ${d.identity.name} (id ${d.identity.id}) is now bound to its name in the config ${s.env.configPath}`);
  }
  const fingerprint = catalog.seen(d.identity, d.root, s.now, d.fingerprint);
  await refreshFromDrive(s, catalog, d);
  return { binding, fingerprint };
}

/**
 * Records in the catalog, durably, that this host prunes these snapshots, before any is touched:
 * a snapshot missing from a drive without such a record is reported as lost. If the record
 * cannot be saved, nothing is pruned.
 */
export async function recordPruneFirst(catalog: Catalog, driveId: string, ids: string[], at: Date): Promise<void> {
  catalog.recordPruned(driveId, ids, at);
  await catalog.save().catch((e: Error) => {
    throw refusal('catalog-unwritable', `cannot record the prune in the catalog ${catalog.file}: ${e.message}; nothing was pruned`,
      'make the state folder writable (AIRGAP_STATE_DIR), then run again');
  });
}

/** After a prune (done, skipped or failed): the records of snapshots still on the drive are withdrawn. */
export async function withdrawUnpruned(catalog: Catalog, driveId: string, airgapDir: string, ids: string[]): Promise<void> {
  const still = new Set((await readDriveContents(airgapDir).catch(() => undefined))?.snapshots.map((s) => s.id) ?? []);
  catalog.withdrawPruned(driveId, ids.filter((id) => still.has(id)));
  await catalog.save().catch(() => {});
}

