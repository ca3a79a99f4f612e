// Setting up encryption for a rotation (init --encrypt, label --encrypt, the wizard): the
// config's `encryption` block, and with a passphrase the drive key, wrapped, in key.age beside
// the config (docs/FORMAT.md "Encrypted drives"). Only public keys go into the config.
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sameDriveName } from '../core/drive-name.js';
import { refusal, usageError } from '../core/errors.js';
import { parseRecipient } from '../crypto/age-keys.js';
import { MAX_WRAPPED_KEY_BYTES, newWrappedKey } from '../crypto/key-wrap.js';
import { createFileSynced } from '../io/durable.js';
import { readRegularFile } from '../io/read-regular.js';
import type { Config } from '../state/config.js';
import { keyFileBeside } from '../state/config-encryption.js';

export interface EncryptionAnswers {
  /** Protects a new drive key; undefined: the rotation is encrypted to the given keys only. */
  passphrase?: string;
  /** Keys of the user's own (`age1…`). */
  recipients: string[];
  /** Which drives: every one, the offsite ones, or by name. */
  drives: 'all' | 'offsite' | string[];
}

export type EncryptionBlock = NonNullable<Config['encryption']>;

/** The drives named by `which` (offsite: the rotation's offsite drives). */
export function encryptedDrives(which: EncryptionAnswers['drives'], rotation: { name: string; role: string }[]): 'all' | string[] {
  if (which === 'all') return 'all';
  if (which === 'offsite') {
    const offsite = rotation.filter((d) => d.role === 'offsite').map((d) => d.name);
    if (offsite.length === 0) throw usageError('no-offsite-drive', '--encrypt offsite: no drive of the rotation is kept offsite', 'name one with --offsite <NAME>, or encrypt drives by name (--encrypt B) or all of them (--encrypt)');
    return offsite;
  }
  const unknown = which.find((n) => !rotation.some((d) => sameDriveName(d.name, n)));
  if (unknown) throw usageError('unknown-drive', `--encrypt names drive ${unknown}, which is not in the rotation`, 'name drives of the rotation (e.g. --encrypt B), or all, or offsite');
  // The rotation's spelling of each name: every later comparison finds it.
  return [...new Set(which.map((n) => rotation.find((d) => sameDriveName(d.name, n))!.name))];
}

/**
 * Makes the encryption block; with a passphrase, a new drive key written to key.age beside the
 * config (refused when one is there: it may be the only way into drives already written).
 */
export async function setUpEncryption(configPath: string, a: EncryptionAnswers, rotation: { name: string; role: string }[], now: Date, workFactor?: number): Promise<EncryptionBlock> {
  const own = a.recipients.map((r) => (parseRecipient(r) as { recipient: string }).recipient);
  if (a.passphrase === undefined && own.length === 0) {
    throw usageError('encryption-needs-key', 'encryption needs a passphrase or a key of your own (--recipient age1…)', 'give --passphrase-file FILE or --passphrase-env VAR (on a terminal airgap asks), or --recipient with your age public key');
  }
  const drives = encryptedDrives(a.drives, rotation);
  if (a.passphrase === undefined) return { recipients: [...new Set(own)], drives };
  const keyFile = keyFileBeside(configPath);
  if (await stat(keyFile).then(() => true, () => false)) {
    throw refusal('drive-key-exists', `a drive key exists already: ${keyFile}`, 'it may be the only way into drives already encrypted: keep it, and keep its "driveKey" in the config; move it away first only if no drive uses it');
  }
  const key = await newWrappedKey(a.passphrase, now, workFactor);
  await mkdir(dirname(keyFile), { recursive: true });
  await createFileSynced(keyFile, key.wrapped, 0o600);
  return { recipients: [key.recipient, ...new Set(own.filter((r) => r !== key.recipient))], driveKey: key.recipient, drives };
}

/** The wrapped drive key beside the config, to be copied onto a drive; undefined when the rotation has none. */
export async function wrappedDriveKey(configPath: string, config: Config | undefined): Promise<Buffer | undefined> {
  if (!config?.encryption?.driveKey) return undefined;
  const path = keyFileBeside(configPath);
  return readRegularFile(path, { maxBytes: MAX_WRAPPED_KEY_BYTES }).catch(() => {
    throw refusal('drive-key-missing', `the config encrypts with a drive key, but its key file ${path} is missing`,
      'put key.age back beside the config (an encrypted drive holds a copy: airgap/KEY.age), or remove "driveKey" and its recipient from the config');
  });
}
