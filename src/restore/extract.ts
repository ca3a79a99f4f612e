// Extracts a verified tarball into an empty staging folder, member by member, with our own
// writer instead of node-tar's (measured: node-tar rewrites absolute symlink targets, drops
// links that point outside the tree, and its pax parser loses names with a newline). Every
// path is checked before anything is created; files are created O_EXCL|O_NOFOLLOW and hashed as
// written; hard links and symlinks come last, so nothing is ever written through a link.
// Format 2 reads the tarballs of the snapshot's chain, oldest first, into the one staging
// folder, taking from each only the members the snapshot's manifest places there.
//
// The steps, one file each: admit-member.ts (the path rules, and which tarball a member is
// taken from), extract-entry.ts (each member by type), extract-file.ts (a regular file's
// content), read-tarball.ts (the bytes, part after part, and where they break), extract-at.ts
// (format 2: a few files read at their offsets), extract-links.ts (links last),
// missing-members.ts (what the archive did not hold); extract-state.ts is what they share.
import { extractDeltaRows } from './extract-delta.js';
import { TarReader } from '../layout/tar-reader.js';
import { memberHandlers } from './extract-entry.js';
import { abandonFile } from './extract-file.js';
import { createLinks } from './extract-links.js';
import { ExtractState } from './extract-state.js';
import type { BrokenAt, ExtractOptions, ExtractReport, FolderAttrs } from './extract-types.js';
import { accountForMissing } from './missing-members.js';
import { readTarball } from './read-tarball.js';

export { STAGING_NAME, type ExtractOptions, type ExtractReport, type FolderAttrs, type Issue, type TarballSource } from './extract-types.js';

/** Extracts into the staging folder: what happened (the report), and the folders' attributes to apply last. */
export async function extractArchive(opts: ExtractOptions): Promise<{ report: ExtractReport; folders: FolderAttrs[] }> {
  const state = new ExtractState(opts);
  const located = opts.manifest.hasLocations;
  for (const t of opts.tarballs) {
    state.pass = located ? t : undefined;
    const reader = new TarReader(memberHandlers(state));
    const read: { brokenAt?: BrokenAt } = {};
    try {
      await readTarball(t, opts.hasher, reader, read);
    } finally {
      abandonFile(state);
    }
    if (read.brokenAt) noteBreak(state, read.brokenAt, located ? t.snapshot : undefined);
    if (read.brokenAt?.notAsWritten) (state.report.notAsWritten ??= []).push(t.snapshot);
  }
  if (located) await extractDeltaRows(state);
  await createLinks(state);
  accountForMissing(state);
  return { report: state.report, folders: state.folders };
}

/** A tarball that broke off: the report names the first (format 2: with its snapshot), the accounting every one. */
export function noteBreak(state: ExtractState, b: BrokenAt, snapshot: string | undefined): void {
  if (snapshot === undefined) {
    state.report.brokenAt ??= b;
    return;
  }
  state.breaks.set(snapshot, b);
  state.report.brokenAt ??= { ...b, snapshot };
}
