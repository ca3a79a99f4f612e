// The config's encryption block (docs/FORMAT.md "Encrypted drives"): which drives it encrypts,
// where the wrapped drive key lives beside it, and setting the block as label --encrypt does.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sameDriveName } from '../core/drive-name.js';
import { usageError } from '../core/errors.js';
import { writeFileAtomic } from '../io/durable.js';
import { checkConfig, fieldPath, type Config } from './config.js';

/** The recipients a drive's snapshots are encrypted to, or undefined for a drive written in the clear. */
export function encryptionFor(config: Config | undefined, driveName: string): { recipients: string[] } | undefined {
  const enc = config?.encryption;
  if (!enc) return undefined;
  if (enc.drives !== 'all' && !enc.drives.some((d) => sameDriveName(d, driveName))) return undefined;
  return { recipients: [...enc.recipients] };
}

/** The drive key's wrapped secret lives beside the config: key.age. */
export const keyFileBeside = (configPath: string): string => join(dirname(configPath), 'key.age');

/** Sets the config's encryption block, the rest of the file as written (label --encrypt). */
export async function setConfigEncryption(path: string, encryption: NonNullable<Config['encryption']>): Promise<void> {
  const json = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, '')) as Record<string, unknown>;
  json.encryption = encryption;
  const r = checkConfig(json);
  if (!r.ok) throw usageError('config-invalid', `config ${path}: ${fieldPath(r.path) || '(root)'}: ${r.message}`, 'fix that field first (see docs/cli.md)');
  await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
}
