// The backup's result in words: nothing due, a dry run, a written snapshot (with what was
// verified, pruned and accepted), or a suspect snapshot with the gate's report.
import type { BackupEvent, BackupResult } from '../jobs/backup.js';
import type { AcceptedWithoutBackup } from '../jobs/accept-without-backup.js';
import { renderChanges } from './render-changes.js';
import { backupProgressText } from './progress.js';
import { bytes, renderBackupSummary, renderProblems } from './render.js';
import { plural } from '../core/plural.js';

export function renderBackup(r: BackupResult): string {
  switch (r.outcome) {
    case 'nothing-due':
      return r.message + '\n' + (r.acceptance ? renderAcceptance(r.acceptance) : '');
    case 'dry-run': {
      const c = r.counts;
      let out = r.changes && r.gate ? renderChanges(r.changes, `Changes since ${r.gate.comparedWith}:`, { trip: r.gate.suspect, reasons: r.gate.reasons }) : '';
      out += `Dry run: snapshot ${r.snapshot} on drive ${r.drive} would hold ${plural(c.files, 'file')}, ${plural(c.dirs, 'folder')}, ${plural(c.symlinks, 'symlink')}, ${plural(c.hardlinks, 'hard link')} · ${bytes(c.contentBytes)} (about ${bytes(r.estimatedBytes)} on the drive). Nothing was written.\n`;
      if (r.chain) {
        out += r.chain.kind === 'full' ? `It would be a FULL snapshot (format ${r.chain.format}): ${r.chain.reason}.\n`
          : `It would be an INCREMENT of ${r.chain.base} (format ${r.chain.format}; ${r.chain.reason}): ${plural(r.chain.carried, 'file')} carried unread, ${r.chain.checked} read to compare with the chain.\n`;
      }
      if (r.partSize) out += `The tarball would be written in parts of at most ${bytes(r.partSize)} (the drive's filesystem limits the size of one file).\n`;
      return out + renderProblems(r.problems);
    }
    case 'suspect':
      return renderBackupSummary(r.meta, r.dir, r.seconds) + renderChanges(r.changes, `Changes since ${r.gate.comparedWith}:`, { trip: r.gate.suspect, reasons: r.gate.reasons });
    case 'written': {
      let out = renderBackupSummary(r.meta, r.dir, r.seconds);
      if (r.chainReason) out += `  why ${r.meta.kind === 'full' ? 'a full' : 'an increment'}: ${r.chainReason}\n`;
      out += `  verified: read back and checked against SHA256SUMS\n`;
      if (r.pruned.length) out += `  pruned (retention): ${r.pruned.join(', ')}\n`;
      const g = r.meta.gate;
      if (r.changes && g) out += `  changes since ${g.comparedWith}: ${r.changes.added} added, ${r.changes.modified} modified, ${r.changes.deleted} deleted, ${r.changes.renamed} renamed${g.suspect ? ' (accepted with --accept-changes)' : ''}\n`;
      if (r.accepted.length) out += `  accepted the changes of ${r.accepted.map((a) => `${a.drive}/${a.id}`).join(', ')}: pruning is allowed again\n`;
      return out + renderProblems(r.problems);
    }
  }
}

/** The progress line while a backup runs. */
export function backupEventText(e: BackupEvent): string {
  switch (e.type) {
    case 'scanning': return `Scanning sources for drive ${e.drive}…`;
    case 'comparing': return 'Comparing with the last backup…';
    case 'scanned': return `Found ${plural(e.files, 'file')} (${bytes(e.bytes)}); writing to drive ${e.drive}…`;
    case 'writing': return backupProgressText(e.progress, e.seconds);
    case 'pruning': return `Pruning ${plural(e.count, 'old snapshot')} on ${e.drive}…`;
  }
}

/** --accept-changes on a day with nothing due: what it accepted all the same, or that there was nothing to accept. */
function renderAcceptance(a: AcceptedWithoutBackup): string {
  const list = a.accepted.map((x) => `${x.drive}/${x.id}`).join(', ');
  if (!a.accepted.length) return '--accept-changes: nothing to accept (no SUSPECT snapshot is waiting for an answer).\n';
  if (a.dryRun) return `Dry run: --accept-changes would accept the changes of ${list} (nothing was recorded).\n`;
  return `No snapshot was written, but the changes of ${list} are accepted (as airgap accept does): no longer SUSPECT, and pruning may go ahead again.\n`
    + (a.baselineSetAside ? `  the gate's baseline of these sources was set aside: the next backup compares them with the newest snapshot of them on its drive\n` : '');
}
