// Setting up and putting away, in words: the config init wrote, a labelled drive, an ejected one.
import type { InitResult } from '../jobs/init.js';
import type { LabelResult } from '../jobs/label.js';
import type { EjectResult } from '../jobs/eject.js';
import { describeRetention, retentionAsWritten } from '../core/policy.js';
import { humanBytes } from '../core/human-bytes.js';

export function renderInit(r: InitResult): string {
  const c = r.config;
  let out = `Wrote ${r.configPath}\n  back up: ${c.sources.join(', ')}\n  drives:  ${c.drives.rotation.map((d) => d.name).join(', ') || '(none yet)'}\n  cadence: ${typeof c.cadence === 'string' ? c.cadence : c.cadence.weekdays.join(', ')} (from ${c.policy.start}), ${c.policy.scheme}\n`;
  // Which drive leaves the house is the one decision init may have made on its own (the second
  // of three by default): said back, so that the user knows which one to take away.
  const offsite = c.drives.rotation.filter((d) => d.role === 'offsite').map((d) => d.name);
  if (offsite.length) out += `  offsite: ${offsite.join(', ')} (keep ${offsite.length === 1 ? 'it' : 'them'} away from home, e.g. at work; brought back only to be written)\n`;
  else if (c.drives.rotation.length > 1) out += '  offsite: none (every drive stays at home; name one with airgap init --force --offsite <NAME>)\n';
  // The rules that decide what is pruned, said back once: the config holds them, as written.
  out += `  keeps:   ${describeRetention(retentionAsWritten(c.policy.retention))} on each drive ("policy.retention" in the config; a rule left out is off: docs/rotation.md)\n`;
  // The drive size those rules need at today's size of the sources, before a drive is chosen.
  if (r.room) {
    const why = c.format >= 2 // formats 2 and 3 keep chains
      ? 'one full copy, increments after it, and room for a second full to start a new chain'
      : `the rules keep up to ${r.room.copies - 1} whole copies, ${r.room.copies} while a backup writes; a smaller drive, down to about ${humanBytes(Math.ceil(r.room.perDrive * 2 / r.room.copies))}: "fit": true keeps as many as fit (docs/rotation.md)`;
    out += `  room:    about ${humanBytes(r.room.perDrive)} or more on each drive: the sources are ${humanBytes(r.room.sources)} today; ${why}\n`;
  }
  const enc = c.encryption;
  if (enc) {
    const which = enc.drives === 'all' ? 'every drive' : enc.drives.length ? `drives ${enc.drives.join(', ')}` : 'no drive yet (name one with airgap label --encrypt)';
    const own = enc.recipients.filter((r) => r !== enc.driveKey).length;
    const keys = [enc.driveKey ? 'the passphrase (it opens the drive key, key.age beside the config and KEY.age on each drive)' : '', own ? `${own} key${own === 1 ? '' : 's'} of your own` : ''].filter(Boolean).join(', or ');
    out += `  encrypt: ${which}, with age; restoring needs ${keys}\n`;
    out += 'warning: without the passphrase and without a key, the encrypted backups cannot be read by anyone: print the recovery sheet (airgap recovery-sheet) and keep it away from the drives\n';
  }
  if (c.drives.rotation.length === 1) out += 'warning: with a single drive there is no air gap: add a second and a third drive (airgap init --force --drives A,B,C)\n';
  const first = c.drives.rotation[0];
  if (first) out += `Next: plug in a drive and run \`airgap label <mountpoint> --name ${first.name}\`.\n`;
  return out;
}

export function renderLabel(r: LabelResult): string {
  return `Labelled ${r.path} as airgap drive "${r.drive.name}" (id ${r.drive.id}).\nA README on the drive (${r.airgapDir}/README.txt) explains how to verify and restore without airgap.\n`
    + r.warnings.map((w) => `warning: ${w}\n`).join('');
}

export function renderEject(r: EjectResult): string {
  if (r.simulated) return `Drive ${r.drive} is simulated (under --drives-root): nothing to eject.\n`;
  return `Drive ${r.drive} is unmounted${r.poweredOff ? ' and powered off' : ''}: safe to unplug.${r.note ? ` (${r.note})` : ''}\n`;
}
