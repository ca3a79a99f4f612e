// `airgap label <path> --name <NAME>`: plan, confirm (--yes, or a question on a terminal), apply.
import { EXIT } from '../../core/errors.js';
import { applyLabelJob, planLabelJob, type LabelOptions } from '../../jobs/label.js';
import { renderLabel } from '../../ui/render-setup.js';
import type { Context } from '../context.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function labelCommand(ctx: Context, pathArg: string, flags: LabelOptions & { yes?: boolean }): Promise<number> {
  const s = sessionOf(ctx);
  const planned = await planLabelJob(s, pathArg, flags);
  if (!(await confirm(ctx, planned.question, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  const result = await applyLabelJob(s, planned);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderLabel(result));
  return EXIT.ok;
}
