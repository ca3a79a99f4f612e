// What is already in the target, looked at before anything is written: the paths the snapshot
// would replace (the collisions: refused without --overwrite, by name, before any tarball byte
// is read; listed in a dry run's plan), and what promote would leave as it is.
import { lstatSync, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestIndex } from './manifest-index.js';
import { clash } from './promote.js';

/** What the restore would replace in a non-empty target: the first `cap` paths (in manifest order) and how many in all. */
export interface Collisions {
  paths: string[];
  count: number;
}

/**
 * The selected paths that collide with something already in the target: a file, link or hard
 * link of the snapshot where anything stands, and a folder of the snapshot where a non-folder
 * stands (a file, or a symlink: never followed, even to a folder). A folder that exists as a
 * real folder is merged into, not a collision. Each path's parents are looked at from the top,
 * so that nothing is looked at through a link or under a collision.
 */
export function findCollisions(target: string, manifest: ManifestIndex, wanted: number[], cap = 50): Collisions {
  const verdict = new Map<string, boolean>(); // per path looked at: whatever is below it may exist (a real folder)
  const out: Collisions = { paths: [], count: 0 };
  for (const i of wanted) {
    const parts = manifest.path(i).split('/');
    for (let k = 1; k <= parts.length; k++) {
      const rel = k === parts.length ? manifest.path(i) : parts.slice(0, k).join('/');
      let below = verdict.get(rel);
      if (below === undefined) {
        const st = lstatOrUndefined(join(target, rel));
        below = st !== undefined && st.isDirectory() && (k < parts.length || manifest.type(i) === 'dir');
        if (st && !below) {
          out.count++;
          if (out.paths.length < cap) out.paths.push(rel);
        }
        verdict.set(rel, below);
      }
      if (!below) break;
    }
  }
  return out;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined; // absent: nothing at or under it
  }
}

/**
 * For --dry-run: what promote would leave as it is (a folder with contents where the snapshot
 * has a file, a mount point), by the same rule (clash). Walks each selected path's parents from
 * the top, so that nothing is looked at through a link or a folder that would be replaced.
 */
export async function planBlocked(target: string, targetDev: number, manifest: ManifestIndex, wanted: number[], overwrite: boolean): Promise<{ path: string; reason: string }[]> {
  const verdict = new Map<string, 'stop' | 'merge'>(); // per path: look below it ('merge') or not
  const blocked: { path: string; reason: string }[] = [];
  const visit = async (rel: string, isDir: boolean): Promise<void> => {
    if (verdict.has(rel)) return;
    const abs = join(target, rel);
    const c = await clash(isDir, await lstat(abs).catch(() => undefined), targetDev, overwrite, async () => (await readdir(abs)).length === 0);
    if (c.action === 'keep') blocked.push({ path: rel, reason: c.reason });
    verdict.set(rel, c.action === 'merge' ? 'merge' : 'stop');
  };
  for (const i of wanted) {
    const parts = manifest.path(i).split('/');
    let under = true;
    for (let k = 1; k <= parts.length && under; k++) {
      const rel = parts.slice(0, k).join('/');
      await visit(rel, k < parts.length || manifest.type(i) === 'dir');
      under = verdict.get(rel) === 'merge';
    }
  }
  return blocked;
}
