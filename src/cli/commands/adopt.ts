// `airgap adopt <drive>`: plan, confirm (--yes, or a question on a terminal), apply.
import { EXIT } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { applyAdopt, planAdopt } from '../../jobs/adopt.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function adoptCommand(ctx: Context, spec: string, flags: { yes?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planAdopt(s, spec);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const r = await recordRun(ctx, s, 'adopt', spec, () => applyAdopt(s, planned), (x) => ({ outcome: 'ok', exitCode: EXIT.ok, drive: x.name, figures: { snapshots: x.snapshots } }));
  if (ctx.json) printJson(ctx, { ok: true, drive: { name: r.name, id: r.id }, root: r.root, snapshots: r.snapshots });
  else ctx.stdout.write(`Adopted the drive at ${r.root} as your drive ${r.name}: the config now binds ${r.name} to the id ${r.id} (${plural(r.snapshots, 'snapshot')} on it, now counted as copies).\n`);
  return EXIT.ok;
}
