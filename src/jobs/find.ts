// The find job: which snapshots on a drive hold files matching a pattern, from their manifests.
// A manifest that cannot be read is named in the result: "no match" must not be trusted then.
import { usageError } from '../core/errors.js';
import { quoteShort } from '../core/quote.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { findInSnapshots, matcher, type FoundFile, type UnreadableManifest } from '../restore/find.js';
import { findDrive } from './find-drive.js';
import type { Session } from './session.js';
import { suspectSnapshots } from './suspects.js';

export interface FindResult {
  drive: string;
  pattern: string;
  /** The snapshots searched, newest first. */
  searched: string[];
  allSnapshots: boolean;
  found: FoundFile[];
  truncated: boolean;
  /** Snapshots whose MANIFEST.tsv could not be read (ids); `problems` says why. */
  unreadable: string[];
  problems: UnreadableManifest[];
  /** The searched snapshots that are SUSPECT (jobs/suspects.ts): their files may be a ransomware event's. */
  suspect: string[];
  /** Those of `suspect` that their owner rejected as evidence (airgap reject): the question is answered. */
  rejected?: string[];
}

export async function find(s: Session, spec: string, pattern: string, opts: { allSnapshots?: boolean }): Promise<FindResult> {
  try {
    matcher(pattern);
  } catch (e) {
    // picomatch throws on patterns it cannot compile (too long, ...): a usage error, not a crash.
    throw usageError('bad-pattern', `the pattern ${quoteShort(pattern)} is not a valid glob pattern: ${(e as Error).message}`, 'e.g. airgap find A "*.pdf" or "Documents/**/report*"');
  }
  const drive = await findDrive(s, spec);
  const { snapshots } = await readDriveContents(drive.airgapDir);
  const complete = snapshots.filter((x) => x.complete);
  const chosen = opts.allSnapshots ? [...complete].reverse() : complete.slice(-1);
  const { found, truncated, unreadable } = await findInSnapshots(chosen, pattern);
  const suspect = await suspectSnapshots(s, drive.identity.id, chosen);
  const rejected = chosen.map((x) => x.id).filter((id) => suspect.get(id) === 'rejected');
  return {
    drive: drive.identity.name, pattern, searched: chosen.map((x) => x.id), allSnapshots: opts.allSnapshots ?? false,
    found, truncated, unreadable: unreadable.map((u) => u.snapshot), problems: unreadable, suspect: chosen.map((x) => x.id).filter((id) => suspect.has(id)),
    ...(rejected.length ? { rejected } : {}),
  };
}
