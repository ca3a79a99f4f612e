// Finding the drive a command names, and what that says about trust: the drive is recorded as
// seen, an impostor is refused by writing commands, a changed hardware fingerprint is reported.
import { describeFingerprint, type FingerprintCheck } from '../core/drive-model.js';
import { refusal } from '../core/errors.js';
import { resolveDrive, type ResolvedDrive } from '../drives/resolve.js';
import { checkBinding, impostorHint, impostorMessage, type BindingCheck } from '../drives/binding.js';
import { bindRotationId } from '../state/config.js';
import type { Session } from './session.js';
import { driveLookup } from './drive-lookup.js';
import { isRetired } from './retire.js';
import { refreshFromDrive } from './catalog-sync.js';

export interface FoundDrive extends ResolvedDrive {
  fingerprintCheck: FingerprintCheck;
  binding: BindingCheck;
}

/**
 * Finds a drive and records that it was seen (best effort: a read-only home is no reason to
 * fail). A fingerprint that differs from the recorded one (a cloned drive, a copied identity
 * file) is reported; commands that write refuse it unless the user accepts it.
 * A drive that calls itself by the name of another known drive (another id: an impostor, a
 * copied drive.json) is refused outright by commands that write (`write`: exit 4); commands
 * that only read get a warning, and nothing about it is recorded. `bind`: the config's rotation
 * entry of that name, not yet bound, is bound to this drive's id (its first use).
 */
export async function findDrive(s: Session, spec: string, opts: { acceptFingerprint?: boolean; write?: boolean; bind?: boolean } = {}): Promise<FoundDrive> {
  const reg = await s.catalog();
  const drive = await resolveDrive(spec, await driveLookup(s));
  const config = await s.configIfReadable();
  const binding = checkBinding(drive.identity, reg, config?.drives.rotation ?? []);
  if (binding.status === 'impostor') {
    if (opts.write) throw refusal('not-your-drive', `${impostorMessage(drive.identity, drive.root, binding)}; nothing was written`, impostorHint(drive.identity, drive.root, binding));
    s.log.warn(`${impostorMessage(drive.identity, drive.root, binding)}; it is not recorded in the catalog`);
    return { ...drive, fingerprintCheck: { status: 'unknown' }, binding };
  }
  if (opts.write && isRetired(config, drive.identity)) {
    throw refusal('drive-retired', `drive ${drive.identity.name} at ${drive.root} is retired: out of the rotation, never written; nothing was written`,
      `its snapshots stay readable (list, verify, restore, find); to use it for backups again: airgap retire ${drive.identity.name} --undo`);
  }
  if (opts.bind && config && (await bindRotationId(s.env.configPath, drive.identity.name, drive.identity.id).catch(() => false))) {
    s.forgetConfig();
    s.log.note(`drive ${drive.identity.name} (id ${drive.identity.id}) is now bound to its name in the config ${s.env.configPath}`);
  }
  const check = reg.seen(drive.identity, drive.root, s.now, drive.fingerprint);
  await refreshFromDrive(s, reg, drive);
  if (check.status === 'mismatch') {
    if (opts.acceptFingerprint && drive.fingerprint) {
      reg.acceptFingerprint(drive.identity.id, drive.fingerprint);
      s.log.note(`accepted the new hardware fingerprint of drive ${drive.identity.name} (${describeFingerprint(drive.fingerprint)})`);
    } else {
      s.log.warn(fingerprintMessage(drive, check));
    }
  }
  await reg.save().catch((e: Error) => s.log.warn(`could not update ${reg.file}: ${e.message}`));
  return { ...drive, binding, fingerprintCheck: opts.acceptFingerprint && check.status === 'mismatch' ? { status: 'match' } : check };
}

export function fingerprintMessage(drive: ResolvedDrive, check: FingerprintCheck): string {
  if (check.status !== 'mismatch') return '';
  const diffs = check.fields.map((f) => `${f.field} was ${f.recorded}, now ${f.seen}`).join('; ');
  return `drive ${drive.identity.name} at ${drive.root} is not the disk first seen with that name (${diffs}): a cloned drive or a copied identity file?`;
}

/** Writing commands call this: a drive whose hardware changed is not written to unconfirmed. */
export function refuseFingerprintMismatch(drive: FoundDrive): void {
  if (drive.fingerprintCheck.status === 'mismatch') {
    throw refusal('fingerprint-mismatch', fingerprintMessage(drive, drive.fingerprintCheck),
      'if you replaced or cloned the drive on purpose, run again with --accept-fingerprint; otherwise relabel one of the two drives');
  }
}

