// The tarball's files against snapshot.json before any byte is read: regular files (lstat: a
// link in their place is not followed), of the sizes it gives, in all and part by part.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { SNAPSHOT_JSON, type SnapshotMeta } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import type { Damage } from './file-sums-check.js';

/** The tarball's files must be regular files of the sizes snapshot.json gives; undefined when one is not a file. */
export async function checkSizes(folder: SnapshotFolder, names: string[], meta: SnapshotMeta | undefined, damage: Damage) {
  const paths = names.map((n) => join(folder.dir, n));
  const stats = await Promise.all(paths.map((p) => lstat(p)));
  const odd = stats.findIndex((st) => !st.isFile());
  if (odd >= 0) return void damage('not-a-file', `${names[odd]} is not a regular file`, { file: names[odd] });
  const sizes = stats.map((st) => st.size);
  const label = names.length > 1 ? `the tarball's ${names.length} parts are` : `${names[0]} is`;
  const total = sizes.reduce((a, b) => a + b, 0);
  let sizeWrong = meta !== undefined && total !== meta.tarball.size;
  if (sizeWrong) {
    damage('size-mismatch', `${label} ${total} bytes, expected ${meta!.tarball.size} (${total < meta!.tarball.size ? 'truncated' : 'extra bytes'})`,
      { file: names.length > 1 ? SNAPSHOT_JSON : names[0], expected: String(meta!.tarball.size), actual: String(total) });
  }
  const sizeOf = new Map(names.map((n, i) => [n, sizes[i]!]));
  for (const p of meta?.tarball.parts ?? []) {
    const actual = sizeOf.get(p.name);
    if (actual !== undefined && actual !== p.size) {
      sizeWrong = true;
      damage('size-mismatch', `part ${p.name} is ${actual} bytes, expected ${p.size}`, { file: p.name, expected: String(p.size), actual: String(actual) });
    }
  }
  return { paths, sizes, total, sizeWrong };
}

