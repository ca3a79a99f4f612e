// The wizard's backup: a drive that has been away is verified first (core/away-check.ts); the
// due-drive question; the backup job; when the mass-change gate trips, the question whether the
// changes are the user's; then eject and the physical instruction ("Unplug A and …; next: …").
import { EXIT, refusal } from '../core/errors.js';
import type { Plan } from '../core/planner.js';
import type { LabelledDrive } from '../drives/detect.js';
import { suspectError, type BackupResult } from '../jobs/backup.js';
import { eject } from '../jobs/eject.js';
import { nextStep, nextStepSentence } from '../jobs/next-step.js';
import type { Config } from '../state/config.js';
import { renderBackup } from '../ui/render-backup.js';
import { renderEject } from '../ui/render-setup.js';
import { renderVerifyReport } from '../ui/render-verify.js';
import { backupWithProgress } from './commands/backup.js';
import { verifyWithProgress } from './commands/verify.js';
import type { Wizard } from './wizard-setup.js';

export interface DriveAtHand {
  drive: LabelledDrive;
  /** It has been away: verified before anything on it changes. */
  away: boolean;
}

export async function backupFlow(w: Wizard, at: DriveAtHand, plan: Plan, config: Config): Promise<number> {
  const name = at.drive.identity.name;
  if (at.away) {
    w.say(`${name} has been away: verifying it before anything on it changes.`);
    const v = await w.attempt(async () => {
      const report = await verifyWithProgress(w.ctx, w.s, name, {});
      w.show(report, renderVerifyReport(report, report.seconds));
      return report.ok ? EXIT.ok : EXIT.damaged;
    });
    if (v !== EXIT.ok) {
      w.say(`${name} is DAMAGED (see above). Nothing was written or pruned. Safest next step: keep ${name} as it is, back up to another drive of the rotation, and restore what you need from the others (airgap find ${name} <name> --all-snapshots).`);
      return EXIT.damaged;
    }
  }
  const notDue = plan.target && plan.target !== name && plan.due;
  if (!w.unattended) {
    // Questions that lead to a write take only keys typed once they are shown: an Enter pressed
    // during the verify above is dropped (ui/discard-typeahead.ts), never read as "yes".
    if (notDue && !(await w.prompter.confirm(`${name} is not the due drive (${plan.target} is). Write to ${name} anyway?`, false, { writes: true }))) return EXIT.ok;
    if (!(await w.prompter.confirm(`Write today's snapshot to ${name}?`, true, { writes: true }))) return EXIT.ok;
  } else if (notDue) {
    throw refusal('not-due-drive', `${name} is connected, but ${plan.target} is the due drive`, `plug in ${plan.target}, or run airgap backup --drive ${name} to write ${name} anyway`);
  }
  let outcome = await backupStep(w, name, false);
  if (typeof outcome === 'object' && !w.unattended) {
    // The mass-change gate tripped: the report is above; the snapshot was kept as evidence.
    // Accepting lets pruning delete old snapshots: a key typed during the backup is no answer.
    if (await w.prompter.confirm('The changes above look like ransomware or a broken sync. Are they yours (open a few files to check), and should airgap accept them?', false, { writes: true })) {
      outcome = await backupStep(w, name, true);
    } else {
      const id = outcome.suspect;
      w.say(`Nothing was pruned, and nothing will be until you answer for ${id}. Safest next step: unplug ${name} now and check the computer; then restore the damaged files (airgap restore ${name} --to <folder> takes the newest snapshot that is not SUSPECT), and once they are recovered: airgap reject ${name} ${id} (it stays as evidence, pruning resumes). If the changes were yours after all: airgap accept ${name} ${id}.`);
      return EXIT.refused;
    }
  }
  if (outcome !== EXIT.ok) {
    const code = typeof outcome === 'object' ? EXIT.refused : outcome;
    w.say(code === EXIT.refused ? 'The backup was refused (see above): nothing was pruned.' : 'The backup did not complete (see above).');
    return code;
  }
  if (!w.unattended) {
    if (await w.prompter.confirm(`Eject ${name} now?`, true)) {
      await w.attempt(async () => {
        const r = await eject(w.s, name);
        w.show(r, renderEject(r));
        return EXIT.ok;
      });
    } else {
      // Unplugged without an eject, the last writes may still sit in the computer's cache.
      w.say(`Before you unplug ${name}, run: airgap eject ${name} (it finishes the writes and unmounts the drive).`);
    }
  }
  w.say(await farewell(w, name, config));
  return EXIT.ok;
}

/** One backup to the named drive: its result shown; a suspect snapshot is shown with the refusal, and its id returned. */
async function backupStep(w: Wizard, name: string, acceptChanges: boolean): Promise<number | { suspect: string }> {
  let result: BackupResult | undefined;
  const code = await w.attempt(async () => {
    result = await backupWithProgress(w.ctx, w.s, { drive: name, acceptChanges });
    if (result.outcome !== 'suspect') {
      w.show(result, renderBackup(result));
      return EXIT.ok;
    }
    if (!w.ctx.json) w.ctx.stdout.write(renderBackup(result));
    throw suspectError(result);
  });
  return result?.outcome === 'suspect' ? { suspect: result.snapshot } : code;
}

/** The physical instruction: where this drive goes now, and which one comes next, when. */
export async function farewell(w: Wizard, name: string, config: Config): Promise<string> {
  return nextStepSentence((await nextStep(w.s, name, config))!);
}
