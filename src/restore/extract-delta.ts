// Format 2: the delta'd files of a restore (large files changed in place, stored as their changed
// blocks: core/block-delta.ts). The tarball walks skip them and their `.airgap-delta` members
// (admit-member.ts); each is then built here, from the drive alone, by layout/delta-file.ts
// (its base member with every link's blocks laid over it, each member found at its offset and
// checked by name and size), and goes through the same steps as any member: the path rules,
// O_EXCL|O_NOFOLLOW, and kept only if its SHA-256 and size are the manifest's.
import { AgeDamagedError } from '../crypto/age-errors.js';
import { AirgapError } from '../core/errors.js';
import { DeltaFileError, readDeltaFile } from '../layout/delta-file.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { TarFormatError } from '../layout/tar-reader.js';
import { isStoredDamage } from '../verify/stored-damage.js';
import { memberHandlers } from './extract-entry.js';
import { abandonFile } from './extract-file.js';
import type { ExtractState } from './extract-state.js';

/** Builds each selected delta'd row (of `rows`, or every one) into the staging folder. */
export async function extractDeltaRows(state: ExtractState, rows?: readonly number[]): Promise<void> {
  const { manifest, select, partsOf, snapshot, tarballs } = state.opts;
  const handlers = memberHandlers(state);
  const todo = (rows ?? manifest.deltaRows()).filter((i) => manifest.delta(i) && (!select || select(manifest.path(i))));
  if (todo.length === 0) return;
  state.deltaStep = true;
  try {
    for (const i of todo) {
      const d = manifest.delta(i)!;
      const path = manifest.path(i);
      const base = manifest.in(i) ?? snapshot;
      const line: ManifestEntry = {
        type: 'file', path, mode: d.mode, uid: d.uid, gid: d.gid, size: manifest.size(i), mtime: d.mtime,
        sha256: manifest.sha256(i)!, offset: manifest.offset(i)!, delta: d.links, ...(manifest.in(i) !== undefined ? { in: base } : {}),
      };
      // admit-member.ts takes a member from the tarball the manifest places it in: the base's.
      state.pass = tarballs.find((t) => t.snapshot === base) ?? { snapshot: base, own: base === snapshot, tarPaths: [] };
      try {
        const parts = (id: string) => {
          const p = partsOf?.(id);
          if (!p) throw new DeltaFileError(`the tarball of snapshot ${id} cannot be read at an offset (its parts are not all one size, or its snapshot.json is unusable)`, id, 0);
          return p;
        };
        handlers.entry({ path, type: 'File', size: line.size, mode: d.mode, uid: d.uid, gid: d.gid, mtime: d.mtime, offset: line.offset! });
        await readDeltaFile(line, snapshot, parts, (chunk) => handlers.data(chunk));
        handlers.entryEnd();
      } catch (e) {
        // Ctrl+C (from onFile) and a missing or wrong key are never damage; a failed age chunk or gzip block is.
        if (e instanceof AirgapError && !(e instanceof AgeDamagedError)) throw e;
        const why = e instanceof DeltaFileError || e instanceof TarFormatError || isStoredDamage(e) ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        const reason = `its changed blocks cannot be laid over its copy in snapshot ${base}: ${why}`;
        abandonFile(state, reason);
        if (!state.seenRows[i]) {
          state.seenRows[i] = 1;
          state.report.damaged.push({ path, reason });
        }
      }
    }
  } finally {
    state.deltaStep = false;
  }
}
