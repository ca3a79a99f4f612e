// The alerts `airgap status` lists and `airgap remind` reminds of, as typed data: each has a kind
// (what a script, the exit code and the notification go by) and its message (the words status
// has always printed). Pure: today, the plan and what the jobs found are parameters.
import { daysBetween, snapshotDate } from './calendar.js';
import { newest, type Forecast, type PlanInput } from './plan-model.js';
import { plural } from './plural.js';
import { leftoverNote, type RunInProgress } from './status-model.js';

export type AlertKind =
  /** A rotation drive not written for more than `policy.alerts.rotationDays`. */
  | 'rotation-overdue'
  /** A drive holding snapshots not verified (or never) for more than `policy.alerts.verifyDays`. */
  | 'verify-overdue'
  /** Another warning of today's plan: the air gap broken, drives left connected, room on the target, too few drives to keep offline. */
  | 'plan'
  /** A drive, or the list of drives, that could not be read (a damaged identity file). */
  | 'drive-unreadable'
  /** A connected drive that claims the name of one of yours (issue 14). */
  | 'foreign-drive'
  /** What an interrupted backup or prune left on a drive, or a run in progress on it. */
  | 'unfinished-run'
  /** No config, or one naming no rotation drives. */
  | 'no-rotation'
  /** A snapshot the mass-change gate flagged, not yet accepted or rejected. */
  | 'suspect-snapshot'
  /** A drive whose last verification found damage. */
  | 'verify-failed'
  /** A drive with room for fewer than two more snapshots, short of its retention. */
  | 'nearly-full'
  /** A rotation drive holding snapshots with no good restore drill for more than `policy.alerts.drillDays` (since it was labelled, if never). */
  | 'drill-overdue'
  /** A drive whose last restore drill failed, with no good drill (or clean restore) since. */
  | 'drill-failed'
  /** A drive whose SMART says it is failing, whose failure counters grew between two readings (airgap health), or whose last verify met read errors. */
  | 'drive-health';

export interface Alert {
  kind: AlertKind;
  message: string;
}

/**
 * Rotation and verification overdue, per rotation drive. The planner adds these messages to its
 * warnings (plan, schedule and status show them); status gives them their kind by this function.
 * A drive never labelled has no date to be late from; one with no snapshot has nothing to verify.
 */
export function overdueAlerts(input: Pick<PlanInput, 'policy' | 'drives' | 'today'>): Alert[] {
  const { policy, today } = input;
  const out: Alert[] = [];
  for (const d of policy.drives) {
    const c = input.drives.find((x) => x.name === d.name);
    const last = newest(c);
    const since = last ? snapshotDate(last) : c?.labelledOn;
    if (since && daysBetween(since, today) > policy.alerts.rotationDays) {
      out.push({ kind: 'rotation-overdue', message: `${d.name} has not been written for ${daysBetween(since, today)} days (alert after ${policy.alerts.rotationDays})` });
    }
    if (!c || c.snapshots.length === 0) continue;
    const verifiedOn = c.lastVerifiedOn;
    if (!verifiedOn || daysBetween(verifiedOn, today) > policy.alerts.verifyDays) {
      out.push({ kind: 'verify-overdue', message: `${d.name} ${verifiedOn ? `was last verified ${daysBetween(verifiedOn, today)} days ago` : 'has never been verified'} (alert after ${policy.alerts.verifyDays} days): run airgap verify ${d.name}` });
    }
  }
  return out;
}

/** A rotation drive as the drill reminder sees it (the catalog's ledger, days as local dates). */
export interface DrillLedger {
  name: string;
  /** Complete snapshots on it: a drive with none has nothing to drill. */
  snapshots: number;
  labelledOn?: string;
  /** The last good drill (airgap drill, or a clean restore), YYYY-MM-DD. */
  lastDrillOn?: string;
  /** The last `airgap drill`, when it failed and nothing good came since: the files that failed, named. */
  failed?: { on: string; snapshot: string; failures: string[]; failureCount: number };
}

/**
 * Restore drills overdue (issue 19): a drive that holds snapshots and has had no good drill for
 * more than `drillDays` days, counted from its labelling when it never had one (a new drive is
 * not nagged on its first day, as rotation-overdue counts from the labelling too). A failed
 * drill does not count as one: the "0 errors" holds from a good drill only; the failure is its
 * own alert, naming what failed.
 */
export function drillAlerts(drives: readonly DrillLedger[], today: string, drillDays: number): Alert[] {
  const out: Alert[] = [];
  for (const d of drives) {
    if (d.failed) {
      const shown = d.failed.failures.slice(0, 3).map((f) => JSON.stringify(f)).join(', ');
      const more = d.failed.failureCount > 3 ? ` and ${d.failed.failureCount - 3} more` : '';
      out.push({ kind: 'drill-failed', message: `${d.name} failed its last restore drill (${d.failed.on}, snapshot ${d.failed.snapshot}${shown ? `: ${shown}${more}` : ''}): run airgap verify ${d.name} --deep and replace what is damaged` });
    }
    const since = d.lastDrillOn ?? d.labelledOn;
    if (d.snapshots === 0 || !since || daysBetween(since, today) <= drillDays) continue;
    const what = d.lastDrillOn ? `had its last good restore drill ${daysBetween(since, today)} days ago` : `has had no restore drill in the ${daysBetween(since, today)} days since it was labelled`;
    out.push({ kind: 'drill-overdue', message: `${d.name} ${what} (alert after ${drillDays} days): run airgap drill ${d.name}` });
  }
  return out;
}

/** What the status job found, beside the plan, that deserves an alert. */
export interface AlertFacts {
  /** The plan's warnings, as the planner wrote them (none without a rotation). */
  planWarnings: string[];
  /** overdueAlerts of the same plan input: which of those warnings are overdue, and of which kind. */
  overdue: Alert[];
  /** Detection's warnings: drives (or the drive list) that could not be read. */
  unreadable: string[];
  /** Connected drives that claim a name of yours, in words (jobs/planning impostors). */
  foreign: string[];
  leftovers: { drive: string; leftovers: string[]; run?: RunInProgress }[];
  /** Set when no rotation is configured: the config file it looked for. */
  noRotation?: string;
  suspects: { drive: string; id: string }[];
  failedVerifications: { drive: string; on?: string }[];
  forecast: Forecast[];
  /** drillAlerts of the rotation drives (none without a rotation). */
  drills?: Alert[];
  /** core/drive-health driveHealthMessages of each of your drives (none when all are well or never read). */
  driveHealth?: string[];
}

/** Every alert, in the order `airgap status` has always listed them. */
export function statusAlerts(f: AlertFacts): Alert[] {
  const out: Alert[] = f.planWarnings.map((message) => ({ kind: f.overdue.find((a) => a.message === message)?.kind ?? 'plan', message }));
  // A connected drive whose identity file is damaged is in no list above: it must not go unmentioned.
  for (const message of f.unreadable) out.push({ kind: 'drive-unreadable', message });
  for (const message of f.foreign) out.push({ kind: 'foreign-drive', message });
  for (const l of f.leftovers) if (l.leftovers.length) out.push({ kind: 'unfinished-run', message: leftoverNote(l.drive, l.leftovers, l.run) });
  if (f.noRotation !== undefined) out.push({ kind: 'no-rotation', message: `no rotation is configured (${f.noRotation}): airgap init --source <dir> --drives A,B,C` });
  for (const x of f.suspects) {
    out.push({ kind: 'suspect-snapshot', message: `suspect snapshot ${x.id} on ${x.drive}, not accepted: mass changes that look like ransomware or a broken sync; nothing is pruned until you check (airgap diff ${x.drive}) and answer: airgap accept ${x.drive} ${x.id} if the changes are yours, airgap reject ${x.drive} ${x.id} once your files are recovered (it stays as evidence)` });
  }
  for (const v of f.failedVerifications) out.push({ kind: 'verify-failed', message: `${v.drive} failed its last verification (${v.on?.slice(0, 10)}): run airgap verify ${v.drive} --deep and replace what is damaged` });
  for (const x of f.forecast) if (x.more !== undefined && x.more < 2 && !x.enoughForPolicy) out.push({ kind: 'nearly-full', message: `${x.drive} is nearly full (room for ${plural(x.more, 'more snapshot')})` });
  out.push(...(f.drills ?? []));
  for (const message of f.driveHealth ?? []) out.push({ kind: 'drive-health', message });
  return out;
}

/**
 * `airgap remind`'s exit code: 0 when there is nothing to remind; otherwise 32 plus one bit per
 * kind present, so that a script or a timer learns from the code alone whether each overdue kind
 * is there (`$(( code & 1 ))`), whatever else is: no urgency order to agree on. 32 and up keeps
 * clear of the error codes (core/errors.ts EXIT: 1–4, 130) and of the shell's 126–128+n. Bit 4
 * is a restore drill overdue; 8 is a drive's health (airgap health, verify's read errors); every
 * other kind of alert is 16.
 */
export const REMIND_BITS = { 'rotation-overdue': 1, 'verify-overdue': 2, 'drill-overdue': 4, 'drive-health': 8, other: 16 } as const;
export const REMIND_BASE = 32;

export function remindExitCode(alerts: Pick<Alert, 'kind'>[]): number {
  if (!alerts.length) return 0;
  let bits = 0;
  for (const a of alerts) bits |= a.kind === 'rotation-overdue' || a.kind === 'verify-overdue' || a.kind === 'drill-overdue' || a.kind === 'drive-health' ? REMIND_BITS[a.kind] : REMIND_BITS.other;
  return REMIND_BASE + bits;
}
