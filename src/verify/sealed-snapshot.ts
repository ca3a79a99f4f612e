// verify's part for an encrypted snapshot (docs/FORMAT.md "Encrypted drives"): which snapshot is
// one (by SHA256SUMS's names: plain verify needs no key), the deep walk's decryption of the
// tarball, and the sealed snapshot.json checked against the plain one.
import { AgeDamagedError } from '../crypto/age-errors.js';
import { ageReader, isKeyProblem, type AgeReader } from '../io/age-feed.js';
import type { Hasher, StreamHash } from '../io/hash-thread.js';
import { joinedName } from '../io/joined-files.js';
import { MANIFEST_FILE_GZ, sealedName, SNAPSHOT_JSON, type SnapshotMeta } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { readFullSnapshotMeta } from '../layout/snapshot-meta.js';
import type { Damage } from './file-sums-check.js';

/** An encrypted snapshot, by the names SHA256SUMS gives (MANIFEST.tsv.gz.age): what plain verify goes by, without a key. */
export const isSealed = (listed: Map<string, string>): boolean => listed.has(sealedName(MANIFEST_FILE_GZ, true));

/**
 * The deep walk's decryption of an encrypted tarball: its parts' stored bytes in (the caller
 * hashes them as stored, against SHA256SUMS), plaintext out to the walk. After an age chunk
 * fails, nothing more is decrypted (the walk then reports the members it never saw).
 */
export class SealedWalk {
  private readonly age: AgeReader;
  /** An age chunk failed: the tarball's content is damaged, whatever its SHA-256 says. */
  failed = false;

  constructor(files: string[], hasher: Hasher, private readonly feed: (p: Buffer) => Promise<void>, private readonly damage: Damage, private readonly name: string) {
    this.age = ageReader(files[0]!, joinedName(files), hasher);
  }

  /** The part's hash for readChunks (with a hashing thread, the chunks are opened there beside it). */
  hashing(inner: StreamHash): StreamHash {
    return this.age.hashing(inner) ?? inner;
  }

  /** A chunk of the stored bytes; undefined: the end of the file. */
  async push(chunk: Buffer | undefined): Promise<void> {
    if (this.failed) return;
    try {
      if (chunk) await this.age.push(chunk, this.feed);
      else await this.age.end(this.feed);
    } catch (e) {
      if (!(e instanceof AgeDamagedError)) throw e;
      this.failed = true;
      this.damage('tarball-damaged', `the encrypted tarball cannot be decrypted from byte ${this.age.plaintext} of its contents on: ${e.message}`, { file: this.name });
    }
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

