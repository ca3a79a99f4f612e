// `airgap` with no arguments: one guided flow from "drive plugged in" to "safe to unplug,
// bring B next". The wizard only asks and shows: every action is a job (init, label, verify,
// backup, restore, schedule, status, eject) run in one session, shown by the same renderers the
// commands use; every decision comes from the same planner, detection and core rules.
import { byDriveName } from '../core/drive-name.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EXIT, refusal, usageError } from '../core/errors.js';
import { planRotation } from '../core/planner.js';
import { mustVerifyBeforeWrite } from '../core/away-check.js';
import type { Detection, LabelledDrive } from '../drives/detect.js';
import { checkBinding, impostorHint, impostorMessage } from '../drives/binding.js';
import { detect } from '../jobs/drive-lookup.js';
import { connectedRotation, impostors, planInput } from '../jobs/planning.js';
import { schedule } from '../jobs/plan.js';
import { status } from '../jobs/status.js';
import { listFound, type ListRow } from '../jobs/list.js';
import { eject } from '../jobs/eject.js';
import { policyOf, type Config } from '../state/config.js';
import { renderPlan, renderStatus } from '../ui/render-plan.js';
import { renderScheduleText } from '../ui/render-schedule.js';
import { renderVerifyReport } from '../ui/render-verify.js';
import { renderRestore } from '../ui/render-restore.js';
import { renderEject } from '../ui/render-setup.js';
import { bytes } from '../ui/render.js';
import { renderRestoreChoice, renderSuspects } from '../ui/render-suspects.js';
import { verifyWithProgress } from './commands/verify.js';
import { restoreExit, restoreWithProgress } from './commands/restore.js';
import { printJson } from './output.js';
import { backupFlow, farewell, type DriveAtHand } from './wizard-backup.js';
import { offerLabel, setup, waitForDrive, type Wizard } from './wizard-setup.js';
import { offerDrill } from './wizard-drill.js';
import { plural } from '../core/plural.js';
import { driveHealthMessages } from '../core/drive-health.js';

export type { WizardDeps } from './wizard-setup.js';

export async function wizard(d: import('./wizard-setup.js').WizardDeps): Promise<number> {
  const w = wizardOf(d);
  // A config path named by AIRGAP_CONFIG that does not exist yet is where setup will write.
  let config = await w.s.configIfPresent();
  if (!config || config.drives.rotation.length === 0) {
    if (w.unattended) throw usageError('no-config', 'airgap is not set up yet, and there is no terminal to ask in', 'run: airgap init --source <dir> --drives A,B,C (or run airgap in a terminal)');
    const code = await setup(w);
    if (code !== EXIT.ok) return code;
    config = await w.s.configIfPresent();
    if (!config) return EXIT.internal;
  }
  const policy = policyOf(config);
  for (;;) {
    const catalog = await w.s.catalog();
    const found = await detect(w.s);
    const connected = connectedRotation(policy, found, catalog, config.drives.rotation);
    const plan = planRotation(planInput(policy, catalog, w.s, connected));
    w.event({ event: 'plan', plan });

    if (found.labelled.length === 0 && found.unlabelled.length === 0) {
      const what = plan.target ? `drive ${plan.target}${plan.due ? '' : ` (due ${plan.targetDate})`}` : 'a drive';
      if (w.unattended) throw refusal('no-drive', `no airgap drive is connected; plug in ${what}`, 'plug it in, then run airgap again');
      w.say(`Plug in ${what}. Waiting… (Ctrl+C to stop)`);
      if (!(await waitForDrive(w))) return EXIT.cancelled;
      continue;
    }
    if (found.labelled.length === 0) {
      const code = await offerLabel(w, found, config);
      if (code !== undefined) return code;
      continue;
    }
    // A drive that only claims a rotation name (another id) is not that drive: named, never offered.
    for (const x of impostors(found, catalog, config.drives.rotation)) w.say(`warning: ${x}`);
    const trusted = found.labelled.filter((l) => checkBinding(l.identity, catalog, config.drives.rotation).status !== 'impostor');
    if (trusted.length === 0) {
      const first = found.labelled[0]!;
      const b = checkBinding(first.identity, catalog, config.drives.rotation);
      if (b.status === 'impostor') throw refusal('not-your-drive', `${impostorMessage(first.identity, first.root, b)}; nothing was written`, impostorHint(first.identity, first.root, b));
    }
    return driveMenu(w, { ...found, labelled: trusted }, plan, config);
  }
}

function wizardOf(d: import('./wizard-setup.js').WizardDeps): Wizard {
  const { ctx } = d;
  return {
    ...d,
    say: (text = '') => ctx.stdout.write(ctx.json ? JSON.stringify({ event: 'say', text }) + '\n' : text + '\n'),
    event: (e) => ctx.json && ctx.stdout.write(JSON.stringify(e) + '\n'),
    // In the wizard's context jsonLines is set: printJson writes one object per line.
    show: (result, text) => (ctx.json ? printJson(ctx, result) : ctx.stdout.write(text)),
  };
}

type Action = 'backup' | 'verify' | 'verify-deep' | 'restore' | 'schedule' | 'status' | 'eject' | 'quit';

async function driveMenu(w: Wizard, found: Detection, plan: ReturnType<typeof planRotation>, config: Config): Promise<number> {
  const due = found.labelled.find((l) => l.identity.name === plan.target);
  const drive: LabelledDrive = due ?? found.labelled[0]!;
  const name = drive.identity.name;
  const entry = (await w.s.catalog()).byId(drive.identity.id);
  const role = byDriveName(config.drives.rotation, name);
  w.say(`Drive ${name} is connected at ${drive.root}${role ? ` (${role.role}${role.location ? `, ${role.location}` : ''})` : ' (not in the rotation)'}.`);
  w.say(`  ${plural(drive.snapshots, 'snapshot')}${drive.lastSnapshot ? `, newest ${drive.lastSnapshot}` : ''}${drive.space ? `, ${bytes(drive.space.free)} free` : ''}`);
  w.say(`  last written ${entry?.lastWrittenAt?.slice(0, 10) ?? 'never'}, verified ${entry?.lastVerifiedAt?.slice(0, 10) ?? 'never'}${entry?.lastVerifyOk === false ? ' (FAILED)' : ''}`);
  // The disk's own health (airgap health's readings, verify's read errors), as status gives it:
  // the person holding the drive is the one who can replace it.
  for (const line of driveHealthMessages(name, entry?.health ?? [], entry?.readErrors ?? [])) w.say(`  ALERT: ${line}`);
  // SUSPECT snapshots (here, or open on another drive) with the way out, before any choice is made.
  const elsewhere = (await w.s.catalog()).unacceptedSuspects().filter((x) => x.drive !== name);
  for (const line of renderSuspects(name, await suspectRows(w, drive), elsewhere)) w.say(`  ${line}`);
  w.say();
  w.say(renderPlan(plan).trimEnd());
  if (!due && plan.target && plan.due) w.say(`note: ${name} is not the due drive (${plan.target} is).`);
  w.say();
  if (!w.unattended) await offerDrill(w, drive);
  // Decided from what the host knew before this visit (a verify from the menu records the drive as seen).
  const atHand: DriveAtHand = { drive, away: mustVerifyBeforeWrite({ role: role?.role, lastSeenAt: entry?.lastSeenAt, snapshots: drive.snapshots, now: w.s.now }) };

  for (;;) {
    const action: Action = w.unattended ? 'backup' : await w.prompter.select<Action>('What now?', [
      { value: 'backup', name: `Back up to ${name} now` },
      { value: 'verify', name: `Verify ${name} (checksums)` },
      { value: 'verify-deep', name: `Verify ${name} deeply (every file)` },
      { value: 'restore', name: `Restore files from ${name}` },
      { value: 'schedule', name: 'Show the schedule' },
      { value: 'status', name: 'Show the status of all drives' },
      { value: 'eject', name: `Eject ${name}` },
      { value: 'quit', name: 'Quit' },
    ], plan.due && due ? 'backup' : 'verify');
    if (action === 'backup') return backupFlow(w, atHand, plan, config);
    if (action === 'quit') return EXIT.ok;
    await menuAction(w, action, drive);
    if (action === 'eject') {
      w.say(await farewell(w, name, config));
      return EXIT.ok;
    }
  }
}

/** One menu action; a failure is reported (error: and hint:) and the menu comes back. */
async function menuAction(w: Wizard, action: Exclude<Action, 'backup' | 'quit'>, drive: LabelledDrive): Promise<number> {
  const { ctx, s } = w;
  const name = drive.identity.name;
  return w.attempt(async () => {
    switch (action) {
      case 'verify':
      case 'verify-deep': {
        const report = await verifyWithProgress(ctx, s, name, { deep: action === 'verify-deep' });
        w.show(report, renderVerifyReport(report, report.seconds));
        return report.ok ? EXIT.ok : EXIT.damaged;
      }
      case 'restore': {
        const choice = renderRestoreChoice(name, await suspectRows(w, drive));
        if (choice) w.say(choice);
        const to = await w.prompter.input('Restore into which folder? (new, or one where no file would be replaced)', join(homedir(), `airgap-restore-${s.today}`));
        // One path per answer: a comma is an ordinary character in a file name ("Letters, 2024").
        const paths: string[] = [];
        for (;;) {
          const typed = (await w.prompter.input(paths.length ? 'Another file or folder? (empty to finish)' : 'Which file or folder? (a path inside the snapshot; empty for everything)', '')).trim();
          if (!typed) break;
          paths.push(typed);
        }
        const r = await restoreWithProgress(ctx, s, name, paths, { to });
        w.show(r, renderRestore(r, r.drive));
        return restoreExit(r, { to });
      }
      case 'schedule': {
        const sch = await schedule(s, { weeks: '13' });
        w.show(sch, renderScheduleText(sch));
        return EXIT.ok;
      }
      case 'status': {
        const st = await status(s);
        w.show(st, renderStatus(st));
        return EXIT.ok;
      }
      case 'eject': {
        const r = await eject(s, name);
        w.show(r, renderEject(r));
        return EXIT.ok;
      }
    }
  });
}

/** The drive's snapshots as `airgap list` marks them; a drive that cannot be listed just shows no marks (the actions say why). */
async function suspectRows(w: Wizard, drive: LabelledDrive): Promise<ListRow[]> {
  return (await listFound(w.s, drive).catch(() => undefined))?.snapshots ?? [];
}
