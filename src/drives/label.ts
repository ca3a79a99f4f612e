// `airgap label`: turn a mounted drive (or a simulated one) into an airgap drive. Only writes
// the airgap/ folder's identity file, README and verify.html; never formats, never touches other files.
import { byDriveName } from '../core/drive-name.js';
import type { Stats } from 'node:fs';
import { access, constants, lstat, mkdir, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { Fingerprint } from '../core/drive-model.js';
import { AirgapError, isAirgapError, refusal, usageError } from '../core/errors.js';
import { driveReadme } from '../layout/drive-readme.js';
import { refreshVerifyPage } from '../layout/verify-page.js';
import { DRIVE_DIR, DRIVE_NAME_RE, DRIVE_README, FORMAT_VERSION, IDENTITY_FILE, identitySchema, type DriveIdentity } from '../layout/format.js';
import { check } from '../core/validate.js';
import { driveWriteError } from '../core/io-errors.js';
import { fsyncDir, writeFileAtomic } from '../io/durable.js';
import { failpoint } from '../io/failpoint.js';
import { readRegularFile } from '../io/read-regular.js';
import { checkAirgapFolder, locateDrive, readIdentity } from '../layout/identity.js';
import type { Catalog } from '../state/catalog.js';
import type { RotationBinding } from './binding.js';
import { DriveLock } from '../layout/drive-lock.js';
import { ensureDriveKey } from '../layout/drive-key.js';
import { probeFilesystem, unsafeFilesystem } from './file-size-limit.js';

export interface LabelInput {
  path: string;
  name: string;
  force: boolean;
  registry: Catalog;
  /** Folders under this root are simulated drives: exempt from the same-filesystem check. */
  drivesRoot?: string;
  sources: string[];
  /** The config's rotation: a name bound there to another drive's id is taken. */
  rotation?: RotationBinding[];
  /** airgap replace: the id of the drive whose name this label takes over (its name is not "taken"); the disk checks apply even with force. */
  replacing?: string;
  /** Where a fusefat mount can be told (Linux). */
  platform?: NodeJS.Platform;
  now: Date;
  newId: () => string;
  host: string;
  toolVersion: string;
  /** The config encrypts this drive: drive.json says so (and names no host), and KEY.age goes on it when the rotation has a drive key. */
  encryption?: { recipients: string[]; wrappedKey?: Buffer };
}

export interface LabelPlan {
  identity: DriveIdentity;
  airgapDir: string;
  relabel: boolean;
  previousName?: string;
  /** Relabelling over an identity file that could not be read: what was wrong with it. */
  damaged?: string;
  /** ...and whether the drive keeps the id the catalog knew it by (else it gets a new one). */
  keptId?: boolean;
}

/** Checks everything and decides what to write; writes nothing. */
export async function planLabel(input: LabelInput): Promise<LabelPlan> {
  const { path, name } = input;
  if (!DRIVE_NAME_RE.test(name)) {
    throw usageError('bad-name', `"${name}" is not a valid drive name`, 'use 1-40 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. A, office-2)');
  }
  const st = await writableFolder(path);
  const simulated = input.drivesRoot !== undefined && isInside(input.drivesRoot, path);
  if (!simulated && (!input.force || input.replacing !== undefined)) await checkSeparateDisk(input, st.dev);
  // Labelling itself would work, but no backup could ever be written there: refused now, not at the first backup.
  if ((await probeFilesystem(path, undefined, input.platform ?? 'linux').catch(() => undefined))?.fusefat) {
    const e = unsafeFilesystem(name);
    throw refusal('unsafe-filesystem', `${path} is mounted with fusefat, which loses the contents of renamed folders: airgap could never write a backup there`, e.hint);
  }
  // An `airgap` entry that is a symlink or a mount of another filesystem is refused, even with
  // --force: labelling through it would write off the drive.
  await checkAirgapFolder(path, join(path, DRIVE_DIR));
  const existing = await locateDrive(path);
  const { identity: kept, previousName, damaged, keptId } = existing ? await relabelled(input, existing.airgapDir) : NOT_RELABELLED;
  checkNameFree(input, kept?.id);
  const identity: DriveIdentity = kept ?? {
    format: 'airgap-drive',
    formatVersion: FORMAT_VERSION,
    id: input.newId(),
    name,
    createdAt: input.now.toISOString(),
    createdBy: `airgap ${input.toolVersion}`,
    host: input.host,
  };
  return { identity: withEncryption(identity, input.encryption), airgapDir: join(path, DRIVE_DIR), relabel: existing !== undefined, previousName, ...(damaged ? { damaged, keptId } : {}) };
}

/** The mountpoint must be a folder this user may write to. */
async function writableFolder(path: string): Promise<Stats> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isDirectory()) throw usageError('no-such-path', `${path} does not exist or is not a folder`, 'give the folder where the drive is mounted (see `df -h` or your file manager)');
  try {
    await access(path, constants.W_OK);
  } catch {
    throw refusal('drive-not-writable', `${path} is not writable`, 'mount the drive read-write, or check that your user may write to it');
  }
  return st;
}

/** A backup on the system disk or on a source's disk is no backup: it dies with the original. */
async function checkSeparateDisk(input: LabelInput, dev: number): Promise<void> {
  const { path } = input;
  const root = await stat('/');
  if (root.dev === dev) {
    throw refusal('system-disk', `${path} is on the same disk as the system (/), not on a separate drive`,
      'plug in the backup drive and give its mountpoint; use --force only for a deliberate test');
  }
  for (const src of input.sources) {
    const s = await stat(src).catch(() => undefined);
    if (s && s.dev === dev) {
      throw refusal('source-disk', `${path} is on the same disk as the source ${src}: a backup there dies with the original`,
        'use a separate drive; use --force only if this really is an offline copy');
    }
  }
}

/** What a relabel keeps of the drive's identity (none: it gets a new one). */
interface Relabelled {
  identity?: DriveIdentity;
  previousName?: string;
  damaged?: string;
  keptId: boolean;
}

const NOT_RELABELLED: Relabelled = { keptId: false };

/** drive.json of an encrypted drive names its recipients and no host (an outsider reads it); a plain one has no encryption field. */
function withEncryption(identity: DriveIdentity, encryption: LabelInput['encryption']): DriveIdentity {
  const { encryption: _old, ...rest } = identity;
  return encryption ? { ...rest, host: '', encryption: { scheme: 'age', recipients: [...encryption.recipients] } } : rest;
}

/** The drive is already an airgap drive: refused without --force, else what its new identity keeps. */
async function relabelled(input: LabelInput, airgapDir: string): Promise<Relabelled> {
  const { path, name } = input;
  let damaged: string | undefined;
  const current = await readIdentity(airgapDir).catch((e: unknown) => {
    if (!isAirgapError(e)) throw e;
    damaged = e.message;
    if (input.force) return undefined;
    // Damaged or not, it is an airgap drive: never label over it silently, and say what is wrong.
    throw refusal('already-labelled', `${path} is already an airgap drive, but ${e.message}`,
      e.code === 'identity-corrupt' ? `relabel it (its snapshots are kept): airgap label ${path} --name ${name} --force` : e.hint);
  });
  if (!input.force) {
    throw refusal('already-labelled', `${path} is already airgap drive "${current!.name}"`,
      'use it as it is, or relabel with --force (its snapshots are kept)');
  }
  if (current) return { identity: { ...current, name }, previousName: current.name, keptId: false };
  // The identity is damaged, but this computer knows which drive was last seen here: keep its id,
  // so that the catalog's history and the snapshots (which name the drive's id) stay linked.
  const here = input.registry.drives.find((d) => d.lastPath === path);
  const kept = here && check(identitySchema, { format: 'airgap-drive', formatVersion: FORMAT_VERSION, id: here.id, name, createdAt: here.labelledAt, createdBy: `airgap ${input.toolVersion}`, host: input.host });
  return kept?.ok ? { identity: kept.value, damaged, keptId: true } : { damaged, keptId: false };
}

/** The name must not belong to another drive, in the catalog or in the config's rotation. */
function checkNameFree(input: LabelInput, id: string | undefined): void {
  const { name } = input;
  const other = input.registry.byName(name);
  if (other && other.id !== id && other.id !== input.replacing) {
    throw usageError('name-taken', `the name "${name}" is already used by another drive (id ${other.id}, last seen at ${other.lastPath})`,
      `if drive ${name} is lost, retired or was reformatted and this disk takes its place: airgap replace ${name} ${input.path}; otherwise choose another name, e.g. the next letter`);
  }
  const bound = input.rotation ? byDriveName(input.rotation, name)?.id : undefined;
  if (bound && bound !== id && bound !== input.replacing) {
    throw usageError('name-taken', `the config binds rotation drive "${name}" to another drive (id ${bound})`,
      `if drive ${name} is lost, retired or was reformatted and this disk takes its place: airgap replace ${name} ${input.path}; otherwise choose another name`);
  }
}

/**
 * Writes the label under the drive lock, like every other writer: two labels at once, or a
 * relabel during a backup, never both go ahead. Under the lock the drive is checked again: it
 * must still be as planLabel() saw it.
 */
export async function applyLabel(plan: LabelPlan, input: Pick<LabelInput, 'registry' | 'path' | 'now' | 'encryption'> & { fingerprint?: Fingerprint }): Promise<void> {
  const shownName = plan.previousName ?? plan.identity.name;
  let lock: DriveLock | undefined;
  try {
    const created = await mkdir(plan.airgapDir).then(() => true, (e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') return false;
      throw e;
    });
    // The new folder's entry in the drive root must survive a power cut like the files in it.
    if (created) await fsyncDir(input.path);
    await checkAirgapFolder(input.path, plan.airgapDir);
    lock = await DriveLock.acquire(plan.airgapDir, shownName, 'label');
    failpoint('label:locked');
    const file = join(plan.airgapDir, IDENTITY_FILE);
    const there = await lstat(file).then(() => true, () => false);
    if (!plan.relabel && there) {
      throw refusal('already-labelled', `${input.path} was labelled by another airgap process meanwhile`, 'see what it is now: airgap list ' + input.path);
    }
    if (plan.relabel && plan.previousName !== undefined) {
      const now = await readIdentity(plan.airgapDir).catch(() => undefined);
      if (now?.id !== plan.identity.id || now.name !== plan.previousName) {
        throw refusal('label-changed', `the identity of the drive at ${input.path} changed while this label was waiting (now ${now ? `"${now.name}", id ${now.id}` : 'unreadable'})`, 'look at the drive again (airgap list), then run the label again if still needed');
      }
    }
    // The drive key first: a drive marked encrypted always carries the key its passphrase opens.
    if (input.encryption?.wrappedKey) await ensureDriveKey(plan.airgapDir, input.encryption.wrappedKey, plan.identity.name);
    await writeFileAtomic(file, JSON.stringify(plan.identity, null, 2) + '\n');
    await writeFileAtomic(join(plan.airgapDir, DRIVE_README), driveReadme(plan.identity));
    await refreshVerifyPage(plan.airgapDir);
  } catch (e) {
    if (e instanceof AirgapError) throw e;
    throw driveWriteError(e as NodeJS.ErrnoException, plan.identity.name) ?? e;
  } finally {
    await lock?.release();
  }
  // The hardware fingerprint is recorded now, so that a clone shows up later.
  if (input.fingerprint) input.registry.acceptFingerprint(plan.identity.id, input.fingerprint);
  input.registry.seen(plan.identity, input.path, input.now, input.fingerprint);
  await input.registry.save();
}

/**
 * Brings a drive's README.txt up to date with this version of airgap: a drive labelled by an
 * older version keeps instructions that may since have been corrected (issue 14: the old README
 * restored onto the backup drive itself). The caller holds the drive lock. Rewritten only when
 * its text differs; an unreadable or odd README (a link, a folder) is replaced by the rename,
 * never followed. Returns whether it was rewritten.
 */
export async function refreshDriveReadme(airgapDir: string, identity: DriveIdentity): Promise<boolean> {
  const path = join(airgapDir, DRIVE_README);
  const want = driveReadme(identity);
  const have = await readRegularFile(path, { maxBytes: 1 << 20 }).then((b) => b.toString('utf8'), () => undefined);
  if (have === want) return false;
  const st = await lstat(path).catch(() => undefined);
  if (st?.isDirectory()) return false; // not ours to remove; list reports it
  await writeFileAtomic(path, want);
  return true;
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
