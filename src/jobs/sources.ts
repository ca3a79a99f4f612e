// The sources of a backup or a diff: one top-level folder in the tarball per source folder.
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { usageError } from '../core/errors.js';
import type { SourceRoot } from '../snapshot/scan.js';
import { DELTA_DIR } from '../layout/delta-file.js';

/** One top-level folder per source, named after it; clashes get -2, -3, ... */
export async function sourceRoots(sources: string[]): Promise<SourceRoot[]> {
  // `.airgap-delta` holds format 2's changed blocks in a tarball (docs/FORMAT.md): never a source's name.
  const used = new Set<string>([DELTA_DIR]);
  const roots: SourceRoot[] = [];
  for (const s of sources) {
    const path = resolve(s);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('bad-source', `source ${path} does not exist or is not a folder`, 'check the path given with --source or in the config');
    const base = basename(path) || 'root';
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    roots.push({ path, root: name });
  }
  return roots;
}

