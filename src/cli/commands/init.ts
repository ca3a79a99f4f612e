import { stat } from 'node:fs/promises';
import { sameDriveName } from '../../core/drive-name.js';
import { resolve } from 'node:path';
import { localDate, WEEKDAYS, type Weekday } from '../../core/calendar.js';
import { EXIT, refusal, usageError } from '../../core/errors.js';
import { checkConfig, saveConfig, type Config } from '../config.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';

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
}

export async function initCommand(ctx: Context, flags: InitFlags): Promise<number> {
  if (!flags.force && (await stat(ctx.configPath).then(() => true, () => false))) {
    throw refusal('config-exists', `a config already exists at ${ctx.configPath}`, 'edit it, or replace it with `airgap init --force ...`');
  }
  let sources = flags.source?.map((s) => resolve(s)) ?? [];
  let driveNames = flags.drives?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  let cadence: string = flags.cadence ?? 'weekly';
  if (sources.length === 0) {
    if (!ctx.interactive || flags.yes) throw usageError('no-sources', 'which folders should be backed up?', 'pass --source <dir> (repeatable)');
    const { input } = await import('@inquirer/prompts');
    const answer = await input({ message: 'Folders to back up (comma-separated):' });
    sources = answer.split(',').map((s) => resolve(s.trim())).filter(Boolean);
    if (driveNames.length === 0) {
      driveNames = (await input({ message: 'Names of your backup drives (comma-separated):', default: 'A,B,C' })).split(',').map((s) => s.trim()).filter(Boolean);
    }
    if (!flags.cadence) {
      const { select } = await import('@inquirer/prompts');
      cadence = await select({ message: 'How often will you back up?', choices: [{ value: 'weekly' }, { value: 'daily' }], default: 'weekly' });
    }
  }
  for (const s of sources) {
    const st = await stat(s).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('bad-source', `source ${s} does not exist or is not a folder`, 'give an existing folder with --source');
  }
  const days = cadence.split(',').map((d) => d.trim().toLowerCase());
  if (cadence !== 'daily' && cadence !== 'weekly' && !days.every((d) => WEEKDAYS.includes(d.slice(0, 3) as Weekday) && d.length >= 3)) {
    throw usageError('bad-cadence', `--cadence "${cadence}" is not daily, weekly, or a list of weekdays`, 'e.g. --cadence weekly, --cadence daily, --cadence sat or --cadence mon,thu');
  }
  // Offsite role for the second drive of three or more: the classic home/offsite/home rotation.
  const offsite = flags.offsite?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const rotation = driveNames.map((name, i) => ({
    name,
    role: offsite ? (offsite.some((o) => sameDriveName(o, name)) ? 'offsite' : 'home') : driveNames.length >= 3 && i === 1 ? 'offsite' : 'home',
  }));
  const parsed = checkConfig({
    version: 1, sources, excludes: flags.exclude ?? [], drives: { rotation },
    cadence: cadence === 'daily' || cadence === 'weekly' ? cadence : { weekdays: cadence.split(',').map((d) => d.trim().toLowerCase().slice(0, 3)) },
    policy: {
      scheme: flags.scheme ?? 'round-robin',
      // One drive cannot be written while another stays offline: a lone drive gets no air gap.
      offline: Math.min(1, Math.max(0, driveNames.length - 1)),
      start: localDate(ctx.clock(), -ctx.clock().getTimezoneOffset()),
    },
  });
  if (!parsed.ok) {
    throw usageError('bad-flags', `${parsed.path.join('.')}: ${parsed.message}`, 'check --drives (names like A,B,C), --cadence (daily, weekly, or weekdays like sat or mon,thu) and --scheme');
  }
  const config: Config = parsed.value;
  await saveConfig(ctx.configPath, config);
  if (ctx.json) printJson(ctx, { ok: true, configPath: ctx.configPath, config });
  else {
    ctx.stdout.write(`Wrote ${ctx.configPath}\n  back up: ${config.sources.join(', ')}\n  drives:  ${config.drives.rotation.map((d) => d.name).join(', ') || '(none yet)'}\n  cadence: ${typeof config.cadence === 'string' ? config.cadence : config.cadence.weekdays.join(', ')} (from ${config.policy.start}), ${config.policy.scheme}\n`);
    if (config.drives.rotation.length === 1) ctx.stdout.write('warning: with a single drive there is no air gap: add a second and a third drive (airgap init --force --drives A,B,C)\n');
    const first = config.drives.rotation[0];
    if (first) ctx.stdout.write(`Next: plug in a drive and run \`airgap label <mountpoint> --name ${first.name}\`.\n`);
  }
  return EXIT.ok;
}
