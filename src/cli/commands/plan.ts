// `airgap plan` and `airgap schedule`: their jobs, rendered in the format asked for (schedule:
// text, markdown, html, ics, json), on stdout or into --output.
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EXIT, refusal } from '../../core/errors.js';
import { plan, schedule, type ScheduleOptions } from '../../jobs/plan.js';
import { renderPlan } from '../../ui/render-plan.js';
import { renderScheduleHtml, renderScheduleIcs, renderScheduleJson, renderScheduleMarkdown, renderScheduleText } from '../../ui/render-schedule.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function planCommand(ctx: Context, flags: { date?: string }): Promise<number> {
  const result = await plan(sessionOf(ctx), flags);
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(renderPlan(result));
  return EXIT.ok;
}

export interface ScheduleFlags extends ScheduleOptions {
  format?: 'text' | 'markdown' | 'html' | 'ics' | 'json';
  output?: string;
}

export async function scheduleCommand(ctx: Context, flags: ScheduleFlags): Promise<number> {
  const s = sessionOf(ctx);
  const result = await schedule(s, flags);
  const format = flags.format ?? (ctx.json ? 'json' : 'text');
  const text = format === 'json' ? renderScheduleJson(result)
    : format === 'markdown' ? renderScheduleMarkdown(result)
    : format === 'html' ? renderScheduleHtml(result)
    : format === 'ics' ? renderScheduleIcs(result, s.now, 'airgap.local')
    : renderScheduleText(result);
  if (flags.output === undefined) {
    ctx.stdout.write(text);
    return EXIT.ok;
  }
  await writeFile(flags.output, text).catch((e: NodeJS.ErrnoException) => {
    const why = e.code === 'ENOENT' ? `its folder ${dirname(resolve(flags.output!))} does not exist`
      : e.code === 'EISDIR' ? 'it is a folder' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOTDIR' ? 'a part of the path is not a folder' : (e.code ?? e.message);
    throw refusal('output-unwritable', `cannot write the schedule to ${flags.output}: ${why}`, 'give a file in an existing folder you can write to, e.g. --output ~/schedule.html');
  });
  ctx.stderr.write(`Wrote the ${format} schedule (${result.rows.length} dates) to ${flags.output}\n`);
  return EXIT.ok;
}
