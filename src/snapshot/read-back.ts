// The read-back after a snapshot's write: each tarball file hashed again from the drive, to be
// compared with what was written before anything marks the snapshot complete (write-snapshot.ts).
import { localHasher } from '../io/hash-thread.js';
import { readChunks } from '../io/read-chunks.js';

/** SHA-256 of each file, read back from the drive. */
export async function readBackHashes(files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const hash = localHasher.create();
    await readChunks(f, () => {}, { hasher: localHasher, hash });
    out.push(await hash.digest());
  }
  return out;
}
