// The prune job's result in words: what retention lets go and why, then what was freed.
import type { PruneResult } from '../jobs/prune.js';
import { bytes } from './render.js';
import { plural } from '../core/plural.js';

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
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (!r.dryRun && r.prune.length) lines.push(`Pruned ${plural(r.pruned.length, 'snapshot')}; ${bytes(r.bytes)} freed.`);
  return lines.join('\n') + '\n';
}
