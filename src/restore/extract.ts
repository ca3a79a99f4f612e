// Extracts a verified tarball into an empty staging folder, member by member, with our own
// writer instead of node-tar's (measured: node-tar rewrites absolute symlink targets, drops
// links that point outside the tree, and its pax parser loses names with a newline). Every
// path is checked before anything is created; files are created O_EXCL|O_NOFOLLOW and hashed as
// written; hard links and symlinks come last, so nothing is ever written through a link.
//
// The steps, one file each: admit-member.ts (the path rules), extract-entry.ts (each member by
// type), extract-file.ts (a regular file's content), read-tarball.ts (the bytes, part after
// part, and where they break), extract-links.ts (links last), missing-members.ts (what the
// archive did not hold); extract-state.ts is what they share.
import { TarReader } from '../layout/tar-reader.js';
import { memberHandlers } from './extract-entry.js';
import { abandonFile } from './extract-file.js';
import { createLinks } from './extract-links.js';
import { ExtractState } from './extract-state.js';
import type { ExtractOptions, ExtractReport, FolderAttrs } from './extract-types.js';
import { accountForMissing } from './missing-members.js';
import { readTarball } from './read-tarball.js';

export { STAGING_NAME, type ExtractOptions, type ExtractReport, type FolderAttrs, type Issue } from './extract-types.js';

/** Extracts into the staging folder: what happened (the report), and the folders' attributes to apply last. */
export async function extractArchive(opts: ExtractOptions): Promise<{ report: ExtractReport; folders: FolderAttrs[] }> {
  const state = new ExtractState(opts);
  const reader = new TarReader(memberHandlers(state));
  try {
    await readTarball(opts, reader, state.report);
  } finally {
    abandonFile(state);
  }
  await createLinks(state);
  accountForMissing(state);
  return { report: state.report, folders: state.folders };
}
