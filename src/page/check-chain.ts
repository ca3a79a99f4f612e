// The links between a drive's snapshots, judged as `airgap verify` judges them
// (src/verify/verify-drive.ts, src/verify/chain-check.ts): each snapshot.json records the
// SHA-256 of the previous snapshot's SHA256SUMS, so an older snapshot rewritten to check out on
// its own still shows up (chain broken); and a format 2 increment can only be restored with
// every snapshot of its chain, so a link that is missing, incomplete or damaged makes it damaged
// (format 3's chains alike; a chain never mixes formats: a restore reads its tarballs as one format).
import { isChainedFormat, SUMS_FILE } from '../layout/format.js';
import type { SnapshotResult } from './check-snapshot.js';

/** Adds the chain's findings to the results (all of one drive, oldest first). */
export function judgeChains(results: SnapshotResult[]): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  // Each snapshot's own verdict, before the chain: a snapshot damaged only through its chain is
  // no bad link of another (the base that is damaged is named there instead).
  const own = new Map(results.map((r) => [r.id, r.verdict]));
  for (const r of results) {
    const meta = r.meta;
    if (!meta) continue;
    for (const link of isChainedFormat(meta.formatVersion) && meta.kind === 'incremental' ? (meta.chain ?? []).slice(0, -1) : []) {
      const state = own.get(link);
      const linkFormat = byId.get(link)?.meta?.formatVersion;
      if (state === undefined) r.problems.push(`needs snapshot ${link} of its chain, which is not on this drive`);
      else if (state !== 'OK' && state !== 'UNCHECKED') r.problems.push(`needs snapshot ${link} of its chain, which is ${state.toLowerCase()}`);
      else if (linkFormat !== undefined && linkFormat !== meta.formatVersion) {
        r.problems.push(`needs snapshot ${link} of its chain, which is of snapshot format ${linkFormat}, this snapshot of format ${meta.formatVersion}: a chain never mixes formats`);
      }
    }
    const prev = meta.previous;
    if (!prev) continue;
    const there = byId.get(prev.id);
    if (!there) r.warnings.push(`previous snapshot ${prev.id} is not on this drive: pruned or lost`);
    else if (there.sumsSha256 !== prev.sha256sums) {
      r.problems.push(`chain broken: previous snapshot ${prev.id} is not the one this snapshot followed: its ${SUMS_FILE} changed since (history rewritten or replaced)`);
    }
  }
  for (const r of results) if (r.problems.length > 0 && (r.verdict === 'OK' || r.verdict === 'UNCHECKED')) r.verdict = 'DAMAGED';
}
