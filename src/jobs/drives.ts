// The drives job: connected airgap drives (each recorded as seen, unless it only claims a known
// name), removable disks that could become one, and, on request, the disks never offered.
import { checkFingerprint, type Fingerprint } from '../core/drive-model.js';
import type { Detection } from '../drives/detect.js';
import type { RunInProgress } from '../core/status-model.js';
import { foreignReason, impostorHint } from '../drives/binding.js';
import { probeFilesystem } from '../drives/file-size-limit.js';
import { recordDetected } from './catalog-sync.js';
import { detect } from './drive-lookup.js';
import type { Session } from './session.js';

export interface DriveRow {
  name: string;
  id: string;
  root: string;
  device?: string;
  space?: { free: number; total: number };
  fingerprint?: Fingerprint;
  snapshots: number;
  lastSnapshot?: string;
  /** Mounted through fusefat (FAT32 over FUSE): backup refuses it. */
  mountedWith?: 'fusefat';
  /** A drive that carries a rotation name but is not the drive bound to it (issue 17 §3). */
  foreign?: boolean;
  /** Why airgap will not write to it (foreign, changed hardware). */
  warning?: string;
  leftovers?: string[];
  /** The airgap run writing to it now: `leftovers` are its work, not an interrupted run's. */
  inProgress?: RunInProgress;
  fingerprintCheck: string;
  via: Detection['labelled'][number]['via'];
  readOnly: Detection['labelled'][number]['readOnly'];
}

export interface DrivesResult {
  labelled: DriveRow[];
  unlabelled: Detection['unlabelled'];
  refused?: Detection['refused'];
  warnings: string[];
}

export async function drives(s: Session, opts: { all?: boolean; includeLoop?: boolean }): Promise<DrivesResult> {
  const catalog = await s.catalog();
  const found = await detect(s, { includeLoop: opts.includeLoop });
  const rotation = await s.rotation();
  const rows: DriveRow[] = [];
  for (const d of found.labelled) {
    const { binding, fingerprint: check } = await recordDetected(s, catalog, d, rotation);
    const row: Omit<DriveRow, 'fingerprintCheck' | 'via' | 'readOnly'> = { name: d.identity.name, id: d.identity.id, root: d.root, snapshots: d.snapshots };
    if (d.device) row.device = d.device;
    if (d.space) row.space = d.space;
    if (d.fingerprint) row.fingerprint = d.fingerprint;
    if (d.lastSnapshot) row.lastSnapshot = d.lastSnapshot;
    if (d.leftovers.length) row.leftovers = d.leftovers;
    if (d.inProgress) row.inProgress = d.inProgress;
    const fs = await probeFilesystem(d.airgapDir, d.fingerprint?.fsType, s.env.platform).catch(() => undefined);
    if (fs?.fusefat) row.mountedWith = 'fusefat';
    if (binding.status === 'impostor') {
      row.warning = `foreign: not your drive ${d.identity.name}: ${foreignReason(d.identity.name, binding)}; airgap will not write to it nor count it as a copy (${impostorHint(d.identity, d.root, binding)})`;
      row.foreign = true;
    } else if (fs?.fusefat) {
      row.warning = `mounted with fusefat, which loses the contents of renamed folders: airgap will not write to it (reading is safe); mount it with the kernel FAT driver, or format it exFAT`;
    } else if (check?.status === 'mismatch') {
      row.warning = `hardware differs from when first seen (${check.fields.map((f) => `${f.field} was ${f.recorded}, now ${f.seen}`).join('; ')}): a clone or a copied identity file? airgap will not write to it until you pass --accept-fingerprint`;
    }
    rows.push({ ...row, fingerprintCheck: 'unknown', via: d.via, readOnly: d.readOnly });
  }
  await catalog.save().catch(() => {});
  // Checked after the save: a drive seen for the first time now has its fingerprint recorded.
  found.labelled.forEach((d, i) => (rows[i]!.fingerprintCheck = checkFingerprint(catalog.byId(d.identity.id)?.fingerprint, d.fingerprint).status));
  return { labelled: rows, unlabelled: found.unlabelled, ...(opts.all ? { refused: found.refused } : {}), warnings: found.warnings };
}
