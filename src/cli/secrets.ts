// Where this run's secrets come from (docs/FORMAT.md "Encrypted drives"): a key file
// (--identity), or the passphrase from a file (--passphrase-file), from an environment variable
// named on the command line (--passphrase-env), or asked on a terminal. Never from a flag's
// value (it would sit in the shell's history and in `ps`), never written anywhere.
// The key source installed here (io/keys.ts) is lazy: the passphrase is asked, and a drive's
// KEY.age opened, only when an encrypted file is first read, once per drive.
import { basename, dirname, join } from 'node:path';
import { refusal, usageError } from '../core/errors.js';
import { AgeWrongKeyError } from '../crypto/age-errors.js';
import type { AgeIdentity } from '../crypto/age-keys.js';
import { parseIdentityFile } from '../crypto/age-keys.js';
import { MAX_WRAPPED_KEY_BYTES, unwrapKey } from '../crypto/key-wrap.js';
import { setKeySource } from '../io/keys.js';
import { readRegularFile } from '../io/read-regular.js';
import { DRIVE_DIR, DRIVE_KEY_FILE } from '../layout/format.js';
import { keyFileBeside } from '../state/config-encryption.js';
import type { Prompter } from '../ui/prompter.js';

export interface SecretFlags {
  identity?: string;
  passphraseFile?: string;
  passphraseEnv?: string;
}

/** A passphrase file holds the passphrase and at most one line end; anything larger is not one. */
const MAX_PASSPHRASE_FILE = 64 * 1024;

/** The passphrase from --passphrase-file or --passphrase-env; undefined when neither was given. */
export async function givenPassphrase(flags: SecretFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (flags.passphraseFile !== undefined && flags.passphraseEnv !== undefined) {
    throw usageError('passphrase-twice', '--passphrase-file and --passphrase-env both given', 'give the passphrase one way');
  }
  if (flags.passphraseFile !== undefined) {
    const bytes = await readRegularFile(flags.passphraseFile, { maxBytes: MAX_PASSPHRASE_FILE }).catch((e: Error & { code?: string }) => {
      throw usageError('passphrase-file-unreadable', `cannot read the passphrase file ${flags.passphraseFile}: ${e.code ?? e.message}`, 'give a regular file that holds the passphrase on its first line');
    });
    // The first line, as the docs say: a BOM, a line end and what follows it are not the
    // passphrase (a stray "\n\n" or a comment below would lock KEY.age under one nobody can type).
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0]!;
    if (text === '') throw usageError('passphrase-empty', `the passphrase file ${flags.passphraseFile} is empty (its first line is)`, 'write the passphrase on its first line');
    if (/[\x00-\x1f\x7f]/.test(text)) throw usageError('passphrase-control', `the passphrase in ${flags.passphraseFile} holds a control character (a tab, a lone carriage return)`, 'write the passphrase as you would type it, on the first line');
    return text;
  }
  if (flags.passphraseEnv !== undefined) {
    const text = env[flags.passphraseEnv];
    if (!text) throw usageError('passphrase-env-unset', `the environment variable ${flags.passphraseEnv} (--passphrase-env) is not set or empty`, `export ${flags.passphraseEnv} before running airgap, or give --passphrase-file`);
    return text;
  }
  return undefined;
}

/** The passphrase for a new drive key: given, or asked twice on a terminal (at least 8 characters). */
export async function newPassphrase(flags: SecretFlags, env: NodeJS.ProcessEnv, prompter: Prompter | undefined): Promise<string | undefined> {
  const given = await givenPassphrase(flags, env);
  // KEY.age can be tried offline by whoever holds a drive: a short passphrase is refused however it comes.
  if (given !== undefined && given.length < 8) throw usageError('passphrase-short', 'the passphrase has fewer than 8 characters: anyone holding a drive could guess it', 'choose a longer one (a few words)');
  if (given !== undefined || !prompter) return given;
  const first = await prompter.password('Passphrase for the drives (it opens every encrypted snapshot; at least 8 characters):',
    (v) => (v.length >= 8 ? true : 'at least 8 characters'));
  await prompter.password('The same passphrase again:', (v) => (v === first ? true : 'not the same: type the passphrase again'));
  return first;
}

export interface KeySourceInput {
  flags: SecretFlags;
  env: NodeJS.ProcessEnv;
  configPath: string;
  /** Asks for the passphrase when none was given (a terminal); undefined: never asks. */
  prompter?: Prompter;
}

/** The airgap/ folder a file on a drive lies in (<drive>/airgap/<ID>/<file>, or airgap/ itself). */
function airgapDirOf(file: string): string | undefined {
  for (let d = dirname(file), i = 0; i < 4; d = dirname(d), i++) if (basename(d) === DRIVE_DIR) return d;
  return undefined;
}

/** The drive key's wrapped secret, KEY.age on the drive or key.age beside the config, opened with the passphrase. */
async function openDriveKey(where: string[], pass: string): Promise<AgeIdentity[]> {
  let last: unknown;
  for (const file of where) {
    const bytes = await readRegularFile(file, { maxBytes: MAX_WRAPPED_KEY_BYTES }).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (!bytes) continue;
    try {
      return await unwrapKey(bytes, pass, file);
    } catch (e) {
      last = e; // a wrong passphrase, or a damaged copy: the next copy may open
    }
  }
  if (last === undefined) throw usageError('drive-key-missing', `the passphrase opens the drive key (${DRIVE_KEY_FILE}), and there is none on this drive or beside the config`, 'give the key file this drive is encrypted to with --identity');
  if (last instanceof AgeWrongKeyError) throw last;
  // Damaged (or forged): never "the snapshot is damaged", a refusal that names the key file.
  throw refusal('drive-key-unusable', `the drive key cannot be opened: ${(last as Error).message}`, 'give the key file this drive is encrypted to with --identity, or restore key.age beside the config from another drive\'s airgap/KEY.age');
}

/** Installs the run's key source (io/keys.ts); nothing is read or asked until an encrypted file is met. */
export function installKeySource(input: KeySourceInput): void {
  let keys: Promise<AgeIdentity[]> | undefined;
  let passphrase: Promise<string | undefined> | undefined;
  const unwrapped = new Map<string, Promise<AgeIdentity[]>>();
  const ownKeys = () => (keys ??= input.flags.identity === undefined ? Promise.resolve([])
    : readRegularFile(input.flags.identity, { maxBytes: MAX_WRAPPED_KEY_BYTES }).then(
      (b) => parseIdentityFile(b.toString('utf8'), input.flags.identity),
      (e: Error & { code?: string }) => { throw usageError('identity-unreadable', `cannot read the key file ${input.flags.identity}: ${e.code ?? e.message}`, 'give the age key file (AGE-SECRET-KEY-1…) this drive is encrypted to'); }));
  const thePassphrase = () => (passphrase ??= givenPassphrase(input.flags, input.env).then((p) =>
    p ?? input.prompter?.password('Passphrase of the encrypted drive:')));
  // The drive's own KEY.age first; the host's copy beside the config when the drive has none or it does not open.
  const driveKey = (airgapDir: string | undefined, pass: string) => {
    const where = [...(airgapDir ? [join(airgapDir, DRIVE_KEY_FILE)] : []), keyFileBeside(input.configPath)];
    if (!unwrapped.has(where[0]!)) unwrapped.set(where[0]!, openDriveKey(where, pass));
    return unwrapped.get(where[0]!)!;
  };
  // Only X25519 keys are offered for a snapshot's files: airgap encrypts none of them to a
  // passphrase, and an scrypt stanza in a forged one would cost seconds and gigabytes to try.
  setKeySource(async (file) => {
    const own = await ownKeys();
    const givenPass = input.flags.passphraseFile !== undefined || input.flags.passphraseEnv !== undefined;
    if (own.length > 0 && !givenPass) return own;
    try {
      const pass = await thePassphrase();
      if (pass === undefined) {
        if (own.length > 0) return own;
        throw usageError('key-needed', `${file} is encrypted, and no key or passphrase was given`,
          'give the passphrase (--passphrase-file FILE or --passphrase-env VAR; on a terminal airgap asks) or a key file (--identity FILE)');
      }
      return [...own, ...(await driveKey(airgapDirOf(file), pass))];
    } catch (e) {
      if (own.length > 0) return own; // the own key may open it: a passphrase problem is said only if nothing does
      throw e;
    }
  });
}
