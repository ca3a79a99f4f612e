// Damaging a snapshot on purpose: flip one byte, or find where a member's data starts.
import { open, readFile } from 'node:fs/promises';
import { memberDataOffset } from '../../src/layout/tar-reader.js';

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
  return memberDataOffset(await readFile(tarPath), member);
}
