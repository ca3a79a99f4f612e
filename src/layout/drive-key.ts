// airgap/KEY.age (docs/FORMAT.md "Encrypted drives"): the drive key's secret, encrypted with the
// passphrase. Written by label and by backup when the drive lacks it, never replaced by another
// one: the snapshots already on the drive open only with the key that encrypted them, and a
// KEY.age overwritten by a new key would lock them away from the passphrase for good.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { refusal } from '../core/errors.js';
import { writeFileAtomic } from '../io/durable.js';
import { readRegularFile } from '../io/read-regular.js';
import { DRIVE_KEY_FILE } from './format.js';

const MAX_KEY_BYTES = 64 * 1024;

/** Puts `wrapped` on the drive as KEY.age; returns whether it was written (false: it was there). */
export async function ensureDriveKey(airgapDir: string, wrapped: Buffer, driveName: string): Promise<boolean> {
  const path = join(airgapDir, DRIVE_KEY_FILE);
  const st = await lstat(path).catch(() => undefined);
  if (st) {
    const have = st.isFile() ? await readRegularFile(path, { maxBytes: MAX_KEY_BYTES }).catch(() => undefined) : undefined;
    if (have?.equals(wrapped)) return false;
    throw refusal('other-drive-key', `drive ${driveName} already holds another drive key (${path}): the snapshots encrypted to it open only with it`,
      'use the config (and key.age) that encrypted this drive; or, if its encrypted snapshots are not needed, move that KEY.age off the drive first');
  }
  await writeFileAtomic(path, wrapped);
  return true;
}
