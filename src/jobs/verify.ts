// The verify job: every snapshot on a drive (or one) checked against its checksums, and the hash
// chain between them, read-only; what this host remembers of the drive tells pruned from lost.
import { readErrorCount } from '../core/drive-health.js';
import { usageError } from '../core/errors.js';
import { recordReadErrors } from '../state/catalog-health.js';
import type { DriveReport } from '../core/findings.js';
import { failpoint } from '../io/failpoint.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { verifyDrive } from '../verify/verify-drive.js';
import type { VerifiedSnapshot } from '../verify/verify-snapshot.js';
import { findDrive } from './find-drive.js';
import type { Session } from './session.js';
import { gateMark, hostDecisions } from './suspects.js';

export interface VerifyOptions {
  snapshot?: string;
  deep?: boolean;
  /** `--sample` as given: a percent, `5%`, `5` or `0.5%`. */
  sample?: string;
}

/** `--sample`'s value as a percent in (0, 100]; anything else is a usage error. */
export function samplePercent(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(raw.trim());
  const p = m ? Number(m[1]) : NaN;
  if (!(p > 0 && p <= 100)) {
    throw usageError('bad-sample', `--sample ${JSON.stringify(raw)} is not a percentage above 0 and at most 100`, 'e.g. --sample 5% (a random 5 % of the files of each format 2 or 3 snapshot)');
  }
  return p;
}

export type VerifyEvent = { type: 'snapshot'; id: string; index: number; total: number } | { type: 'bytes'; read: number; seconds: number };

export type VerifyResult = DriveReport & { snapshots: VerifiedSnapshot[]; seconds: number };

export async function verify(s: Session, spec: string, opts: VerifyOptions, onEvent?: (e: VerifyEvent) => void): Promise<VerifyResult> {
  if (opts.sample !== undefined && opts.deep) {
    throw usageError('sample-and-deep', '--sample and --deep do not go together: --deep reads every file, --sample a few', 'pick one: --deep for everything, --sample 5% for a quick check of a big drive');
  }
  const sample = opts.sample !== undefined ? samplePercent(opts.sample) : undefined;
  const drive = await findDrive(s, spec);
  if (opts.snapshot) {
    const { snapshots } = await readDriveContents(drive.airgapDir);
    if (!snapshots.some((x) => x.id === opts.snapshot)) {
      throw usageError('unknown-snapshot', `drive ${drive.identity.name} has no snapshot ${opts.snapshot}`, `see \`airgap list ${spec}\``);
    }
  }
  const started = Date.now();
  let read = 0;
  // What this host knows of the drive's past (findDrive has just refreshed it from the drive).
  const catalog = await s.catalog();
  const known = catalog.byId(drive.identity.id);
  const history = known && drive.binding.status !== 'impostor'
    ? { missing: known.missing, prunedAt: (id: string) => known.pruned.find((p) => p.id === id)?.at }
    : undefined;
  const report = await verifyDrive({
    airgapDir: drive.airgapDir, path: drive.root, drive: { id: drive.identity.id, name: drive.identity.name },
    snapshotId: opts.snapshot, deep: opts.deep ?? false, history, ...(sample !== undefined ? { sample } : {}),
    onSnapshot: (id, index, total) => {
      // Read-only, so no crash point: a stop here freezes a verify that is under way (the
      // wizard's type-ahead test types while airgap is busy).
      failpoint('verify:snapshot');
      onEvent?.({ type: 'snapshot', id, index, total });
    },
    onBytes: (n) => {
      read += n;
      onEvent?.({ type: 'bytes', read, seconds: (Date.now() - started) / 1000 });
    },
  });
  const seconds = (Date.now() - started) / 1000;
  // A SUSPECT snapshot verifies like any other (its bytes are what was written), but it may hold
  // a ransomware event's files: said beside its result (issue 17 §1).
  const decisions = await hostDecisions(s);
  for (const r of report.snapshots) {
    const mark = gateMark(r.meta?.gate, drive.identity.id, r.id, decisions);
    if (mark === 'open') r.findings.unshift({ severity: 'note', code: 'suspect', message: 'SUSPECT: mass changes that look like ransomware or a broken sync, not accepted; restore skips it unless named (airgap diff to check it)' });
    if (mark === 'rejected') r.findings.unshift({ severity: 'note', code: 'suspect', message: 'SUSPECT (rejected): kept as evidence of mass changes that look like ransomware or a broken sync; restore skips it unless named' });
  }
  // A sample is weaker than a whole read: a clean one records nothing, since lastVerifiedAt
  // quiets the "verify overdue" alert and verifyOk makes a snapshot the planner's "verified copy".
  // Damage a sample finds is certain: recorded as a failed verification (the status alert, and
  // the next format 2 backup starts a new full rather than build on it).
  const results = report.snapshots.map((x) => ({ id: x.id, ok: x.status === 'ok' })).filter((r) => sample === undefined || !r.ok);
  if (results.length) catalog.recordVerify(drive.identity.id, results, opts.deep ?? false, s.now);
  // Read I/O errors are the drive's health (status alerts them): a count of none is recorded only
  // by a verify that read the whole drive, so that a partial one never quiets an alert.
  const readErrors = readErrorCount([...report.snapshots.flatMap((x) => x.findings), ...(report.driveFindings ?? [])]);
  if (history && (readErrors > 0 || (sample === undefined && !opts.snapshot))) recordReadErrors(catalog, drive.identity.id, { at: s.now.toISOString(), count: readErrors });
  await catalog.save().catch(() => {}); // a read-only home does not stop an offline check
  return { ...report, seconds };
}
