// `airgap init`: the answers from the flags, or asked on a terminal when no --source is given;
// then the init job writes the config.
import { EXIT, usageError } from '../../core/errors.js';
import { init, refuseExistingConfig } from '../../jobs/init.js';
import { inquirerPrompter } from '../../ui/prompter.js';
import { renderInit } from '../../ui/render-setup.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';
import { askFolders } from '../wizard-folders.js';
import { newPassphrase, type SecretFlags } from '../secrets.js';
import type { EncryptionAnswers } from '../../jobs/encryption-setup.js';

export interface InitFlags {
  source?: string[];
  exclude?: string[];
  drives?: string;
  cadence?: string;
  scheme?: 'round-robin' | 'hanoi' | 'oldest-first';
  /** Drives kept offsite (comma-separated); default: the second of three or more. */
  offsite?: string;
  yes?: boolean;
  force?: boolean;
  /** --encrypt [all|offsite|names]: true when given without a value. */
  encrypt?: string | boolean;
  recipient?: string[];
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

/** --encrypt's answers: which drives, the keys given, and the passphrase (given, or asked twice on a terminal unless keys were given). */
export async function encryptionAnswers(ctx: Context, flags: InitFlags & SecretFlags): Promise<EncryptionAnswers | undefined> {
  if (!flags.encrypt) {
    if (flags.recipient?.length) throw usageError('recipient-without-encrypt', '--recipient is for --encrypt', 'add --encrypt (all drives), --encrypt offsite, or --encrypt B,C');
    return undefined;
  }
  const which = flags.encrypt === true || flags.encrypt === 'all' ? 'all' : flags.encrypt === 'offsite' ? 'offsite' : list(flags.encrypt);
  const recipients = flags.recipient ?? [];
  const prompter = ctx.interactive && recipients.length === 0 ? inquirerPrompter : undefined;
  const passphrase = await newPassphrase(flags, process.env, prompter);
  return { drives: which, recipients, ...(passphrase !== undefined ? { passphrase } : {}) };
}

export async function initCommand(ctx: Context, flags: InitFlags & SecretFlags): Promise<number> {
  const s = sessionOf(ctx);
  await refuseExistingConfig(s, flags.force);
  let sources = flags.source ?? [];
  let drives = flags.drives === undefined ? [] : list(flags.drives);
  let cadence = flags.cadence ?? 'weekly';
  if (sources.length === 0) {
    if (!ctx.interactive || flags.yes) throw usageError('no-sources', 'which folders should be backed up?', 'pass --source <dir> (repeatable)');
    // One folder per answer, checked as typed (a comma is part of a name): as the wizard asks.
    const asker = { prompter: inquirerPrompter, say: (text: string) => ctx.stdout.write(text + '\n') };
    sources = await askFolders(asker);
    if (drives.length === 0) drives = list(await inquirerPrompter.input('Names of your backup drives (comma-separated):', 'A,B,C'));
    if (!flags.cadence) cadence = await inquirerPrompter.select('How often will you back up?', [{ value: 'weekly' }, { value: 'daily' }], 'weekly');
  }
  const encryption = await encryptionAnswers(ctx, flags);
  const result = await init(s, {
    ...(encryption ? { encryption } : {}),
    sources, excludes: flags.exclude, drives, cadence, scheme: flags.scheme, force: flags.force,
    offsite: flags.offsite === undefined ? undefined : list(flags.offsite.toLowerCase()),
  });
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderInit(result));
  return EXIT.ok;
}
