// The wizard's first steps: setting up (folders, drives, cadence → the init job, then the first
// schedule), waiting for a drive, and offering to label a new disk (never formatted).
import { readdir } from 'node:fs/promises';
import { EXIT, refusal, usageError } from '../core/errors.js';
import type { Detection } from '../drives/detect.js';
import { watchDrives } from '../drives/watch.js';
import { detect } from '../jobs/drive-lookup.js';
import { init } from '../jobs/init.js';
import { applyLabelJob, planLabelJob } from '../jobs/label.js';
import { schedule } from '../jobs/plan.js';
import type { Session } from '../jobs/session.js';
import type { Config } from '../state/config.js';
import type { Prompter } from '../ui/prompter.js';
import { bytes } from '../ui/render.js';
import { renderInit, renderLabel } from '../ui/render-setup.js';
import { renderScheduleText } from '../ui/render-schedule.js';
import type { Context } from './context.js';
import { cancelScope } from './interrupt.js';
import { askExcludes, askFolders } from './wizard-folders.js';
import { plural } from '../core/plural.js';
import type { EncryptionAnswers } from '../jobs/encryption-setup.js';
import { newPassphrase } from './secrets.js';

export interface WizardDeps {
  ctx: Context;
  /**
   * The wizard's session: config and catalog read once, shared by every job; renewed after a
   * wait for a drive (then `now` is sampled again).
   */
  s: Session;
  prompter: Prompter;
  /** No questions: safe defaults, or a clear exit 2 naming what is missing. */
  unattended: boolean;
  /** How long to wait for a drive to be plugged in (default: until Ctrl+C). */
  waitMs?: number;
  /** Runs one step; a failure is reported like a command's (error:, hint:) and becomes its exit code. */
  attempt: (step: () => Promise<number>) => Promise<number>;
}

export interface Wizard extends WizardDeps {
  say(text?: string): void;
  /** A JSON event (only in --json mode). */
  event(e: Record<string, unknown>): void;
  /** A job's result: its renderer's text, or (--json) the result as one JSON line. */
  show(result: unknown, text: string): void;
}

export async function setup(w: Wizard): Promise<number> {
  const p = w.prompter;
  w.say('Welcome to airgap: dated, offline copies of your files on a few rotating drives.');
  // One folder, then one pattern, per answer; a bad folder is asked again (cli/wizard-folders.ts).
  const folders = await askFolders(w);
  const excludes = await askExcludes(w);
  const names = (await p.input('Names of your backup drives (comma-separated; three is good)', 'A,B,C', (v) => (v.split(',').filter((x) => x.trim()).length ? true : 'at least one name')))
    .split(',').map((x) => x.trim()).filter(Boolean);
  const offsite = names.length > 1
    ? await p.select('Which drive lives away from home (at the office, with family)?', [...names.map((n) => ({ value: n })), { value: '-', name: 'none' }], names[1])
    : '-';
  const cadence = await p.select('How often will you back up?', [{ value: 'weekly', name: 'weekly (from today)' }, { value: 'daily' }], 'weekly');
  const encryption = await askEncryption(w, offsite);
  const code = await w.attempt(async () => {
    const r = await init(w.s, { sources: folders, excludes, drives: names, cadence, offsite: offsite === '-' ? [] : [offsite], ...(encryption ? { encryption } : {}) });
    w.show(r, renderInit(r));
    return EXIT.ok;
  });
  if (code !== EXIT.ok) return code;
  w.say('Your rotation for the coming weeks:');
  return w.attempt(async () => {
    const sch = await schedule(w.s, { weeks: '8' });
    w.show(sch, renderScheduleText(sch));
    return EXIT.ok;
  }).then(() => EXIT.ok);
}

/**
 * Encryption, offered at setup: recommended for the drive that leaves the house (a lost offsite
 * drive is otherwise a breach); the passphrase asked twice, hidden. Undefined: none.
 */
async function askEncryption(w: Wizard, offsite: string): Promise<EncryptionAnswers | undefined> {
  const choices = offsite !== '-'
    ? [{ value: 'offsite', name: `the offsite drive, ${offsite} (recommended: lost on the way, it leaks nothing)` }, { value: 'all', name: 'every drive' }, { value: 'none', name: 'none' }]
    : [{ value: 'all', name: 'every drive' }, { value: 'none', name: 'none' }];
  const which = await w.prompter.select('Encrypt which drives? (with age: restorable with the stock age tool and the passphrase)', choices, offsite !== '-' ? 'offsite' : 'none');
  if (which === 'none') return undefined;
  w.say('The passphrase opens every encrypted snapshot. Forget it and they are gone for good: once set up, print `airgap recovery-sheet` and keep it away from the drives.');
  const passphrase = await newPassphrase({}, {}, w.prompter);
  return { drives: which === 'offsite' ? 'offsite' : 'all', recipients: [], ...(passphrase !== undefined ? { passphrase } : {}) };
}

export async function waitForDrive(w: Wizard): Promise<boolean> {
  const stop = new AbortController();
  let arrived = false;
  const timer = w.waitMs ? setTimeout(() => stop.abort(), w.waitMs) : undefined;
  const cancel = cancelScope(() => stop.abort()); // Ctrl+C ends the wait (exit 130)
  try {
    await watchDrives({
      detect: () => detect(w.s), signal: stop.signal, clock: w.ctx.clock, intervalMs: w.ctx.watchIntervalMs, mountWaitMs: w.ctx.mountWaitMs,
      onEvent: (e) => {
        // The wizard waits only after finding no drive; one that is already there at the
        // watch's first look ("present") was plugged in meanwhile, and counts as arrived (else a
        // drive plugged in at once was never noticed). A disk not mounted yet is reported below.
        const usable = e.type === 'arrived' || (e.type === 'present' && !(e.drive.kind === 'unlabelled' && e.drive.mountpoints.length === 0));
        if (usable) {
          arrived = true;
          stop.abort();
        } else if (e.type === 'not-mounted') {
          w.ctx.stdout.write(`A disk (${e.device}) is plugged in but not mounted: mount it (airgap mount ${e.device}) or open it in your file manager.\n`);
        }
      },
    });
  } finally {
    if (timer) clearTimeout(timer);
    cancel.close();
  }
  // Time has passed while waiting: what happens next is decided for the moment the drive came.
  if (arrived) w.s = w.s.renewed();
  return arrived;
}

export async function offerLabel(w: Wizard, found: Detection, config: Config): Promise<number | undefined> {
  const disk = found.unlabelled[0]!;
  const where = disk.mountpoints[0];
  if (!where) {
    if (w.unattended) throw refusal('not-mounted', `a new disk ${disk.device} is plugged in but not mounted`, `mount it: airgap mount ${disk.device}`);
    w.say(`A new disk (${disk.device}) is plugged in but not mounted: mount it (airgap mount ${disk.device}), then come back.`);
    return waitForDrive(w).then((ok) => (ok ? undefined : EXIT.cancelled));
  }
  const entries = await readdir(where).catch(() => [] as string[]);
  w.say(`A new disk is connected: ${disk.description || disk.device}, ${disk.size ? bytes(disk.size) : 'size unknown'}, mounted at ${where}, holding ${plural(entries.length, 'item')}. airgap never formats it: it only adds an airgap/ folder.`);
  if (w.unattended) throw usageError('unlabelled-disk', `${where} is not an airgap drive yet, and labelling needs your say`, `label it: airgap label ${where} --name <NAME>`);
  // Labelling writes on the disk: keys typed while it was being looked for do not answer this.
  if (!(await w.prompter.confirm(`Use it as an airgap backup drive?`, true, { writes: true }))) return EXIT.ok;
  const catalog = await w.s.catalog();
  const free = config.drives.rotation.find((r) => !catalog.byName(r.name));
  const name = await w.prompter.input('Its name (write it on the drive too)', free?.name ?? 'A');
  // The question above was the confirmation: the label job's own question is not asked again.
  const code = await w.attempt(async () => {
    const r = await applyLabelJob(w.s, await planLabelJob(w.s, where, { name }));
    w.show(r, renderLabel(r));
    return EXIT.ok;
  });
  return code === EXIT.ok ? undefined : code;
}
