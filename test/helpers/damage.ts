// Damaging a snapshot on purpose: flip one byte, or find where a member's data starts.
import { open, readFile } from 'node:fs/promises';
import { TarReader } from '../../src/verify/tar-reader.js';

/** XORs the byte at `offset` with 0xff. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Where a member's data starts in the tarball (−1 when absent or empty), from its own headers. */
export async function offsetOfMember(tarPath: string, member: string): Promise<number> {
  const data = await readFile(tarPath);
  let inMember = false;
  let found = -1;
  new TarReader({
    entry: (e) => { inMember = e.path === member; },
    // Fed as one buffer, so each slice's position in it is its offset in the file.
    data: (slice) => { if (inMember && found < 0) found = slice.byteOffset - data.byteOffset; },
    entryEnd: () => { inMember = false; },
  }).write(data);
  return found;
}
