// fsync helpers. A directory fsync makes a rename durable; some platforms cannot do it
// (Windows: EPERM, macOS exFAT: ENOTTY, some FUSE filesystems: EINVAL/ENOTSUP). Those exact
// codes are tolerated; any other failure is a real error.
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const DIR_FSYNC_UNSUPPORTED = new Set(['EPERM', 'ENOTTY', 'EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF']);

// O_DIRECTORY: a FIFO put where a folder was expected fails at once (ENOTDIR) instead of
// blocking the open. (Windows has no O_DIRECTORY; it has no FIFOs on a drive either.)
const DIR_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);
// O_EXCL never follows a link: a link planted on the drive under the temporary name is
// removed (the link, not what it points at) and the file is created fresh.
const TMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, DIR_FLAGS);
  try {
    await fh.sync();
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

/**
 * Creates a new file holding `data`, fsynced before it returns: the one synced write that the
 * snapshot's small files, the lock files and writeFileAtomic's temporary file share. O_EXCL:
 * never over an existing file, never through a link (EEXIST when the name is taken).
 */
export async function createFileSynced(path: string, data: string | Buffer, mode = 0o666): Promise<void> {
  const fh = await open(path, TMP_FLAGS, mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a small file durably under a temporary name, then renames it over `path`. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  // The file keeps its permissions (a config the user made private stays private).
  const old = await lstat(path).catch(() => undefined);
  await unlink(tmp).catch(() => {});
  await createFileSynced(tmp, data, old?.isFile() ? old.mode & 0o7777 : 0o666);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}
