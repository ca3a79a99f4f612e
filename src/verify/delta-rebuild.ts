// A delta'd file of a format 2 snapshot (a large file stored as its changed blocks), read back as a
// restore would build it (layout/delta-file.ts) and hashed: the one check of its blocks, shared by
// `verify --deep` (carried-check.ts) and `verify --sample` (sample-check.ts).
import { isKeyProblem } from '../io/age-feed.js';
import { createHash } from 'node:crypto';
import { DeltaFileError, readDeltaFile } from '../layout/delta-file.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { TarballParts } from '../layout/member-at.js';
import { TarFormatError } from '../layout/tar-reader.js';
import { isStoredDamage } from './stored-damage.js';

/** Why the file does not check out, with the finding's code; undefined when it matches its line's size and SHA-256. */
export async function rebuildProblem(
  e: ManifestEntry, self: string, partsOf: (id: string) => Promise<TarballParts | undefined>, onBytes?: (n: number) => void,
): Promise<{ code: 'member-damaged' | 'member-unreadable'; message: string; /** Rebuilt whole, and not its line's content. */ mismatch?: true } | undefined> {
  const ids = [...new Set([e.in ?? self, ...(e.delta ?? []).map((l) => l.in ?? self)])];
  const parts = new Map<string, TarballParts | undefined>();
  for (const id of ids) parts.set(id, await partsOf(id));
  const hash = createHash('sha256');
  let size = 0;
  try {
    await readDeltaFile(e, self, (id) => {
      const p = parts.get(id);
      if (!p) throw new DeltaFileError(`the tarball of snapshot ${id} cannot be read at an offset (missing, or its snapshot.json is unusable)`, id, 0);
      return p;
    }, (chunk) => {
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(chunk.length);
    });
  } catch (err) {
    if (isKeyProblem(err)) throw err;
    if (err instanceof DeltaFileError || err instanceof TarFormatError || isStoredDamage(err)) return { code: 'member-damaged', message: `its changed blocks cannot be laid over its copy in snapshot ${e.in}: ${err.message}` };
    return { code: 'member-unreadable', message: `cannot be rebuilt from its chain: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (size !== e.size || hash.digest('hex') !== e.sha256) return { code: 'member-damaged', message: `rebuilt from its copy in snapshot ${e.in} and its changed blocks, its content does not match its SHA-256`, mismatch: true };
  return undefined;
}
