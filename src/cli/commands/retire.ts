// `airgap retire <drive> [--undo]`: plan, confirm (--yes, or a question on a terminal), apply.
import { EXIT } from '../../core/errors.js';
import { applyRetire, planRetire } from '../../jobs/retire.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function retireCommand(ctx: Context, spec: string, flags: { yes?: boolean; undo?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planRetire(s, spec, flags);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const r = await recordRun(ctx, s, flags.undo ? 'unretire' : 'retire', spec, () => applyRetire(s, planned), (x) => ({ outcome: 'ok', exitCode: EXIT.ok, drive: x.name }));
  if (ctx.json) printJson(ctx, { ok: true, drive: r.name, retired: !r.undo });
  else if (r.undo) ctx.stdout.write(`Drive ${r.name} is back in the rotation (at its end); airgap plan shows when it is due.\n`);
  else ctx.stdout.write(`Retired drive ${r.name}: out of the rotation, never scheduled or written again. Its snapshots stay on it: list, verify, restore and find still read them when it is connected. Undo: airgap retire ${r.name} --undo\n`);
  return EXIT.ok;
}
