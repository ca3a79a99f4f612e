// `airgap accept <drive> <snapshot>` and `airgap reject <drive> <snapshot> [--delete]`: plan,
// confirm (--yes, or a question on a terminal), apply; recorded in the run history.
import { EXIT } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { applyDecision, planDecision, type Decision, type DecisionResult } from '../../jobs/suspect-decision.js';
import { displayText } from '../../ui/render.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function decisionCommand(ctx: Context, decision: Decision, spec: string, snapshot: string, flags: { yes?: boolean; delete?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planDecision(s, decision, spec, snapshot, flags);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const r = await recordRun(ctx, s, decision, planned.drive.name, () => applyDecision(s, planned), () => ({
    outcome: 'ok', exitCode: EXIT.ok, drive: planned.drive.name, snapshot: planned.snapshot,
  }));
  if (ctx.json) {
    printJson(ctx, { ok: true, decision, drive: r.drive.name, snapshot: r.snapshot, deleted: r.deleted, stillOpen: r.stillOpen,
      ...(r.baselineSetAside ? { baselineSetAside: r.baselineSetAside } : {}) });
  } else ctx.stdout.write(renderDecision(r));
  return EXIT.ok;
}

function renderDecision(r: DecisionResult): string {
  const lines = r.decision === 'accept'
    ? [`Accepted snapshot ${r.snapshot} on ${r.drive.name}: its changes are yours, and it is no longer SUSPECT on this computer.`,
      ...(r.baselineSetAside ? [`The gate's record of these sources from before the changes was set aside: the next backup compares them with the newest snapshot of them on its drive.`] : [])]
    : [r.deleted
      ? `Rejected snapshot ${r.snapshot} on ${r.drive.name} and deleted it from the drive.`
      : `Rejected snapshot ${r.snapshot} on ${r.drive.name}: it stays on the drive as evidence, still SUSPECT (restore never takes it unless it is named).`];
  lines.push(r.stillOpen.length
    ? `Pruning still waits for ${plural(r.stillOpen.length, 'other suspect snapshot')}: ${r.stillOpen.map((x) => `${x.drive}/${x.id}`).join(', ')} (airgap accept or airgap reject each).`
    : 'Pruning may go ahead again (airgap prune <drive>, or the next backup).');
  return lines.map(displayText).join('\n') + '\n';
}
