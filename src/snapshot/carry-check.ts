// Reading a file to check it against the chain's copy (format 2, a CHECK in carry-plan.ts): when
// what was read has the base's hash and the header the scan saw, the file is carried forward,
// not stored again. A large file is hashed first and streamed into the tarball only when it
// differs, so an unchanged one costs one read and no bytes on the drive.
import { createHash } from 'node:crypto';
import { changedWhileRead, openSource, type HeaderStat } from './read-source.js';
import type { ScanEntry } from './scan.js';

/** A read whose size and header are what the scan saw (else the file changed meanwhile: store it). */
export const sameAsScanned = (read: HeaderStat & { size: number }, e: ScanEntry): boolean =>
  read.size === e.size && read.mode === e.mode && read.uid === e.uid && read.gid === e.gid && read.mtime === e.mtime;

/** SHA-256 of a large file as it is now, or undefined when it cannot be read or changes meanwhile (then it is stored, and its problem reported, by the normal path). */
export async function checkLarge(e: ScanEntry, tick: (where: string) => void): Promise<string | undefined> {
  const opened = await openSource(e.abs, e);
  if ('skip' in opened) return undefined;
  const { fh, before, header } = opened;
  try {
    if (!sameAsScanned({ ...header, size: before.size }, e)) return undefined;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(4 << 20);
    let off = 0;
    while (off < before.size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, before.size - off), off);
      if (bytesRead === 0) return undefined;
      hash.update(buf.subarray(0, bytesRead));
      off += bytesRead;
      tick(e.abs);
    }
    if ((await fh.read(Buffer.alloc(1), 0, 1, before.size)).bytesRead > 0) return undefined;
    if (await changedWhileRead(fh, before)) return undefined;
    return hash.digest('hex');
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
