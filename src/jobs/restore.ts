// The restore job: a snapshot (or paths in it) verified, extracted into a staging folder inside
// the target, checked file by file and promoted only when complete (restore/restore.ts). Every
// file asked for is accounted for in the result; a clean restore counts as a restore drill.
// `--from-any` (restore-any.ts) takes the drive itself, among the connected ones.
import { resolve } from 'node:path';
import { usageError } from '../core/errors.js';
import { chooseRestoreSnapshot } from '../core/restore-choice.js';
import { suspectSnapshots } from './suspects.js';
import { readDriveContents, type SnapshotFolder } from '../layout/drive-contents.js';
import { restoreSnapshot, type RestoreResult } from '../restore/restore.js';
import { failpoint } from '../io/failpoint.js';
import { findDrive } from './find-drive.js';
import type { Session } from './session.js';

export interface RestoreOptions {
  snapshot?: string;
  to?: string;
  overwrite?: boolean;
  salvage?: boolean;
  dryRun?: boolean;
  keepSpecialBits?: boolean;
  owners?: boolean;
  /** No drive named: the newest good copy among the connected drives of this config (restore-any.ts). */
  fromAny?: boolean;
}

export interface RestoreRun {
  signal?: AbortSignal;
  /** The snapshot is chosen; its verification starts. */
  onStart?: (snapshot: string, drive: string) => void;
  onFile?: (files: number, bytes: number, snapshot: string) => void;
}

/** --from-any: which drive and snapshot were taken, why, and the copies passed over before it. */
export interface FromAnyChoice {
  drive: string;
  snapshot: string;
  why: string;
  /** Copies tried or considered before the one taken (newest first), each with the reason. */
  passedOver: { drive: string; snapshot?: string; reason: string }[];
}

export type RestoreJobResult = RestoreResult & {
  /** Every file asked for came back (or, for a dry run, would come back) as it was. */
  ok: boolean;
  drive: string;
  /** Newer snapshots passed over because they are SUSPECT (no --snapshot, latest or a day), newest first. */
  skippedSuspects?: string[];
  fromAny?: FromAnyChoice;
};

/** A drive as the restore needs it. */
export interface RestoreDrive {
  root: string;
  airgapDir: string;
  identity: { id: string; name: string };
}

export async function restore(s: Session, spec: string, paths: string[], opts: RestoreOptions, run: RestoreRun = {}): Promise<RestoreJobResult> {
  checkRestoreFlags(opts);
  const drive = await findDrive(s, spec);
  const { snapshot, skipped } = await chooseSnapshot(s, drive, opts.snapshot);
  return restoreFrom(s, drive, snapshot, skipped, paths, opts, run);
}

/** Flags checked before any drive is looked at. */
export function checkRestoreFlags(opts: RestoreOptions): void {
  if (!opts.to) throw usageError('no-target', 'where to? --to <dir> is required', 'e.g. --to ~/restored (a new folder, or one of yours: nothing in it is replaced without --overwrite)');
  if (opts.owners && process.getuid?.() !== 0) throw usageError('owners-need-root', '--owners restores file owners, which only root can do', 'run as root, or leave --owners out (files will belong to you)');
}

/** Restores the chosen snapshot of `drive`; a clean restore is recorded as the drive's restore drill. */
export async function restoreFrom(s: Session, drive: RestoreDrive, snapshot: SnapshotFolder, skipped: string[], paths: string[], opts: RestoreOptions, run: RestoreRun): Promise<RestoreJobResult> {
  run.onStart?.(snapshot.id, drive.identity.name);
  let n = 0;
  let b = 0;
  const result = await restoreSnapshot({
    snapshot, target: resolve(opts.to!), paths, overwrite: opts.overwrite ?? false, salvage: opts.salvage ?? false, dryRun: opts.dryRun ?? false,
    keepSpecialBits: opts.keepSpecialBits ?? false, owners: opts.owners ?? false, driveName: drive.identity.name, driveRoot: drive.root, signal: run.signal,
    onFile: (_p, size) => {
      failpoint('restore:file');
      n++;
      b += size;
      run.onFile?.(n, b, snapshot.id);
    },
  });
  const r = result.report;
  // Anything damaged, refused, left as it was in the target or missing from the archive is not
  // "restored", nor is a dry run that would leave something in the target as it is.
  const bad = r ? r.damaged.length + r.refused.length + r.kept.length + r.missing.length + (r.brokenAt ? 1 : 0) : (result.planned?.blocked.length ?? 0);
  if (r && bad === 0) {
    const catalog = await s.catalog();
    catalog.recordRestoreDrill(drive.identity.id, s.now);
    await catalog.save().catch(() => {});
  }
  return { ok: bad === 0, drive: drive.identity.name, ...result, report: r, ...(skipped.length ? { skippedSuspects: skipped } : {}) };
}

/** The snapshot to restore (core/restore-choice.ts), and the newer SUSPECT ones it passed over. */
export async function chooseSnapshot(s: Session, drive: RestoreDrive, wanted: string | undefined): Promise<{ snapshot: SnapshotFolder; skipped: string[] }> {
  const { snapshots } = await readDriveContents(drive.airgapDir);
  const named = wanted !== undefined && snapshots.some((x) => x.id === wanted);
  const suspect = named ? new Map<string, unknown>() : await suspectSnapshots(s, drive.identity.id, snapshots);
  const candidates = snapshots.map((x) => ({ id: x.id, complete: x.complete, suspect: suspect.has(x.id) }));
  const choice = chooseRestoreSnapshot(candidates, wanted, drive.identity.name);
  if (!choice.ok) throw usageError(choice.code, choice.message, choice.hint);
  return { snapshot: snapshots.find((x) => x.id === choice.id)!, skipped: choice.skipped };
}
