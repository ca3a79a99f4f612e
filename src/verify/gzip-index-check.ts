// Plain verify's part for a format 3 snapshot (docs/FORMAT.md "Format 3"): which snapshot is one
// (by SHA256SUMS's names: `<ID>.tar.gz` or its parts), and its index `<ID>.tar.gz.idx`, which
// places every tar offset in the stored stream. SHA256SUMS must list it and it must match (the
// common checks of listed files say so); snapshot.json must name it; a plain one is parsed here
// (it is small: ~35 bytes a MiB of tar), strictly, against the tarball's real stored size and
// snapshot.json's tar size, so that a forged and re-signed index is named as what it is. An
// encrypted one needs the key: its readers parse it (a failure there is damage of the members).
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileTooLargeError, readRegularFile } from '../io/read-regular.js';
import { gzipIndexName, SNAPSHOT_JSON, tarballFiles, type SnapshotMeta } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { GzipIndexError, MAX_INDEX_BYTES, parseGzipIndex } from '../layout/gzip-index.js';
import type { Damage } from './file-sums-check.js';
import type { GzipBlockIndex } from '../io/gzip-blocks.js';
import { openGzipTarball } from '../layout/tar-gzip.js';
import { isStoredDamage } from './stored-damage.js';
import { isSealed } from './sealed-snapshot.js';

/** Format 3, by the names SHA256SUMS gives: it lists `<ID>.tar.gz` (or its parts; `.age` when encrypted). */
export const isCompressedListing = (id: string, listed: Map<string, string>): boolean => tarballFiles(id, listed.keys(), isSealed(listed), true).length > 0;

/**
 * The index of a format 3 snapshot's tarball (`matched`: the listed files that matched their
 * SHA-256). Whether members may be read through it: listed, matching, named by snapshot.json,
 * and (plain) a sound index of exactly this tarball.
 */
export async function checkIndex(
  folder: SnapshotFolder, tarNames: string[], present: Set<string>, matched: Set<string>, meta: SnapshotMeta | undefined, sealed: boolean, damage: Damage,
): Promise<boolean> {
  const name = gzipIndexName(folder.id, sealed);
  const named = meta?.tarball.gzip?.index;
  if (named !== undefined && named !== name) {
    damage('meta-mismatch', `${SNAPSHOT_JSON} names the tarball's index ${JSON.stringify(named)}, not ${name}`, { file: SNAPSHOT_JSON });
    return false;
  }
  // Not listed, missing, or not matching its SHA-256: already named damage by the checks of the listed files.
  if (!matched.has(name)) return false;
  if (sealed) return true;
  if (tarNames.length === 0 || tarNames.some((n) => !present.has(n))) return false; // the tarball's own damage says enough
  const stats = await Promise.all(tarNames.map((n) => lstat(join(folder.dir, n)).catch(() => undefined)));
  if (stats.some((st) => !st?.isFile())) return false;
  const storedSize = stats.reduce((n, st) => n + st!.size, 0);
  try {
    const index = parseGzipIndex((await readRegularFile(join(folder.dir, name), { maxBytes: MAX_INDEX_BYTES })).toString('utf8'), storedSize);
    const tarSize = meta?.tarball.gzip?.tarSize;
    if (tarSize !== undefined && index.uncompressedSize !== tarSize) {
      damage('index-invalid', `${name} gives the tar ${index.uncompressedSize} bytes, ${SNAPSHOT_JSON} ${tarSize}`, { file: name });
      return false;
    }
    return true;
  } catch (e) {
    if (e instanceof GzipIndexError) damage('index-invalid', `${name} is not an index of this tarball: ${e.message}`, { file: name });
    else if (e instanceof FileTooLargeError) damage('too-large', `${name} is over the ${MAX_INDEX_BYTES} bytes an index may be: damaged or forged (not read)`, { file: name });
    else damage('unreadable', `${name} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: name });
    return false;
  }
}

/**
 * `verify --deep`: the index the walk cuts the stream by (verify/gzip-walk.ts), when it checked
 * out; an encrypted one is decrypted and parsed now (deep has the key), and one that does not is
 * named damage (the walk then gunzips the stream whole).
 */
export async function indexForWalk(folder: SnapshotFolder, paths: string[], sealed: boolean, checked: boolean, damage: Damage): Promise<GzipBlockIndex | undefined> {
  if (!checked) return undefined;
  const name = gzipIndexName(folder.id, sealed);
  try {
    const g = await openGzipTarball({ files: paths, ...(sealed ? { encrypted: true } : {}), gzip: { index: join(folder.dir, name) } });
    await g.close();
    return g.index;
  } catch (e) {
    if (!isStoredDamage(e)) throw e; // a wrong key, a read error: as for the tarball itself
    damage('index-invalid', `${name} cannot be used: ${e.message}`, { file: name });
    return undefined;
  }
}
