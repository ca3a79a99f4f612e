// `airgap forget <drive>`: plan, confirm (--yes, or a question on a terminal), apply.
import { EXIT } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { applyForget, planForget } from '../../jobs/forget.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function forgetCommand(ctx: Context, spec: string, flags: { yes?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planForget(s, spec);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const r = await recordRun(ctx, s, 'forget', spec, () => applyForget(s, planned), (x) => ({ outcome: 'ok', exitCode: EXIT.ok, drive: x.drive.name, figures: { snapshots: x.snapshots } }));
  if (ctx.json) printJson(ctx, { ok: true, drive: r.drive, snapshots: r.snapshots, inRotation: r.inRotation });
  else {
    ctx.stdout.write(`Forgot drive ${r.drive.name}: this host no longer waits for it, nor counts its ${plural(r.snapshots, 'snapshot')} as copies. Nothing on the drive was touched; plugged in again, it is known again.\n`);
    if (r.inRotation) ctx.stdout.write(`note: the config's rotation still names ${r.drive.name}: status will ask for it until you take it out of drives.rotation in the config.\n`);
  }
  return EXIT.ok;
}
