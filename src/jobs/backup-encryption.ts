// Before a backup writes: does the config's word on encryption match the drive's? A drive marked
// encrypted (drive.json) is never written in the clear by a config that does not encrypt it, and
// a config that encrypts never adds to a drive marked plain without the user saying so (its
// earlier snapshots stay readable by anyone until pruned). Either way: refused, nothing written,
// and the hint names the command that makes them agree.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { refusal } from '../core/errors.js';
import { DRIVE_KEY_FILE, type DriveIdentity } from '../layout/format.js';
import type { Config } from '../state/config.js';
import { encryptionFor } from '../state/config-encryption.js';
import { wrappedDriveKey } from './encryption-setup.js';

export interface BackupEncryption {
  recipients: string[];
  driveKey?: string;
  /** KEY.age's bytes, put on the drive under the lock when it lacks them. */
  wrappedKey?: Buffer;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export async function backupEncryption(configPath: string, config: Config | undefined, identity: DriveIdentity, root: string, airgapDir: string): Promise<BackupEncryption | undefined> {
  const want = encryptionFor(config, identity.name);
  const has = identity.encryption;
  const relabel = `airgap label ${root} --name ${identity.name} --force`;
  if (!want && has) {
    throw refusal('drive-encrypted', `drive ${identity.name} is encrypted (its drive.json names ${has.recipients.length} age key(s)), but the config ${configPath} does not encrypt it: airgap will not write it in the clear`,
      `use the config that encrypts this drive (--config), or add the drive to its "encryption"; to write it in the clear from now on, on purpose: ${relabel}`);
  }
  if (want && !has) {
    throw refusal('drive-not-encrypted', `the config encrypts drive ${identity.name}, but the drive is marked plain (labelled before encryption was set up)`,
      `mark it encrypted: ${relabel} --encrypt (its snapshots so far stay unencrypted until pruned; the next one starts a new, encrypted chain)`);
  }
  if (!want || !has) return undefined;
  if (!sameSet(want.recipients, has.recipients)) {
    throw refusal('encryption-keys-differ', `drive ${identity.name} is encrypted to other keys than the config's`,
      `use the config that encrypted it; or take this config's keys for it from now on: ${relabel} (the next snapshot starts a new chain)`);
  }
  // The host's key.age is copied onto a drive that lacks KEY.age; a drive that has it needs no copy.
  const wrappedKey = await wrappedDriveKey(configPath, config).catch(async (e: unknown) => {
    if (await lstat(join(airgapDir, DRIVE_KEY_FILE)).then((st) => st.isFile(), () => false)) return undefined;
    throw e;
  });
  return { recipients: want.recipients, ...(config?.encryption?.driveKey ? { driveKey: config.encryption.driveKey } : {}), ...(wrappedKey ? { wrappedKey } : {}) };
}
