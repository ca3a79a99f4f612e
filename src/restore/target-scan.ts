// What is already in the target, looked at before anything is written: the paths the snapshot
// would replace (named when refusing a non-empty target, or in a dry run's plan), and what
// promote would leave as it is.
import { lstatSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestIndex } from './manifest-index.js';
import { clash } from './promote.js';

/** Up to 50 of the selected non-folder paths that already exist in the target. */
export function findConflicts(target: string, manifest: ManifestIndex, wanted: number[]): string[] {
  const out: string[] = [];
  for (const i of wanted) {
    if (manifest.type(i) === 'dir') continue;
    try {
      lstatSync(join(target, manifest.path(i)));
      out.push(manifest.path(i));
    } catch {
      // absent (or under a non-folder): no conflict at this path
    }
    if (out.length >= 50) break;
  }
  return out;
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
