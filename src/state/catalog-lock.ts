// The catalog's lock file (catalog.json.lock): held only while save() reads, merges and writes.
import { unlink } from 'node:fs/promises';
import { refusal } from '../core/errors.js';
import { acquireLockFile, newLockInfo } from '../io/stale-lock.js';

/** The catalog lock is held only for a read-merge-write: wait for it (up to 15 s), never refuse at once. */
export async function lockCatalog(path: string): Promise<() => Promise<void>> {
  const held = await acquireLockFile(path, newLockInfo('catalog'), { staleMs: 30_000, waitMs: 15_000 });
  if (!held) return () => unlink(path).catch(() => {});
  const holder = held.holder?.holder;
  throw refusal('catalog-locked', `the catalog is locked by ${holder ? `pid ${holder.pid} (${holder.command})` : 'another process'}: ${path}`,
    'another airgap is saving it; run again (if no airgap is running, delete that lock file)');
}
