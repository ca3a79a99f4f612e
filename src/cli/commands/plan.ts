import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { addDays, isDate } from '../../core/calendar.js';
import { EXIT, refusal, usageError } from '../../core/errors.js';
import { planRotation } from '../../core/planner.js';
import { buildSchedule } from '../../core/schedule.js';
import { renderPlan } from '../../ui/render-plan.js';
import { renderScheduleHtml, renderScheduleIcs, renderScheduleJson, renderScheduleMarkdown, renderScheduleText } from '../../ui/render-schedule.js';
import type { Context } from '../context.js';
import { detect } from '../drive-lookup.js';
import { connectedRotation, planDrives, planInput, requirePolicy, todayOf } from '../planning.js';
import { openCatalog } from '../catalog-access.js';
import { printJson } from '../output.js';

const checkDate = (flag: string, v: string | undefined) => {
  if (v !== undefined && !isDate(v)) throw usageError('bad-date', `${flag} must be a date like 2026-11-21, got "${v}"`, `e.g. ${flag} 2026-12-05`);
  return v;
};

export async function planCommand(ctx: Context, flags: { date?: string }): Promise<number> {
  const { config, policy } = await requirePolicy(ctx);
  const today = checkDate('--date', flags.date) ?? todayOf(ctx);
  const catalog = await openCatalog(ctx);
  const connected = connectedRotation(policy, await detect(ctx, {}, catalog), catalog, config.drives.rotation);
  const plan = planRotation(planInput(policy, catalog, ctx, connected, today));
  if (ctx.json) printJson(ctx, plan);
  else ctx.stdout.write(renderPlan(plan));
  return EXIT.ok;
}

export interface ScheduleFlags {
  from?: string;
  weeks?: string;
  until?: string;
  format?: 'text' | 'markdown' | 'html' | 'ics' | 'json';
  output?: string;
}

export async function scheduleCommand(ctx: Context, flags: ScheduleFlags): Promise<number> {
  const { policy } = await requirePolicy(ctx);
  const from = checkDate('--from', flags.from) ?? todayOf(ctx);
  if (flags.weeks !== undefined && flags.until !== undefined) throw usageError('bad-flags', 'give --weeks or --until, not both', 'e.g. --weeks 26');
  // Plain decimal digits only: Number() would also take 0x10, 1e2, " 5" or "".
  const weeks = flags.weeks === undefined ? 13 : /^\d{1,3}$/.test(flags.weeks) ? Number(flags.weeks) : NaN;
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 520) throw usageError('bad-weeks', `--weeks must be a whole number from 1 to 520, got "${flags.weeks}"`, 'e.g. --weeks 26');
  const until = checkDate('--until', flags.until) ?? addDays(from, weeks * 7 - 1);
  if (until < from) throw usageError('bad-dates', `--until ${until} is before --from ${from}`, 'swap them');
  const catalog = await openCatalog(ctx);
  const schedule = buildSchedule({ policy, drives: planDrives(policy, catalog, ctx) }, from, until);
  if (schedule.rows.length === 0) ctx.stderr.write(`warning: no backup falls between ${from} and ${until}: the schedule is empty\n`);
  const format = flags.format ?? (ctx.json ? 'json' : 'text');
  const text = format === 'json' ? renderScheduleJson(schedule)
    : format === 'markdown' ? renderScheduleMarkdown(schedule)
    : format === 'html' ? renderScheduleHtml(schedule)
    : format === 'ics' ? renderScheduleIcs(schedule, ctx.clock(), 'airgap.local')
    : renderScheduleText(schedule);
  if (flags.output !== undefined) {
    await writeFile(flags.output, text).catch((e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? `its folder ${dirname(resolve(flags.output!))} does not exist`
        : e.code === 'EISDIR' ? 'it is a folder' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOTDIR' ? 'a part of the path is not a folder' : (e.code ?? e.message);
      throw refusal('output-unwritable', `cannot write the schedule to ${flags.output}: ${why}`, 'give a file in an existing folder you can write to, e.g. --output ~/schedule.html');
    });
    ctx.stderr.write(`Wrote the ${format} schedule (${schedule.rows.length} dates) to ${flags.output}\n`);
  } else ctx.stdout.write(text);
  return EXIT.ok;
}
