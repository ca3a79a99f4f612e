// Phase 2 of a backup: stream the scanned entries into one pax tarball, hashing every member
// and the whole tarball on the way, and write the per-file manifests beside it. Files are
// opened with O_NOFOLLOW|O_NONBLOCK and re-checked with fstat, so a path swapped for a link
// or a FIFO after the scan is neither followed nor able to block us.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { formatManifestLine, MANIFEST_COLUMNS, MANIFEST_HEADER, type ManifestEntry } from '../core/manifest.js';
import { formatSumLine } from '../core/sha256sums.js';
import type { SourceProblem } from '../core/format.js';
import type { HashedWriter } from './hashed-writer.js';
import type { ScanEntry } from './scan.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarMember } from './tar-header.js';

/** Files up to this size are read whole before their header is written. */
const SMALL_FILE = 1 << 20;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface ArchiveOutputs {
  tar: HashedWriter;
  manifest: HashedWriter;
  fileSums: HashedWriter;
}

export interface ArchiveProgress {
  entries: number;
  bytes: number;
  current: string;
}

export interface ArchiveOptions {
  onProgress?: (p: ArchiveProgress) => void;
  /** Called on every chunk read or written: feeds the no-progress watchdog. */
  tick?: (where: string) => void;
}

export interface ArchiveCounts {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  contentBytes: number;
}

export async function writeArchive(
  entries: ScanEntry[],
  out: ArchiveOutputs,
  problems: SourceProblem[],
  opts: ArchiveOptions = {},
): Promise<ArchiveCounts> {
  const counts: ArchiveCounts = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0 };
  const firstCopy = new Map<string, { path: string; size: number; sha256: string }>();
  const problem = (path: string, kind: SourceProblem['kind'], message: string) => problems.push({ path, kind, message });
  const tick = opts.tick ?? (() => {});
  await out.manifest.write(`${MANIFEST_HEADER}\n${MANIFEST_COLUMNS}\n`);

  const record = async (e: ManifestEntry) => {
    await out.manifest.write(formatManifestLine(e));
    if (e.sha256) await out.fileSums.write(formatSumLine({ sha256: e.sha256, name: e.path }));
  };

  let done = 0;
  for (const e of entries) {
    tick(e.abs);
    const common = { path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
    if (e.kind === 'dir') {
      await out.tar.write(encodeHeader({ ...common, type: 'Directory', size: 0 }));
      await record({ ...common, type: 'dir', size: 0 });
      counts.dirs++;
    } else if (e.kind === 'symlink') {
      await out.tar.write(encodeHeader({ ...common, type: 'SymbolicLink', size: 0, linkpath: e.link! }));
      await record({ ...common, type: 'symlink', size: 0, link: e.link! });
      counts.symlinks++;
    } else {
      const key = `${e.dev}:${e.ino}`;
      const first = e.nlink > 1 ? firstCopy.get(key) : undefined;
      if (first) {
        // Stored as a tar hard link to the first copy, which GNU tar and bsdtar re-link.
        await out.tar.write(encodeHeader({ ...common, type: 'Link', size: 0, linkpath: first.path }));
        await record({ ...common, type: 'hardlink', size: first.size, sha256: first.sha256, link: first.path });
        counts.hardlinks++;
      } else {
        const stored = await archiveFile(e, out.tar, problem, tick);
        if (stored) {
          await record({ ...common, ...stored.header, type: 'file', size: stored.size, sha256: stored.sha256 });
          if (e.nlink > 1) firstCopy.set(key, { path: e.path, size: stored.size, sha256: stored.sha256 });
          counts.files++;
          counts.contentBytes += stored.size;
        }
      }
    }
    done++;
    opts.onProgress?.({ entries: done, bytes: counts.contentBytes, current: e.path });
  }
  await out.tar.write(END_OF_ARCHIVE);
  return counts;
}

interface StoredFile {
  size: number;
  sha256: string;
  header: { mode: number; uid: number; gid: number; mtime: number };
}

/** Archives one regular file; returns undefined when it was skipped (reported as a problem). */
async function archiveFile(
  e: ScanEntry,
  tar: HashedWriter,
  report: (path: string, kind: SourceProblem['kind'], message: string) => void,
  tick: (where: string) => void,
): Promise<StoredFile | undefined> {
  // One line per file: the first thing that went wrong is the one worth reading.
  let reported = false;
  const problem: typeof report = (...args) => {
    if (!reported) report(...args);
    reported = true;
  };
  let fh: FileHandle;
  try {
    fh = await open(e.abs, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') problem(e.abs, 'vanished', 'deleted before it could be read');
    else if (code === 'ELOOP') problem(e.abs, 'changed', 'replaced by a symlink during the backup; skipped');
    else problem(e.abs, 'unreadable', `cannot open: ${code ?? (err as Error).message}`);
    return undefined;
  }
  try {
    const before = await fh.stat();
    if (!before.isFile()) {
      problem(e.abs, 'changed', 'is no longer a regular file; skipped');
      return undefined;
    }
    // The fresh fstat, not the scan, describes what we store.
    const header = {
      mode: before.mode & 0o7777, uid: before.uid, gid: before.gid,
      mtime: Math.max(0, Math.floor(before.mtimeMs / 1000)),
    };
    const hash = createHash('sha256');
    let size: number;
    if (before.size <= SMALL_FILE) {
      // Read it whole (one byte more than expected, to notice growth), then write the header
      // with the size actually read: the member is always self-consistent.
      const buf = Buffer.allocUnsafe(before.size + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
        if (n === buf.length) break;
      }
      size = Math.min(n, before.size);
      if (n > before.size) problem(e.abs, 'changed', 'grew while being read; stored its first ' + before.size + ' bytes');
      const data = buf.subarray(0, size);
      hash.update(data);
      await tar.write(encodeHeader({ path: e.path, type: 'File', ...header, size }));
      await tar.write(data);
      await tar.writeZeros(padding(size));
    } else {
      size = before.size;
      await tar.write(encodeHeader({ path: e.path, type: 'File', ...header, size }));
      let off = 0;
      while (off < size) {
        if (tar.room < 65536) await tar.flush();
        const want = Math.min(tar.room, size - off);
        let got = 0;
        try {
          got = (await fh.read(tar.buffer, tar.pos, want, off)).bytesRead;
        } catch (err) {
          // The header is already out: keep the archive well-formed, zero-fill, and say so.
          problem(e.abs, 'unreadable', `read error at byte ${off} (${(err as NodeJS.ErrnoException).code}); the rest of the file is stored as zeros`);
          await fillZeros(tar, hash, size - off);
          off = size;
          break;
        }
        if (got === 0) {
          problem(e.abs, 'changed', `shrank while being read (${off} of ${size} bytes); padded with zeros`);
          await fillZeros(tar, hash, size - off);
          off = size;
          break;
        }
        hash.update(tar.buffer.subarray(tar.pos, tar.pos + got));
        tar.commit(got);
        off += got;
        tick(e.abs);
      }
      await tar.writeZeros(padding(size));
      const extra = (await fh.read(Buffer.alloc(1), 0, 1, size)).bytesRead;
      if (extra > 0) problem(e.abs, 'changed', `grew while being read; stored its first ${size} bytes`);
    }
    const after = await fh.stat();
    if (after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs || after.size !== before.size) {
      problem(e.abs, 'changed', 'changed while being read; the stored copy may be inconsistent (back it up again)');
    }
    return { size, sha256: hash.digest('hex'), header };
  } finally {
    await fh.close();
  }
}

async function fillZeros(tar: HashedWriter, hash: ReturnType<typeof createHash>, n: number) {
  const zeros = Buffer.alloc(Math.min(n, 1 << 16));
  while (n > 0) {
    const k = Math.min(n, zeros.length);
    hash.update(zeros.subarray(0, k));
    await tar.write(zeros.subarray(0, k));
    n -= k;
  }
}
