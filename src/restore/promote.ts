// Moves a finished staging folder's contents into the target folder. Renames only (same
// filesystem: the staging folder lives inside the target), never following a link that
// already exists in the target: a symlink there is replaced (with --overwrite) or reported,
// never written through. Never removes a folder that holds anything (rmdir, not rm -r: new work
// in a folder where the snapshot has a file is left as it is and reported), and never merges
// into or replaces a folder on another filesystem (a mount point inside the target).
import type { Stats } from 'node:fs';
import { lstat, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGING_NAME } from './extract.js';

export interface PromoteIssue {
  path: string;
  reason: string;
}

export interface PromoteResult {
  /** Entries left as they were in the target, and every staged file or link under them that therefore was not restored. */
  conflicts: PromoteIssue[];
  /** Paths (relative to the target) whose staged contents were not promoted: nothing at or under them is the snapshot's. */
  blocked: string[];
}

/**
 * What promoting an entry onto `dest` (lstat, undefined: absent) would do. Shared by promote and
 * by --dry-run, so that the plan says what the run does. `destIsEmptyFolder` is asked only when
 * a real folder stands where the snapshot has a non-folder.
 */
export type Clash = { action: 'move' | 'merge' | 'replace' } | { action: 'keep'; reason: string };

export async function clash(srcIsDir: boolean, dest: Stats | undefined, targetDev: number, overwrite: boolean, destIsEmptyFolder: () => Promise<boolean>): Promise<Clash> {
  if (!dest) return { action: 'move' };
  // lstat: a symlink's own device is the folder's it sits in; only a real folder can be a mount point.
  if (dest.isDirectory() && dest.dev !== targetDev) return { action: 'keep', reason: 'is a mount point (a folder on another filesystem): never merged into or replaced; left as it was' };
  if (srcIsDir && dest.isDirectory()) return { action: 'merge' };
  if (!overwrite) return { action: 'keep', reason: 'appeared in the target during the restore; left as it was' };
  if (dest.isDirectory() && !(await destIsEmptyFolder())) {
    return { action: 'keep', reason: 'a folder with contents stands where the snapshot has a file or link: never removed to make room; left as it was (move it aside and restore this path again)' };
  }
  return { action: 'replace' };
}

export async function promote(staging: string, target: string, overwrite: boolean): Promise<PromoteResult> {
  const result: PromoteResult = { conflicts: [], blocked: [] };
  const targetDev = (await lstat(target)).dev;
  await promoteLevel(staging, target, overwrite, '', targetDev, result);
  return result;
}

async function promoteLevel(staging: string, target: string, overwrite: boolean, rel: string, targetDev: number, out: PromoteResult): Promise<void> {
  for (const name of (await readdir(join(staging, rel))).sort()) {
    // The staging folder's own marker (restore.ts): airgap's, never a member (those names are refused).
    if (rel === '' && name.startsWith(STAGING_NAME)) continue;
    const r = rel ? `${rel}/${name}` : name;
    const src = join(staging, r);
    const dest = join(target, r);
    const d = await lstat(dest).catch(() => undefined);
    const s = await lstat(src);
    const c = await clash(s.isDirectory(), d, targetDev, overwrite, async () => (await readdir(dest)).length === 0);
    if (c.action === 'move') {
      try {
        await rename(src, dest);
      } catch (e) {
        // Something took the name since the lstat (a folder with contents: ENOTEMPTY/EEXIST, a
        // folder where a file goes: EISDIR): left as it is and named, never a crash mid-promote.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw e;
        await keep(staging, r, 'appeared in the target during the restore; left as it was', s.isDirectory(), out);
      }
    } else if (c.action === 'merge') {
      await promoteLevel(staging, target, overwrite, r, targetDev, out);
    } else if (c.action === 'keep') {
      await keep(staging, r, c.reason, s.isDirectory(), out);
    } else {
      // rename(2) replaces a file or a symlink itself (never what it points to), but cannot put a
      // folder over a non-folder or the reverse: remove the old entry first (never followed).
      // rmdir, never rm -r: a folder that gained contents since the check stays, and is reported.
      try {
        if (d!.isDirectory()) await rmdir(dest);
        else if (s.isDirectory()) await unlink(dest);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EBUSY') throw e;
        await keep(staging, r, code === 'EBUSY' ? 'is in use (a mount point?); left as it was' : 'a folder with contents stands where the snapshot has a file or link: never removed to make room; left as it was', s.isDirectory(), out);
        continue;
      }
      await rename(src, dest);
    }
  }
}

/** Leaves the target's entry alone and names it, and every staged file or link under it (none of them restored). */
async function keep(staging: string, rel: string, reason: string, isDir: boolean, out: PromoteResult): Promise<void> {
  out.conflicts.push({ path: rel, reason });
  out.blocked.push(rel);
  if (!isDir) return;
  const walk = async (r: string) => {
    for (const e of (await readdir(join(staging, r), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = `${r}/${e.name}`;
      if (e.isDirectory()) await walk(p);
      else out.conflicts.push({ path: p, reason: `not restored: it lies under ${rel}, which was left as it was` });
    }
  };
  await walk(rel);
}
