// The identity file (airgap/drive.json) is what makes a folder or disk an airgap drive.
import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { damage, refusal } from '../core/errors.js';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../io/read-regular.js';
import { DRIVE_DIR, FORMAT_VERSION, IDENTITY_FILE, identitySchema, type DriveIdentity } from './format.js';
import { check } from '../core/validate.js';

export interface DriveLocation {
  /** The mountpoint (or simulated drive folder). */
  root: string;
  /** root/airgap: where everything airgap writes lives. */
  airgapDir: string;
}

/**
 * Accepts the drive root or its airgap/ folder; undefined when no identity file is there. Anything
 * at that name counts (a folder, a device): such a drive is a damaged airgap drive, which
 * readIdentity() reports, never a blank disk to offer for labelling.
 */
export async function locateDrive(path: string): Promise<DriveLocation | undefined> {
  if (await exists(join(path, DRIVE_DIR, IDENTITY_FILE))) return { root: path, airgapDir: join(path, DRIVE_DIR) };
  if (basename(path) === DRIVE_DIR && (await exists(join(path, IDENTITY_FILE)))) return { root: dirname(path), airgapDir: path };
  return undefined;
}

/** drive.json is a few hundred bytes; anything this large is not one (and is not read whole). */
const MAX_IDENTITY_BYTES = 64 * 1024;

/**
 * The airgap folder must be a real folder on the drive's own filesystem: a symlink (or a mount
 * of something else) there would lead reads and writes off the drive, onto the host.
 */
export async function checkAirgapFolder(root: string, airgapDir: string): Promise<void> {
  const [r, a] = await Promise.all([stat(root).catch(() => undefined), lstat(airgapDir).catch(() => undefined)]);
  if (!a) return; // nothing there (yet): the caller reports the missing identity
  const what = a.isSymbolicLink() ? 'a symlink' : !a.isDirectory() ? 'not a folder' : r && r.dev !== a.dev ? 'on another filesystem than the drive (a mount point)' : undefined;
  if (what) {
    throw refusal('not-airgap-folder', `${airgapDir} is ${what}: not an airgap folder; airgap never follows it nor writes through it`,
      `if this is your drive, look at what ${airgapDir} points to, and replace it by the real folder (or remove it and relabel the drive)`);
  }
}

export async function readIdentity(airgapDir: string): Promise<DriveIdentity> {
  const file = join(airgapDir, IDENTITY_FILE);
  const relabel = 'relabel the drive with `airgap label <path> --name <NAME> --force` (its snapshots are kept)';
  await checkAirgapFolder(dirname(airgapDir), airgapDir);
  let text: string;
  try {
    // Checked on the open file (never a FIFO that blocks the read, nor a file swapped in after a stat).
    text = (await readRegularFile(file, { maxBytes: MAX_IDENTITY_BYTES })).toString('utf8');
  } catch (e) {
    if (e instanceof NotRegularFileError) throw damage('identity-corrupt', `the drive identity file ${file} is ${e.what}, not a regular file`, relabel);
    if (e instanceof FileTooLargeError) throw damage('identity-corrupt', `the drive identity file ${file} is ${e.size} bytes: too large to be one`, relabel);
    throw refusal('identity-unreadable', `cannot read the drive identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'check that the drive is mounted and readable by your user');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damage('identity-corrupt', `the drive identity file ${file} is not valid JSON`, relabel);
  }
  const version = (parsed as { formatVersion?: unknown } | null)?.formatVersion;
  // Only a whole version number means "newer format"; 1e400 or 2.5 is damage, caught by the schema.
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > FORMAT_VERSION) {
    throw refusal('format-too-new', `drive ${file} was written by a newer airgap (format ${version}; this one reads up to ${FORMAT_VERSION})`, 'upgrade airgap; the snapshots can still be checked with sha256sum -c (see README.txt on the drive)');
  }
  const r = check(identitySchema, parsed);
  if (!r.ok) {
    throw damage('identity-corrupt', `the drive identity file ${file} is invalid: ${r.path.join('.') || '(root)'}: ${r.message}`, relabel);
  }
  return r.value;
}

const exists = (p: string) => stat(p).then(() => true, () => false);
