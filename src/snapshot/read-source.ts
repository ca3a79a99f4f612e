// Reading one source file safely. Opened with O_NOFOLLOW|O_NONBLOCK and re-checked with fstat,
// so a path swapped for a link or a FIFO after the scan is neither followed nor able to block.
// Small files are read whole (plus one byte, to notice growth) so that their tar header can
// carry the size actually read; several are read ahead in parallel (see archive.ts).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { SourceProblem } from '../core/format.js';

/** Files up to this size are read whole before their header is written. */
export const SMALL_FILE = 1 << 20;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export type Problem = Pick<SourceProblem, 'kind' | 'message'>;

export interface HeaderStat {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export type OpenResult = { fh: FileHandle; before: Stats; header: HeaderStat } | { skip: Problem };

export async function openSource(abs: string): Promise<OpenResult> {
  let fh: FileHandle;
  try {
    fh = await open(abs, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { skip: { kind: 'vanished', message: 'deleted before it could be read' } };
    if (code === 'ELOOP') return { skip: { kind: 'changed', message: 'replaced by a symlink during the backup; skipped' } };
    return { skip: { kind: 'unreadable', message: `cannot open: ${code ?? (err as Error).message}` } };
  }
  try {
    const before = await fh.stat();
    if (!before.isFile()) {
      await fh.close();
      return { skip: { kind: 'changed', message: 'is no longer a regular file; skipped' } };
    }
    // The fresh fstat, not the scan, describes what we store.
    const header = { mode: before.mode & 0o7777, uid: before.uid, gid: before.gid, mtime: Math.max(0, Math.floor(before.mtimeMs / 1000)) };
    return { fh, before, header };
  } catch (err) {
    await fh.close().catch(() => {});
    return { skip: { kind: 'unreadable', message: `cannot stat: ${(err as NodeJS.ErrnoException).code}` } };
  }
}

/** Compares the stat taken when the file was opened with one taken after reading it. */
export async function changedWhileRead(fh: FileHandle, before: Stats): Promise<Problem | undefined> {
  const after = await fh.stat();
  if (after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs || after.size !== before.size) {
    return { kind: 'changed', message: 'changed while being read; the stored copy may be inconsistent (back it up again)' };
  }
  return undefined;
}

export type SmallRead =
  | { data: Buffer; header: HeaderStat; problem?: Problem }
  | { skip: Problem }
  | { tooBig: true }; // grew past SMALL_FILE since the scan: stream it instead

export async function readSmall(abs: string): Promise<SmallRead> {
  const opened = await openSource(abs);
  if ('skip' in opened) return opened;
  const { fh, before, header } = opened;
  try {
    if (before.size > SMALL_FILE) return { tooBig: true };
    const buf = Buffer.allocUnsafe(before.size + 1);
    let n = 0;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0 || (n += bytesRead) === buf.length) break;
      }
    } catch (err) {
      return { skip: { kind: 'unreadable', message: `read error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    }
    const size = Math.min(n, before.size);
    const problem: Problem | undefined = n > before.size
      ? { kind: 'changed', message: `grew while being read; stored its first ${before.size} bytes` }
      : await changedWhileRead(fh, before);
    return problem ? { data: buf.subarray(0, size), header, problem } : { data: buf.subarray(0, size), header };
  } finally {
    await fh.close();
  }
}
