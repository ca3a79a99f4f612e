// `airgap label <path> --name <NAME>`: plan, confirm (--yes, or a question on a terminal), apply.
// --encrypt first marks the drive encrypted in the config (setting encryption up when the config
// has none yet), so that the label writes drive.json and KEY.age as an encrypted drive's.
import { sameDriveName } from '../../core/drive-name.js';
import { EXIT, usageError } from '../../core/errors.js';
import { setUpEncryption } from '../../jobs/encryption-setup.js';
import { applyLabelJob, planLabelJob, type LabelOptions } from '../../jobs/label.js';
import type { Session } from '../../jobs/session.js';
import { keyFileBeside, setConfigEncryption } from '../../state/config-encryption.js';
import { readFile, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/durable.js';
import { renderLabel } from '../../ui/render-setup.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import type { SecretFlags } from '../secrets.js';
import { sessionOf } from '../session-of.js';
import { encryptionAnswers } from './init.js';

type LabelFlags = LabelOptions & SecretFlags & { yes?: boolean; encrypt?: boolean; recipient?: string[] };

export async function labelCommand(ctx: Context, pathArg: string, flags: LabelFlags): Promise<number> {
  const s = sessionOf(ctx);
  // --encrypt changes the config (and may make key.age) before the plan and the question: a
  // label that is refused or declined puts both back, so "nothing was changed" stays true.
  const undo = flags.encrypt ? await undoPoint(s.env.configPath) : undefined;
  let result;
  try {
    if (flags.encrypt) await markEncrypted(ctx, s, flags);
    const planned = await planLabelJob(s, pathArg, flags);
    if (!(await confirm(ctx, planned.question, flags.yes))) {
      await undo?.();
      ctx.stderr.write('nothing was changed\n');
      return EXIT.cancelled;
    }
    result = await applyLabelJob(s, planned);
  } catch (e) {
    await undo?.();
    throw e;
  }
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderLabel(result));
  return EXIT.ok;
}

/** Puts the config's text back and removes a key.age made since (the config is read as bytes: it stays as the user wrote it). */
async function undoPoint(configPath: string): Promise<() => Promise<void>> {
  const text = await readFile(configPath).catch(() => undefined);
  const keyFile = keyFileBeside(configPath);
  const hadKey = await stat(keyFile).then(() => true, () => false);
  return async () => {
    if (text) await writeFileAtomic(configPath, text);
    if (!hadKey) await rm(keyFile, { force: true });
  };
}

/** The config encrypts drive `flags.name` from now on (its keys set up first when it has none). */
async function markEncrypted(ctx: Context, s: Session, flags: LabelFlags): Promise<void> {
  const config = await s.configIfPresent();
  if (!config) throw usageError('no-config', 'label --encrypt needs a config: it keeps the keys the drive is encrypted to', 'run airgap init --encrypt first');
  const enc = config.encryption;
  if (!enc) {
    const answers = await encryptionAnswers(ctx, { ...flags, encrypt: flags.name });
    const block = await setUpEncryption(s.env.configPath, answers!, config.drives.rotation, s.now);
    await setConfigEncryption(s.env.configPath, block);
  } else if (enc.drives !== 'all' && !enc.drives.some((d) => sameDriveName(d, flags.name))) {
    if (flags.recipient?.length) throw usageError('recipient-not-here', 'this config already has its encryption keys: --recipient would change them for every encrypted drive', 'edit "encryption" in the config to add a key (a new full snapshot follows on each drive)');
    await setConfigEncryption(s.env.configPath, { ...enc, drives: [...enc.drives, flags.name] });
  }
  s.forgetConfig();
}
