// The SUSPECT snapshots of a drive in words, with the way out (issue 17 §1): the wizard shows
// them beside the drive and before a restore, so that a user who never reads docs/ransomware.md
// still learns which snapshots hold the damaged files and the two commands that answer the
// gate's question. Rejected ones only need saying: their question is answered.
import type { ListRow } from '../jobs/list.js';
import { plural } from '../core/plural.js';

export interface OpenElsewhere {
  drive: string;
  id: string;
}

/** Lines about `drive`'s SUSPECT snapshots, and the open ones on other drives (they hold pruning back too). */
export function renderSuspects(drive: string, rows: readonly ListRow[], elsewhere: readonly OpenElsewhere[] = []): string[] {
  const out: string[] = [];
  const open = rows.filter((r) => r.suspect && !r.rejected);
  const rejected = rows.filter((r) => r.rejected);
  for (const r of open) {
    out.push(`SUSPECT: ${r.id} on ${drive}: mass changes that look like ransomware or a broken sync, not accepted. Restore skips it unless named; nothing is pruned on any drive until you answer:`);
    out.push(`  if the changes are yours:       airgap accept ${drive} ${r.id}`);
    out.push(`  once your files are recovered: airgap reject ${drive} ${r.id}   (kept as evidence; --delete removes it)`);
  }
  if (rejected.length) out.push(`SUSPECT (rejected): ${rejected.map((r) => r.id).join(', ')} on ${drive}, kept as evidence; restore skips ${rejected.length === 1 ? 'it' : 'them'} unless named.`);
  for (const x of elsewhere) out.push(`SUSPECT: ${x.id} on ${x.drive}, not accepted: nothing is pruned until you answer (airgap accept ${x.drive} ${x.id}, or airgap reject ${x.drive} ${x.id}).`);
  return out;
}

/** Before a restore: which snapshot it takes, and what it passes over. */
export function renderRestoreChoice(drive: string, rows: readonly ListRow[]): string | undefined {
  const complete = rows.filter((r) => r.state === 'complete');
  const suspect = complete.filter((r) => r.suspect).map((r) => r.id);
  if (!suspect.length) return undefined;
  const take = complete.filter((r) => !r.suspect).at(-1)?.id;
  return `${take ? `Restore takes ${take}, the newest snapshot on ${drive} that is not SUSPECT` : `Every snapshot on ${drive} is SUSPECT: restore will refuse`}; `
    + `${plural(suspect.length, 'SUSPECT snapshot')} (${suspect.join(', ')}) may hold the damaged files and ${suspect.length === 1 ? 'is' : 'are'} taken only when named: airgap restore ${drive} --snapshot <id> --to <folder>.`;
}
