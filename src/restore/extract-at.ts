// Format 2: a few named files restored by reading only their members (issue 16: one file out of
// a huge snapshot in well under a second, not a read of every tarball of its chain). The
// manifest, authenticated by SHA256SUMS, says which tarball holds each file and at which offset;
// layout/member-at.ts reads exactly that member, refusing an offset where none starts; the
// member then goes through the same steps as in a whole read (admit-member.ts: the path rules
// and that the manifest places this member here; extract-file.ts: written O_EXCL|O_NOFOLLOW,
// kept only if its SHA-256 and size are the manifest's).
import { AgeDamagedError } from '../crypto/age-errors.js';
import { AirgapError } from '../core/errors.js';
import { readMemberAt, type TarballParts } from '../layout/member-at.js';
import { TarFormatError } from '../layout/tar-reader.js';
import { isStoredDamage } from '../verify/stored-damage.js';
import { memberHandlers } from './extract-entry.js';
import { abandonFile } from './extract-file.js';
import { createLinks } from './extract-links.js';
import { ExtractState } from './extract-state.js';
import type { ExtractOptions, ExtractReport, FolderAttrs } from './extract-types.js';
import type { ManifestIndex } from './manifest-index.js';
import { accountForMissing } from './missing-members.js';
import { sourceOf } from './chain-links.js';
import { extractDeltaRows } from './extract-delta.js';

/** Up to this many files, named one by one, are read at their offsets; more are read as whole tarballs. */
export const MAX_FILES_AT_OFFSETS = 1000;

/**
 * The rows to read at their offsets, when a restore may: a format 2 manifest, a selection of at
 * most MAX_FILES_AT_OFFSETS regular files and hard links (no folder: its tree may be large), and
 * for each tarball concerned the size of its parts. Undefined: read the tarballs whole.
 */
export function rowsAtOffsets(manifest: ManifestIndex, rows: number[], partsOf: (snapshot: string) => TarballParts | undefined, self: string): number[] | undefined {
  if (!manifest.hasLocations || rows.length === 0 || rows.length > MAX_FILES_AT_OFFSETS) return undefined;
  for (const i of rows) {
    const t = manifest.type(i);
    if ((t !== 'file' && t !== 'hardlink') || manifest.offset(i) === undefined || !partsOf(sourceOf(manifest, i, self))) return undefined;
    if (manifest.delta(i)?.links.some((l) => !partsOf(l.in ?? self))) return undefined;
  }
  return rows;
}

/** Reads each row's member at its offset into the staging folder (opts.tarballs: the tarballs concerned, oldest first). */
export async function extractAtOffsets(opts: ExtractOptions, rows: number[], partsOf: (snapshot: string) => TarballParts): Promise<{ report: ExtractReport; folders: FolderAttrs[] }> {
  const state = new ExtractState(opts);
  const { manifest } = opts;
  const handlers = memberHandlers(state);
  for (const t of opts.tarballs) {
    state.pass = t;
    const here = rows.filter((i) => !manifest.delta(i) && sourceOf(manifest, i, opts.snapshot) === t.snapshot).sort((a, b) => manifest.offset(a)! - manifest.offset(b)!);
    for (const i of here) {
      const at = manifest.offset(i)!;
      try {
        await readMemberAt(partsOf(t.snapshot), at, handlers.data, handlers.entry);
        handlers.entryEnd();
      } catch (e) {
        // Ctrl+C (from onFile) and a missing or wrong key are never damage; a failed age chunk or gzip block is.
        if (e instanceof AirgapError && !(e instanceof AgeDamagedError)) throw e;
        const why = e instanceof TarFormatError || isStoredDamage(e) ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        const reason = `cannot be read at byte ${at} of the tarball of ${t.snapshot}: ${why}`;
        abandonFile(state, reason);
        // A file already accounted for (half-written above, refused, damaged) is not named twice.
        if (!state.seenRows[i]) {
          state.seenRows[i] = 1;
          state.report.damaged.push({ path: manifest.path(i), reason });
        }
      }
    }
  }
  await extractDeltaRows(state, rows);
  await createLinks(state);
  accountForMissing(state);
  return { report: state.report, folders: state.folders };
}
