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
  const stored = await readRegularFile(path, { maxBytes: encryptedSize(maxBytes, MAX_HEADER) });
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
