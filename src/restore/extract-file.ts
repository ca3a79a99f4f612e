// A regular file's life in the staging folder: created O_EXCL|O_NOFOLLOW (never over or through
// anything already there), hashed as written, and kept only if its SHA-256 and size are the
// manifest's; otherwise removed and named as damaged. Only files we created are ever removed.
import { createHash } from 'node:crypto';
// Synchronous calls for the per-file work: restoring thousands of small files is a long series
// of tiny calls, and the promise API's round trip through libuv's pool dominated (profiled).
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TarEntry } from '../layout/tar-reader.js';
import type { ExtractState } from './extract-state.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const SPECIAL_BITS = 0o6000; // setuid, setgid

/** The permission bits to apply: setuid and setgid dropped unless asked to keep them. */
export const maskMode = (mode: number, keepSpecial: boolean) => (keepSpecial ? mode : mode & ~SPECIAL_BITS) & 0o7777;

/** Creates the file (private until its content is checked); its content follows in writeFileData. */
export function startFile(state: ExtractState, path: string, row: number, e: TarEntry): void {
  state.ensureParent(path);
  const fd = openSync(join(state.opts.staging, path), CREATE, 0o600);
  state.current = { kind: 'file', path, row, fd, hash: createHash('sha256'), size: 0, entry: e };
}

/** A chunk of the current member's content: hashed, and written if it is a file being restored. */
export function writeFileData(state: ExtractState, chunk: Buffer): void {
  const c = state.current;
  if (c.kind !== 'file' || c.failed) return;
  c.hash.update(chunk);
  c.size += chunk.length;
  try {
    let off = 0;
    while (off < chunk.length) off += writeSync(c.fd, chunk, off, chunk.length - off);
  } catch (err) {
    c.failed = `cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** The member's end: a file that matches the manifest gets its mode, owner and time; one that does not is removed. */
export function finishFile(state: ExtractState): void {
  const { opts, report } = state;
  const c = state.current;
  state.current = { kind: 'skip' };
  if (c.kind !== 'file') return;
  const sha = c.hash.digest('hex');
  const ok = !c.failed && sha === opts.manifest.sha256(c.row) && c.size === opts.manifest.size(c.row);
  try {
    if (ok) {
      fchmodSync(c.fd, maskMode(c.entry.mode, opts.keepSpecialBits));
      if (opts.owners) {
        try {
          fchownSync(c.fd, c.entry.uid, c.entry.gid);
        } catch {
          // not allowed (not root): the owner stays the restoring user's
        }
      }
      futimesSync(c.fd, c.entry.mtime, c.entry.mtime);
    }
  } finally {
    closeSync(c.fd);
  }
  if (!ok) {
    unlinkSync(join(opts.staging, c.path));
    report.damaged.push({ path: c.path, reason: c.failed ?? 'content does not match its SHA-256 in the manifest' });
    return;
  }
  state.restoredFiles.add(c.path);
  report.files++;
  report.bytes += c.size;
  opts.onFile?.(c.path, c.size);
}

/** After the archive stopped (damage, a read error): a file left half-written is removed and named. */
export function abandonFile(state: ExtractState, reason = 'cut off by the damage in the archive'): void {
  const c = state.current;
  if (c.kind === 'file') {
    try {
      closeSync(c.fd);
      unlinkSync(join(state.opts.staging, c.path));
    } catch {
      // already gone: nothing to clean
    }
    state.report.damaged.push({ path: c.path, reason });
    state.current = { kind: 'skip' };
  }
}
