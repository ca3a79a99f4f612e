// A small file of an encrypted snapshot read whole and decrypted (snapshot.json.age, BLOCKS.age,
// REMOVE.nul.age; docs/FORMAT.md "Encrypted drives"). A drive is untrusted: the stored file is
// refused before it is read when it is larger than the plaintext's cap could ever encrypt to,
// and the plaintext is capped again as it comes out. age's typed errors pass through.
import { encryptedSize } from '../crypto/age-file.js';
import { MAX_HEADER } from '../crypto/age-header.js';
import { AgeFeed } from './age-feed.js';
import { FileTooLargeError, readRegularFile } from './read-regular.js';

/** The plaintext of the age file at `path`, at most `maxBytes` of it (FileTooLargeError past that). */
export async function readSealedFile(path: string, maxBytes: number): Promise<Buffer> {
  return decryptWhole(await readRegularFile(path, { maxBytes: maxStoredSize(maxBytes) }), path, maxBytes);
}

/** The largest age file a plaintext of `maxBytes` can be (the largest header airgap reads). */
export const maxStoredSize = (maxBytes: number): number => encryptedSize(maxBytes, MAX_HEADER);

/**
 * The plaintext of age file bytes already read (and checked against SHA256SUMS by the caller:
 * decrypting the very bytes that were checked, not a second read of the file).
 */
export async function decryptWhole(stored: Buffer, path: string, maxBytes: number): Promise<Buffer> {
  const feed = new AgeFeed(path);
  const out: Buffer[] = [];
  const take = (p: Buffer) => {
    // feed.plaintext already counts p.
    if (feed.plaintext > maxBytes) throw new FileTooLargeError(path, feed.plaintext, maxBytes);
    out.push(p);
  };
  await feed.push(stored, take);
  await feed.end(take);
  return Buffer.concat(out);
}
