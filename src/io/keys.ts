// The secrets that open a drive's encrypted files, for this run (issue 18, docs/FORMAT.md
// "Encrypted drives"). Readers deep in verify and restore (a manifest, a tarball, one member at
// its offset) ask here for the identities of the file they are about to open; the CLI decides,
// once per run, where those come from: a key file (--identity), or the passphrase (a prompt,
// --passphrase-file, --passphrase-env) that unlocks the drive's KEY.age. Asking is lazy, so a
// run that never meets an encrypted file never asks for a passphrase.
import { usageError } from '../core/errors.js';
import type { AgeIdentity } from '../crypto/age-keys.js';

/** Every encrypted file on a drive is one age file whose name ends so. */
export const ENCRYPTED_SUFFIX = '.age';
export const isEncryptedName = (path: string): boolean => path.endsWith(ENCRYPTED_SUFFIX);

/** Gives the identities that may open `file` (an absolute path on a drive). */
export type KeySource = (file: string) => Promise<AgeIdentity[]>;

let source: KeySource | undefined;
let epoch = 0;

/** Set by the CLI for the run (undefined: no secret was given, and none may be asked for). */
export function setKeySource(s: KeySource | undefined): void {
  source = s;
  epoch++;
}

/** Changes whenever the key source does: what was opened with one source is not kept for another. */
export const keySourceEpoch = (): number => epoch;

/** The identities for `file`; without a key source, a usage error that says how to give one. */
export async function identitiesFor(file: string): Promise<AgeIdentity[]> {
  if (!source) throw keyNeeded(file);
  return source(file);
}

export function keyNeeded(file: string) {
  return usageError('key-needed', `${file} is encrypted, and no key or passphrase was given`,
    'give the passphrase (--passphrase-file FILE or --passphrase-env VAR; on a terminal airgap asks) or a key file (--identity FILE)');
}
