// Folder modes and mtimes are applied last, once everything is promoted (creating a folder's
// contents would change its mtime, and a read-only mode would stop them being created).
import { chmodSync, lstatSync, utimesSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderAttrs } from './extract-types.js';

/** Applies the folders' modes and mtimes in the target; `blocked`: paths promote left as they were. */
export async function applyFolderAttrs(target: string, folders: FolderAttrs[], blocked: string[]): Promise<void> {
  // Folder modes and mtimes last, deepest first, only where every component of the path is a
  // real folder on the target's filesystem: a link planted in the target is never followed,
  // and a folder left as it was (a mount point, say) is not ours to change.
  const isRealFolder = realFolderChecker(target, (await lstat(target)).dev);
  const isBlocked = (p: string) => blocked.some((b) => p === b || p.startsWith(b + '/'));
  for (const d of folders.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
    const p = join(target, d.path);
    if (isRealFolder(d.path) && !isBlocked(d.path)) {
      chmodSync(p, d.mode);
      utimesSync(p, d.mtime, d.mtime);
    }
  }
}

/**
 * Whether every component of `rel` under `root` is a real folder (lstat: a symlink is not one).
 * Synchronous and memoised per folder: one lstat per folder, not one per path component (a
 * deep tree of thousands of folders otherwise costs tens of thousands of round trips).
 */
function realFolderChecker(root: string, dev: number): (rel: string) => boolean {
  const known = new Map<string, boolean>();
  const check = (rel: string): boolean => {
    let ok = known.get(rel);
    if (ok !== undefined) return ok;
    const slash = rel.lastIndexOf('/');
    const st = slash < 0 || check(rel.slice(0, slash)) ? lstatSync(join(root, rel), { throwIfNoEntry: false }) : undefined;
    ok = (st?.isDirectory() ?? false) && st!.dev === dev;
    known.set(rel, ok);
    return ok;
  };
  return (rel) => {
    try {
      return check(rel);
    } catch {
      return false; // ENOTDIR, EACCES…: not a folder chain we may touch
    }
  };
}
