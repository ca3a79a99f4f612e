// The scan job: rebuilds the host catalog from the connected drives (after a damaged catalog was
// set aside, or on a new computer). Drives that only claim a known name are not recorded.
import { impostorMessage } from '../drives/binding.js';
import { recordDetected } from './catalog-sync.js';
import { detect } from './drive-lookup.js';
import type { Session } from './session.js';

export interface ScanResult {
  ok: true;
  scanned: { name: string; root: string; snapshots: number }[];
  warnings: string[];
}

export async function scan(s: Session): Promise<ScanResult> {
  const catalog = await s.catalog();
  const found = await detect(s);
  const rotation = await s.rotation();
  for (const d of found.labelled) {
    // A drive claiming a known name with another id is not recorded (the catalog never holds two A's).
    const { binding } = await recordDetected(s, catalog, d, rotation);
    if (binding.status === 'impostor') found.warnings.push(`${impostorMessage(d.identity, d.root, binding)}: not recorded`);
  }
  await catalog.save();
  return { ok: true, scanned: found.labelled.map((d) => ({ name: d.identity.name, root: d.root, snapshots: d.snapshots })), warnings: found.warnings };
}
