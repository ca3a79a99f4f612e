// The wizard's offer of a restore drill: when the connected drive's drill is overdue (the same
// rule as `airgap remind`, core/alerts.ts drillAlerts), one question before the menu; yes runs
// the drill job as `airgap drill <drive>` does, shown the same way. Nothing on the drive changes,
// so the question is not one that writes; a failed drill is shown and the menu comes next.
import type { LabelledDrive } from '../drives/detect.js';
import { drillOverdue } from '../jobs/status.js';
import { renderDrill } from '../ui/render-drill.js';
import { drillExit, drillWithProgress } from './commands/drill.js';
import type { Wizard } from './wizard-setup.js';

export async function offerDrill(w: Wizard, drive: LabelledDrive): Promise<void> {
  const name = drive.identity.name;
  const due = await drillOverdue(w.s, name).catch(() => undefined);
  if (!due) return;
  w.say(`Restore drill due: ${due.message.replace(/: run airgap drill .*$/, '')}.`);
  if (!(await w.prompter.confirm(`Run a restore drill of ${name} now? (a sample of its files restored into a temporary folder and checked; nothing on ${name} changes)`, true))) {
    w.say(`Later, then: airgap drill ${name}`);
    return;
  }
  await w.attempt(async () => {
    const r = await drillWithProgress(w.ctx, w.s, name, {});
    w.show(r, renderDrill(r, name));
    return drillExit(r);
  });
  w.say();
}
