// `airgap replace <old> <path>`: plan, confirm (--yes, or a question on a terminal), apply.
import { EXIT } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { applyReplace, planReplace } from '../../jobs/replace.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { recordRun } from '../run-record.js';
import { sessionOf } from '../session-of.js';

export async function replaceCommand(ctx: Context, oldName: string, path: string, flags: { yes?: boolean; takeOver?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planReplace(s, oldName, path, flags);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const r = await recordRun(ctx, s, 'replace', oldName, () => applyReplace(s, planned), (x) => ({ outcome: 'ok', exitCode: EXIT.ok, drive: x.name }));
  const id = r.plan.identity.id;
  if (ctx.json) {
    printJson(ctx, { ok: true, drive: { name: r.name, id }, path: r.path, replaced: r.old ?? null, takenOver: r.takenOver ?? null });
    return EXIT.ok;
  }
  ctx.stdout.write(`Drive ${r.name} is now the disk at ${r.path} (id ${id}); it takes ${r.name}'s place in the rotation.\n`);
  if (r.old) {
    ctx.stdout.write(`The drive it replaces (id ${r.old.id}, ${plural(r.old.snapshots, 'snapshot')} recorded) stays in this host's history, marked replaced; its snapshots are not counted as copies.\n`);
    ctx.stdout.write(`If that disk turns up, it is a foreign drive: readable (list, verify, restore, find), never written. Nothing on it was deleted.\n`);
  }
  return EXIT.ok;
}
