// The init job: the user's answers (folders, drive names, cadence, scheme, offsite drives)
// checked and written as the config. Asking for them is the caller's part (cli/commands/init.ts,
// the wizard's setup).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sameDriveName } from '../core/drive-name.js';
import { WEEKDAYS, type Weekday } from '../core/calendar.js';
import { refusal, usageError } from '../core/errors.js';
import { DEFAULT_RETENTION } from '../core/policy.js';
import { roomNeeded } from '../core/plan-capacity.js';
import { checkConfig, policyOf, saveConfig, type Config } from '../state/config.js';
import type { Session } from './session.js';
import { measureSources } from './source-size.js';
import { setUpEncryption, type EncryptionAnswers } from './encryption-setup.js';

export interface InitAnswers {
  sources: string[];
  excludes?: string[];
  drives: string[];
  /** daily, weekly (from today), or weekdays such as "sat" or "mon,thu". */
  cadence: string;
  scheme?: 'round-robin' | 'hanoi' | 'oldest-first';
  /** Drives kept offsite; undefined: the second of three or more. */
  offsite?: string[];
  /** Replace an existing config. */
  force?: boolean;
  /** Encrypt the drives (docs/FORMAT.md "Encrypted drives"). */
  encryption?: EncryptionAnswers;
}

export interface InitResult {
  ok: true;
  configPath: string;
  config: Config;
  /**
   * What each drive should hold at the sources' size today (issue 17 §2: warned before the first
   * drive is bought or labelled); undefined when the sources could not be measured.
   */
  room?: { sources: number; copies: number; perDrive: number };
}

/** Refused when a config exists and --force was not given (checked before any question is asked). */
export async function refuseExistingConfig(s: Session, force: boolean | undefined): Promise<void> {
  const path = s.env.configPath;
  if (!force && (await stat(path).then(() => true, () => false))) {
    throw refusal('config-exists', `a config already exists at ${path}`, 'edit it, or replace it with `airgap init --force ...`');
  }
}

export async function init(s: Session, a: InitAnswers): Promise<InitResult> {
  await refuseExistingConfig(s, a.force);
  const sources = a.sources.map((x) => resolve(x));
  for (const x of sources) {
    const st = await stat(x).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('bad-source', `source ${x} does not exist or is not a folder`, 'give an existing folder with --source');
  }
  const { cadence } = a;
  const days = cadence.split(',').map((d) => d.trim().toLowerCase());
  if (cadence !== 'daily' && cadence !== 'weekly' && !days.every((d) => WEEKDAYS.includes(d.slice(0, 3) as Weekday) && d.length >= 3)) {
    throw usageError('bad-cadence', `--cadence "${cadence}" is not daily, weekly, or a list of weekdays`, 'e.g. --cadence weekly, --cadence daily, --cadence sat or --cadence mon,thu');
  }
  // Offsite role for the second drive of three or more: the classic home/offsite/home rotation.
  const offsite = a.offsite?.map((x) => x.toLowerCase());
  const rotation = a.drives.map((name, i) => ({
    name,
    role: offsite ? (offsite.some((o) => sameDriveName(o, name)) ? 'offsite' : 'home') : a.drives.length >= 3 && i === 1 ? 'offsite' : 'home',
  }));
  const parsed = checkConfig({
    version: 1, sources, excludes: a.excludes ?? [], drives: { rotation },
    cadence: cadence === 'daily' || cadence === 'weekly' ? cadence : { weekdays: days.map((d) => d.slice(0, 3)) },
    policy: {
      scheme: a.scheme ?? 'round-robin',
      // One drive cannot be written while another stays offline: a lone drive gets no air gap.
      offline: Math.min(1, Math.max(0, a.drives.length - 1)),
      start: s.today,
      // Written out, so that the config shows every rule and editing one leaves the others as they are.
      retention: { ...DEFAULT_RETENTION },
    },
  });
  if (!parsed.ok) {
    throw usageError('bad-flags', `${parsed.path.join('.')}: ${parsed.message}`, 'check --drives (names like A,B,C), --cadence (daily, weekly, or weekdays like sat or mon,thu) and --scheme');
  }
  // The drive key is made only once everything else is known to be right. Replacing a config
  // (--force) without --encrypt keeps its encryption: key.age beside it may be the only way into
  // drives already written, and a config that forgot its drive key could never make a new one.
  if (a.encryption) parsed.value.encryption = await setUpEncryption(s.env.configPath, a.encryption, rotation, s.now);
  else if (a.force) {
    const kept = (await s.configIfPresent().catch(() => undefined))?.encryption;
    const names = kept?.drives;
    if (kept) parsed.value.encryption = { ...kept, drives: names === 'all' || !names ? 'all' : rotation.filter((d) => names.some((n) => sameDriveName(n, d.name))).map((d) => d.name) };
  }
  await saveConfig(s.env.configPath, parsed.value);
  s.forgetConfig();
  const result: InitResult = { ok: true, configPath: s.env.configPath, config: parsed.value };
  const policy = policyOf(parsed.value);
  const first = policy.drives[0];
  const sourceBytes = first ? await measureSources(parsed.value) : undefined;
  const need = first && sourceBytes ? roomNeeded({ policy, today: s.today }, first.name, sourceBytes) : undefined;
  if (need && sourceBytes) result.room = { sources: sourceBytes, copies: need.copies, perDrive: need.bytes };
  return result;
}
