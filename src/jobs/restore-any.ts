// `airgap restore --from-any`: no drive named; the newest copy of the snapshot asked for (or
// the newest that is not SUSPECT) among the connected drives of this config's rotation, never
// another's. A copy that fails verification (or whose manifest cannot be trusted, or that lacks
// a path asked for) leaves the target as it was, so the restore falls back to the next newest
// copy and says so. A problem with the target itself (a collision, no space) is the same on
// every drive and is not retried.
import { byDriveName } from '../core/drive-name.js';
import { damage, isAirgapError, refusal, usageError } from '../core/errors.js';
import { checkBinding } from '../drives/binding.js';
import { isKeyProblem } from '../io/age-feed.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { detect } from './drive-lookup.js';
import { findDrive } from './find-drive.js';
import { checkRestoreFlags, chooseSnapshot, restoreFrom, type RestoreDrive, type RestoreJobResult, type RestoreOptions, type RestoreRun } from './restore.js';
import type { Session } from './session.js';

/** Why a copy is passed over for the next one: the copy failed, and nothing was written. */
const COPY_FAILED = new Set(['snapshot-damaged', 'chain-damaged', 'manifest-damaged', 'manifest-invalid', 'not-in-snapshot']);

interface Copy {
  drive: RestoreDrive;
  snapshot: SnapshotFolder;
  skipped: string[];
}

interface Found {
  copies: Copy[];
  /** The connected drives of this config, by name. */
  drives: string[];
  /** Drives of this config with no usable copy, and why. */
  without: { drive: string; reason: string }[];
}

export async function restoreFromAny(s: Session, paths: string[], opts: RestoreOptions, run: RestoreRun = {}): Promise<RestoreJobResult> {
  checkRestoreFlags(opts);
  if (opts.salvage) {
    throw usageError('from-any-salvage', '--salvage takes what survives of one damaged copy; --from-any looks for a sound copy on any drive',
      'leave out --salvage (--from-any falls back to the next drive when a copy fails verification), or name the drive: airgap restore <drive> --salvage');
  }
  const found = await findCopies(s, opts.snapshot);
  const failed: { drive: string; snapshot: string; reason: string; code: string; key: boolean }[] = [];
  const keyErrors: unknown[] = [];
  for (const c of found.copies) {
    try {
      const result = await restoreFrom(s, c.drive, c.snapshot, [], paths, opts, run);
      const suspects = found.copies.flatMap((x) => x.skipped).filter((id) => id > c.snapshot.id);
      const newest = [...new Set(suspects)].sort().reverse();
      return {
        ...result, ...(newest.length ? { skippedSuspects: newest } : {}),
        fromAny: { drive: c.drive.identity.name, snapshot: c.snapshot.id, why: why(opts.snapshot, found.drives, failed.length), passedOver: [...failed.map(({ code: _, key: _k, ...f }) => f), ...found.without] },
      };
    } catch (e) {
      // An encrypted copy that the key given does not open (or none was given) is passed over
      // like a damaged one: another drive may be plain, or encrypted to the key given. Nothing
      // was written from it (a restore stages everything first).
      if (!isAirgapError(e) || !(COPY_FAILED.has(e.code) || isKeyProblem(e))) throw e;
      failed.push({ drive: c.drive.identity.name, snapshot: c.snapshot.id, reason: e.message, code: e.code, key: isKeyProblem(e) });
      if (isKeyProblem(e)) keyErrors.push(e);
    }
  }

  const reasons = [...failed.map((f) => `drive ${f.drive}, ${f.snapshot}: ${f.reason}`), ...found.without.map((w) => `drive ${w.drive}: ${w.reason}`)].join('; ');
  const hint = 'connect another drive of the rotation (airgap status says where each one is), or name a drive: airgap restore <drive> --salvage takes what survives of a damaged copy';
  const damaged = failed.filter((f) => f.code !== 'not-in-snapshot' && !f.key);
  // No copy was damaged, and a key did not open one: the key error, with its exit code and hint.
  if (damaged.length === 0 && keyErrors.length > 0) throw keyErrors[0];
  if (damaged.length > 0) throw damage('no-usable-copy', `no connected drive has a copy that can be restored: ${reasons}`, hint);
  throw refusal('no-usable-copy', found.drives.length ? `no connected drive of this config has a usable copy${opts.snapshot ? ` of ${opts.snapshot}` : ''}: ${reasons}` : 'no drive of this config is connected', hint);
}

/** Why the copy taken is the one: the rule, the drives looked at, and how many newer copies failed. */
function why(wanted: string | undefined, drives: string[], failed: number): string {
  const rule = wanted === undefined || wanted === 'latest' ? 'the newest copy that is not SUSPECT'
    : /^\d{4}-\d{2}-\d{2}$/.test(wanted) ? `the newest copy from ${wanted} that is not SUSPECT` : `a copy of ${wanted}`;
  const fell = failed ? ` that could be restored; it fell back to it after ${failed === 1 ? 'a newer copy' : `${failed} newer copies`} failed (passed over, below)` : '';
  return `${rule} on the connected drives of this config (${drives.join(', ')})${fell}`;
}

/** Each connected drive of this config's rotation, with the snapshot a restore from it would take; newest first. */
async function findCopies(s: Session, wanted: string | undefined): Promise<Found> {
  const rotation = (await s.configIfReadable())?.drives.rotation ?? [];
  if (!rotation.length) {
    throw refusal('from-any-no-config', '--from-any restores from the drives of this config\'s rotation, and there is none (no config, or no drives in it)',
      'name the drive to restore from: airgap restore <drive> --to <dir>');
  }
  const detection = await detect(s);
  for (const w of detection.warnings) s.log.warn(w);
  const catalog = await s.catalog();
  const out: Found = { copies: [], drives: [], without: [] };
  for (const d of detection.labelled) {
    // This config's drives only: a rotation name, and the id bound to it (never an impostor).
    if (!byDriveName(rotation, d.identity.name) || checkBinding(d.identity, catalog, rotation).status === 'impostor') continue;
    out.drives.push(d.identity.name);
    const drive = await findDrive(s, d.root);
    try {
      out.copies.push({ drive, ...(await chooseSnapshot(s, drive, wanted)) });
    } catch (e) {
      if (!isAirgapError(e)) throw e;
      out.without.push({ drive: d.identity.name, reason: e.message });
    }
  }
  out.copies.sort((a, b) => (a.snapshot.id === b.snapshot.id ? (a.drive.identity.name < b.drive.identity.name ? -1 : 1) : a.snapshot.id > b.snapshot.id ? -1 : 1));
  return out;
}
