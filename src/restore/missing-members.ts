// Every selected manifest entry is accounted for: those the archive never held are named, so
// that a restore never looks complete when it is not.
import { compareArchivePaths } from '../core/archive-order.js';
import type { ExtractState } from './extract-state.js';

/** Counts the selected files, and names each selected entry the archive did not hold, with why. */
export function accountForMissing(state: ExtractState): void {
  const { opts, report } = state;
  // The manifest is in archive order, so an entry after the last member read, in an archive
  // that broke off, lies after the damage; any other was never in the archive.
  for (let i = 0; i < opts.manifest.length; i++) {
    const p = opts.manifest.path(i);
    if (opts.select && !opts.select(p)) continue;
    const t = opts.manifest.type(i);
    if (t === 'file') report.selectedFiles++;
    if (state.seenRows[i]) continue;
    const afterDamage = report.brokenAt !== undefined && (state.lastMember === undefined || compareArchivePaths(p, state.lastMember) > 0);
    let reason = afterDamage ? `after the damage at byte ${report.brokenAt!.offset}: never read` : 'not in the archive';
    if (t === 'dir' && state.madeDirs.has(p)) reason += ' (the folder was made as a parent of what came back, without its own mode and time)';
    report.missing.push({ path: p, reason });
  }
}
