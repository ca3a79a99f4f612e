// `airgap drives`: one block per connected airgap drive, then new removable disks, then (with
// --all) the disks that are never offered and why.
import type { DriveRow } from '../jobs/drives.js';
import { leftoverNote, type RunInProgress } from '../core/status-model.js';
import { describeFingerprint } from '../core/drive-model.js';
import { bytes, displayText } from './render.js';

export interface DiskRow {
  device: string;
  description: string;
  size: number | null;
  mountpoints: string[];
  reason?: string;
}

export function renderDrives(labelled: DriveRow[], unlabelled: DiskRow[], refused: DiskRow[] | undefined, warnings: string[]): string {
  const out: string[] = [];
  if (labelled.length === 0) out.push('No airgap drive is connected.');
  for (const d of labelled) {
    out.push(`${d.name}  ${d.root}${d.device ? `  (${d.device})` : ''}`);
    if (d.space) out.push(`  space     ${bytes(d.space.free)} free of ${bytes(d.space.total)}`);
    out.push(`  snapshots ${d.snapshots}${d.lastSnapshot ? `, last ${d.lastSnapshot}` : ''}`);
    out.push(`  hardware  ${describeFingerprint(d.fingerprint)}`);
    if (d.warning) out.push(`  WARNING   ${d.warning}`);
    if (d.leftovers?.length) out.push(`  note      ${displayText(leftoverNote(d.name, d.leftovers, d.inProgress))}`);
  }
  if (unlabelled.length) {
    out.push('', 'Removable disks that are not airgap drives yet:');
    for (const u of unlabelled) {
      const where = u.mountpoints[0];
      out.push(`  ${u.device}  ${u.description || 'disk'}  ${u.size ? bytes(u.size) : ''}`.trimEnd());
      out.push(where ? `    label it: airgap label ${where} --name <NAME>` : '    not mounted: mount it first (airgap mount ' + u.device + ')');
    }
  }
  if (refused) {
    out.push('', 'Never offered:');
    if (refused.length === 0) out.push('  (none)');
    for (const r of refused) out.push(`  ${r.device}  ${r.description || 'disk'}  ${r.size ? bytes(r.size) : '-'}: ${r.reason}`);
  }
  for (const w of warnings) out.push(`warning: ${displayText(w)}`);
  return out.join('\n') + '\n';
}

type WatchEvent =
  | { type: 'present' | 'arrived' | 'left'; at: string; drive: { kind: 'labelled'; name: string; root: string; leftovers?: string[]; inProgress?: RunInProgress } | { kind: 'unlabelled'; device: string; description: string; mountpoints: string[] } }
  | { type: 'not-mounted'; at: string; device: string; description: string }
  | { type: 'timeout'; at: string; seconds: number };

/** One line per watch event, with what to do next when there is something to do. */
export function renderDriveEvent(e: WatchEvent): string {
  const time = e.at.slice(11, 19);
  if (e.type === 'timeout') return `${time} no drive arrived within ${e.seconds} s\n`;
  if (e.type === 'not-mounted') return `${time} plugged in but not mounted: ${e.device} ${e.description}\n  mount it: airgap mount ${e.device}\n`;
  const verb = e.type === 'present' ? 'connected' : e.type;
  if (e.drive.kind === 'labelled') {
    const left = e.type !== 'left' && e.drive.leftovers?.length ? `  ${displayText(leftoverNote(e.drive.name, e.drive.leftovers, e.drive.inProgress))}\n` : '';
    return `${time} ${verb.padEnd(9)} airgap drive ${e.drive.name} at ${e.drive.root}\n${left}`;
  }
  const where = e.drive.mountpoints[0];
  const hint = e.type === 'left' ? '' : where ? `\n  not an airgap drive yet: airgap label ${where} --name <NAME>` : '';
  return `${time} ${verb.padEnd(9)} disk ${e.drive.device} ${e.drive.description}${where ? ` at ${where}` : ''}${hint}\n`;
}
