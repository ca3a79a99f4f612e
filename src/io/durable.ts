// fsync helpers. A directory fsync makes a rename durable; some platforms cannot do it
// (Windows: EPERM, macOS exFAT: ENOTTY, some FUSE filesystems: EINVAL/ENOTSUP). Those exact
// codes are tolerated; any other failure is a real error.
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const DIR_FSYNC_UNSUPPORTED = new Set(['EPERM', 'ENOTTY', 'EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF']);

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

/** Writes a small file durably under a temporary name, then renames it over `path`. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}
