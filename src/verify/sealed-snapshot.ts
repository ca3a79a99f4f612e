// verify's part for an encrypted snapshot (docs/FORMAT.md "Encrypted drives"): which snapshot is
// one (by SHA256SUMS's names: plain verify needs no key), the deep walk's decryption of the
// tarball, and the sealed snapshot.json checked against the plain one.
import { AgeDamagedError } from '../crypto/age-errors.js';
import { AgeFeed, isKeyProblem } from '../io/age-feed.js';
import { MANIFEST_FILE_GZ, sealedName, SNAPSHOT_JSON, type SnapshotMeta } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { readFullSnapshotMeta } from '../layout/snapshot-meta.js';
import type { Damage } from './file-sums-check.js';

/** An encrypted snapshot, by the names SHA256SUMS gives (MANIFEST.tsv.gz.age): what plain verify goes by, without a key. */
export const isSealed = (listed: Map<string, string>): boolean => listed.has(sealedName(MANIFEST_FILE_GZ, true));

/**
 * Ciphertext to the deep walk (undefined: the end of the file). After an age chunk fails, nothing
 * more is decrypted (the walk then reports the members it never saw); the stored bytes are still
 * hashed by the caller, which names the damaged part.
 */
export async function decrypted(age: AgeFeed & { failed?: boolean }, chunk: Buffer | undefined, feed: (p: Buffer) => Promise<void>, damage: Damage, name: string): Promise<void> {
  if (age.failed) return;
  try {
    if (chunk) await age.push(chunk, feed);
    else await age.end(feed);
  } catch (e) {
    if (!(e instanceof AgeDamagedError)) throw e;
    age.failed = true;
    damage('tarball-damaged', `the encrypted tarball cannot be decrypted from byte ${age.plaintext} of its contents on: ${e.message}`, { file: name });
  }
}

/** Deep verify of an encrypted snapshot: its snapshot.json.age must decrypt and agree with the plain one. */
export async function checkSealedMeta(folder: SnapshotFolder, meta: SnapshotMeta, damage: Damage): Promise<void> {
  try {
    await readFullSnapshotMeta(folder, meta);
  } catch (e) {
    if (isKeyProblem(e)) throw e;
    damage((e as { code?: string }).code === 'meta-mismatch' ? 'meta-mismatch' : 'meta-invalid', (e as Error).message, { file: sealedName(SNAPSHOT_JSON, true) });
  }
}

