// Moves a finished staging folder's contents into the target folder. Renames only (same
// filesystem: the staging folder lives inside the target), never following a link that
// already exists in the target: a symlink there is replaced (with --overwrite) or reported,
// never written through.
import { lstat, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface PromoteResult {
  conflicts: string[];
}

export async function promote(staging: string, target: string, overwrite: boolean, rel = ''): Promise<PromoteResult> {
  const conflicts: string[] = [];
  for (const name of (await readdir(join(staging, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const src = join(staging, r);
    const dest = join(target, r);
    const d = await lstat(dest).catch(() => undefined);
    if (!d) {
      await rename(src, dest);
      continue;
    }
    const s = await lstat(src);
    if (s.isDirectory() && d.isDirectory()) {
      // Both real folders (lstat: a symlink to a folder is not one): merge.
      conflicts.push(...(await promote(staging, target, overwrite, r)).conflicts);
      continue;
    }
    if (!overwrite) {
      conflicts.push(r);
      continue;
    }
    // rename(2) replaces a file or a symlink itself (never what it points to), but cannot put a
    // folder over a non-folder or the reverse: remove the old entry first (never followed).
    if (d.isDirectory()) await rm(dest, { recursive: true, force: true });
    else if (s.isDirectory()) await unlink(dest);
    await rename(src, dest);
  }
  return { conflicts };
}
