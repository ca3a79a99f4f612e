// The plan and schedule jobs: today's (or a given day's) rotation plan, and the dated schedule
// of which drive to bring when — both from the pure planner, fed by the catalog and detection.
import { addDays, isDate } from '../core/calendar.js';
import { usageError } from '../core/errors.js';
import { planRotation, type Plan } from '../core/planner.js';
import { buildSchedule, type Schedule } from '../core/schedule.js';
import { sameDriveName } from '../core/drive-name.js';
import { probeFilesystem, unsafeFilesystem } from '../drives/file-size-limit.js';
import { fullSize } from '../core/plan-capacity.js';
import { capacityOf } from './catalog-sync.js';
import { detect } from './drive-lookup.js';
import { measureSources } from './source-size.js';
import { connectedRotation, planDrives, planInput } from './planning.js';
import type { Session } from './session.js';

const checkDate = (flag: string, v: string | undefined) => {
  if (v !== undefined && !isDate(v)) throw usageError('bad-date', `${flag} must be a date like 2026-11-21, got "${v}"`, `e.g. ${flag} 2026-12-05`);
  return v;
};

export async function plan(s: Session, opts: { date?: string }): Promise<Plan> {
  const { config, policy } = await s.requirePolicy();
  const today = checkDate('--date', opts.date) ?? s.today;
  const catalog = await s.catalog();
  const detection = await detect(s);
  const connected = connectedRotation(policy, detection, catalog, config.drives.rotation);
  const input = planInput(policy, catalog, s, connected, today);
  // A connected drive's room as it is now: the catalog's is from its last backup or verify, and
  // a drive labelled a minute ago has none yet.
  for (const d of detection.labelled) {
    const pd = input.drives.find((x) => sameDriveName(x.name, d.identity.name));
    if (!pd || !connected.some((n) => sameDriveName(n, d.identity.name))) continue;
    const room = await capacityOf(d.root);
    if (room) pd.capacity = room;
  }
  // Before the first snapshot, the sources are walked for their size (names and sizes only), so
  // that a drive too small for its rules is warned about before a backup runs into it.
  if (fullSize(input) === undefined && input.drives.some((d) => d.capacity)) input.sourceBytes = await measureSources(config);
  const plan = planRotation(input);
  // A connected rotation drive mounted through fusefat is refused by backup: say so before (issue 17 §3).
  for (const d of detection.labelled) {
    if (!connected.some((n) => sameDriveName(n, d.identity.name))) continue;
    if ((await probeFilesystem(d.airgapDir, d.fingerprint?.fsType, s.env.platform).catch(() => undefined))?.fusefat) plan.warnings.push(`${unsafeFilesystem(d.identity.name).message} (${unsafeFilesystem(d.identity.name).hint})`);
  }
  return plan;
}

export interface ScheduleOptions {
  from?: string;
  /** How many weeks, as the user wrote it (plain decimal digits). */
  weeks?: string;
  until?: string;
}

export async function schedule(s: Session, opts: ScheduleOptions): Promise<Schedule> {
  const { policy } = await s.requirePolicy();
  const from = checkDate('--from', opts.from) ?? s.today;
  if (opts.weeks !== undefined && opts.until !== undefined) throw usageError('bad-flags', 'give --weeks or --until, not both', 'e.g. --weeks 26');
  // Plain decimal digits only: Number() would also take 0x10, 1e2, " 5" or "".
  const weeks = opts.weeks === undefined ? 13 : /^\d{1,3}$/.test(opts.weeks) ? Number(opts.weeks) : NaN;
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 520) throw usageError('bad-weeks', `--weeks must be a whole number from 1 to 520, got "${opts.weeks}"`, 'e.g. --weeks 26');
  const until = checkDate('--until', opts.until) ?? addDays(from, weeks * 7 - 1);
  if (until < from) throw usageError('bad-dates', `--until ${until} is before --from ${from}`, 'swap them');
  const result = buildSchedule({ policy, drives: planDrives(policy, await s.catalog(), s) }, from, until);
  if (result.rows.length === 0) s.log.warn(`no backup falls between ${from} and ${until}: the schedule is empty`);
  return result;
}
