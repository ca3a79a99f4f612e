// A snapshot's tarball as layout/member-at.ts reads it (its files, and the size of every part but
// the last), from its snapshot.json: what verify needs to rebuild a delta'd file from the tarballs
// of its chain. The part names are made from the id, never taken from the drive's JSON.
import { join } from 'node:path';
import { gzipIndexName, isCompressedFormat, partName, tarballName } from '../layout/format.js';
import type { TarballParts } from '../layout/member-at.js';
import { readSnapshotMeta } from '../layout/snapshot-meta.js';

/** Undefined when snapshot.json does not read, or its parts are not all one size (no offset can be placed then). */
export async function tarballPartsOf(dir: string, id: string): Promise<TarballParts | undefined> {
  const meta = await readSnapshotMeta({ id, dir }).catch(() => undefined);
  if (!meta) return undefined;
  const parts = meta.tarball.parts;
  // An encrypted tarball's parts are one age file, read by plaintext offset: any sizes do.
  const encrypted = meta.encryption !== undefined;
  // Format 3: read through its index, by the parts' real sizes (any sizes do).
  if (isCompressedFormat(meta.formatVersion)) {
    const files = !parts || parts.length === 0 ? [tarballName(id, encrypted, true)] : parts.map((_, i) => partName(id, i, encrypted, true));
    return { files: files.map((f) => join(dir, f)), ...(encrypted ? { encrypted } : {}), gzip: { index: join(dir, gzipIndexName(id, encrypted)) } };
  }
  if (!parts || parts.length === 0) return { files: [join(dir, tarballName(id, encrypted))], ...(encrypted ? { encrypted } : {}) };
  if (encrypted) return { files: parts.map((_, i) => join(dir, partName(id, i, true))), encrypted };
  if (!parts.slice(0, -1).every((p) => p.size === parts[0]!.size)) return undefined;
  return { files: parts.map((_, i) => join(dir, partName(id, i))), ...(parts.length > 1 ? { partSize: parts[0]!.size } : {}) };
}
