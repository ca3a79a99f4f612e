// Hard links and symlinks are created after every file is in place, so that nothing is ever
// written through a link: a later member can neither land inside a symlinked folder nor
// overwrite a file through a hard link.
import { link, lutimes, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { symlinkStaysInside } from '../core/member-path.js';
import type { ExtractState } from './extract-state.js';

export async function createLinks(state: ExtractState): Promise<void> {
  const { opts, report } = state;
  // Hard links only to files restored intact in this run.
  for (const l of state.links) {
    if (!state.restoredFiles.has(l.target)) {
      report.damaged.push({ path: l.path, reason: `hard link to ${l.target}, which was not restored` });
      continue;
    }
    try {
      state.ensureParent(l.path);
      await link(join(opts.staging, l.target), join(opts.staging, l.path));
    } catch (err) {
      state.refuse(l.path, `cannot create the hard link: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    report.hardlinks++;
  }
  // Symlinks last, verbatim (absolute and outside targets included), never followed.
  for (const s of state.symlinks) {
    try {
      state.ensureParent(s.path);
      await symlink(s.target, join(opts.staging, s.path));
    } catch (e) {
      state.refuse(s.path, `cannot create the symlink: ${(e as NodeJS.ErrnoException).code}`);
      continue;
    }
    await lutimes(join(opts.staging, s.path), s.entry.mtime, s.entry.mtime).catch(() => {});
    report.symlinks++;
    if (!symlinkStaysInside(s.path, s.target)) report.outsideLinks.push({ path: s.path, target: s.target });
  }
}
