// airgap recovery-sheet: what a person needs, on one printed page, to restore the encrypted
// drives with stock tools when this computer, its config and key.age are gone: the drives and
// what each holds, the keys they are encrypted to, the drive key's SECRET (opened here with the
// passphrase), and the commands. The sheet is a secret: the renderer says so at the top.
import { sameDriveName } from '../core/drive-name.js';
import { refusal } from '../core/errors.js';
import { recipientOf } from '../crypto/age-keys.js';
import { identitiesFor } from '../io/keys.js';
import { keyFileBeside } from '../state/config-encryption.js';
import type { Session } from './session.js';

export interface SheetDrive {
  name: string;
  role: string;
  location?: string;
  encrypted: boolean;
  /** What the catalog last saw on it: how many snapshots, the oldest and the newest. */
  snapshots: number;
  oldest?: string;
  newest?: string;
}

export interface RecoverySheet {
  ok: true;
  made: string;
  drives: SheetDrive[];
  /** Every recipient; `driveKey` marks the one whose secret follows. */
  recipients: { recipient: string; driveKey: boolean }[];
  /** AGE-SECRET-KEY-1…: the drive key, unwrapped with the passphrase (absent: no drive key in this rotation). */
  driveKeySecret?: string;
}

export async function recoverySheet(s: Session): Promise<RecoverySheet> {
  const config = await s.config();
  const enc = config?.encryption;
  if (!config || !enc) throw refusal('not-encrypted', 'this config encrypts no drive: there is no key to put on a recovery sheet', 'set encryption up with airgap init --encrypt (or airgap label <path> --name <NAME> --encrypt)');
  const catalog = await s.catalog();
  const drives = config.drives.rotation.map((d): SheetDrive => {
    const seen = d.id ? catalog.byId(d.id) : catalog.byName(d.name);
    const ids = (seen?.snapshots ?? []).filter((x) => x.state === 'complete').map((x) => x.id).sort();
    return {
      name: d.name, role: d.role, ...(d.location ? { location: d.location } : {}),
      encrypted: enc.drives === 'all' || enc.drives.some((n) => sameDriveName(n, d.name)),
      snapshots: ids.length, ...(ids.length ? { oldest: ids[0], newest: ids.at(-1) } : {}),
    };
  });
  const sheet: RecoverySheet = {
    ok: true, made: s.now.toISOString(), drives,
    recipients: enc.recipients.map((r) => ({ recipient: r, driveKey: r === enc.driveKey })),
  };
  if (enc.driveKey) sheet.driveKeySecret = await driveKeySecret(s, enc.driveKey);
  return sheet;
}

/** The drive key's secret: key.age beside the config, opened with the passphrase (the run's key source). */
async function driveKeySecret(s: Session, driveKey: string): Promise<string> {
  for (const id of await identitiesFor(keyFileBeside(s.env.configPath))) {
    if (id.kind === 'key' && (await recipientOf(id.identity)) === driveKey) return id.identity;
  }
  throw refusal('drive-key-not-opened', 'the drive key was not among the keys opened', 'give the passphrase (--passphrase-file FILE, --passphrase-env VAR, or at the prompt), not a key file of your own');
}
