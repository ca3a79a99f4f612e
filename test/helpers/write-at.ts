// Overwrites bytes inside an existing file, in place (an "in-place edit" of a mailbox or a disk
// image): the file keeps its size, inode and the rest of its bytes.
import { open } from 'node:fs/promises';

export async function writeAt(file: string, offset: number, data: Buffer): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}
