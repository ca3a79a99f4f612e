// The prune job's result in words: what retention lets go and why, then what was freed.
import type { PruneResult } from '../jobs/prune.js';
import { bytes } from './render.js';
import { plural } from '../core/plural.js';
import type { KeptItem } from '../core/planner.js';

export function renderPrune(r: PruneResult): string {
  if (r.blocked) {
    // A dry run while the ransomware gate's question is open: prune would refuse, so say that first.
    const lines = [`airgap prune ${r.drive} would refuse now: ${r.blocked.reason}.`];
    if (r.prune.length) {
      lines.push(`Once that is settled, retention would prune ${plural(r.prune.length, 'snapshot')} on ${r.drive} (${bytes(r.bytes)}):`);
      for (const p of r.prune) lines.push(`  ${p.snapshot}  ${bytes(p.bytes)}  ${p.reason}`);
    } else lines.push(`Once that is settled, retention would still keep every snapshot on ${r.drive}.`);
    for (const n of r.notes) lines.push(`  note: ${n}`);
    lines.push(`hint: ${r.blocked.hint}`);
    return lines.join('\n') + '\n';
  }
  const lines = [r.prune.length
    ? `${r.dryRun ? 'Would prune' : 'Pruning'} ${plural(r.prune.length, 'snapshot')} on ${r.drive} (${bytes(r.bytes)}):`
    : `Nothing to prune on ${r.drive}: every snapshot is kept by the retention policy.`];
  for (const p of r.prune) lines.push(`  ${p.snapshot}  ${bytes(p.bytes)}  ${p.reason}`);
  if (r.dryRun) lines.push(...renderKept(r.drive, r.keep));
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (!r.dryRun && r.prune.length) lines.push(`Pruned ${plural(r.pruned.length, 'snapshot')}; ${bytes(r.bytes)} freed.`);
  return lines.join('\n') + '\n';
}

/** A drive keeps up to 37 snapshots by the default rules: the newest are shown, the rest counted. */
const KEPT_SHOWN = 12;

/** "Kept on A:" and each snapshot that stays, with the rules (or the guard) that keep it. */
export function renderKept(drive: string, keep: readonly KeptItem[]): string[] {
  if (!keep.length) return [];
  const shown = keep.slice(0, KEPT_SHOWN).map((k) => `  ${k.snapshot}  ${bytes(k.bytes)}  ${k.reasons.join(', ')}`);
  const rest = keep.length - shown.length;
  return [`Kept on ${drive}:`, ...shown, ...(rest > 0 ? [`  … and ${plural(rest, 'older snapshot')} (--json lists every one, with why)`] : [])];
}
