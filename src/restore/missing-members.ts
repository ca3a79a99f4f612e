// Every selected manifest entry is accounted for: those the archive never held are named, so
// that a restore never looks complete when it is not.
import { compareArchivePaths } from '../core/archive-order.js';
import type { ExtractState } from './extract-state.js';

/** Counts the selected files, and names each selected entry the archive did not hold, with why. */
export function accountForMissing(state: ExtractState): void {
  const { opts, report } = state;
  const located = opts.manifest.hasLocations;
  for (let i = 0; i < opts.manifest.length; i++) {
    const p = opts.manifest.path(i);
    if (opts.select && !opts.select(p)) continue;
    const t = opts.manifest.type(i);
    if (t === 'file') report.selectedFiles++;
    if (state.seenRows[i]) continue;
    let reason = located ? whyMissingFromChain(state, i) : whyMissing(state, p);
    if (t === 'dir' && state.madeDirs.has(p)) reason += ' (the folder was made as a parent of what came back, without its own mode and time)';
    report.missing.push({ path: p, reason });
  }
}

/** Format 1: the manifest is in archive order, so an entry after the last member read, in an archive that broke off, lies after the damage; any other was never in the archive. */
function whyMissing(state: ExtractState, p: string): string {
  const { brokenAt } = state.report;
  const afterDamage = brokenAt !== undefined && (state.lastMember === undefined || compareArchivePaths(p, state.lastMember) > 0);
  return afterDamage ? `after the damage at byte ${brokenAt.offset}: never read` : 'not in the archive';
}

/** Format 2: each entry's tarball and offset are known, so a break lies before it or not, in that tarball. */
function whyMissingFromChain(state: ExtractState, i: number): string {
  const { manifest, tarballs, snapshot } = state.opts;
  const from = (manifest.type(i) === 'file' ? manifest.in(i) : undefined) ?? snapshot;
  const where = from === snapshot ? 'the archive' : `the tarball of ${from}`;
  // Every tarball of the chain that holds something selected is read (--salvage: tried); one
  // that was not is none of the chain's (a manifest at odds with its snapshot.json).
  if (!tarballs.some((t) => t.snapshot === from)) return `in ${where}, which is not in this snapshot's chain: never read`;
  const broke = state.breaks.get(from);
  const at = manifest.offset(i);
  if (broke && (at === undefined || at >= broke.offset)) return `after the damage at byte ${broke.offset} of ${where}: never read`;
  return `not in ${where}`;
}
