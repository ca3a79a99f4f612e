// The status job: every drive this host knows or the config names, where each should be now,
// what it holds, the alerts (typed: core/alerts.ts), and the next action. Connected drives are
// recorded on the way.
import { byDriveName, driveNameKey, sameDriveName } from '../core/drive-name.js';
import { planRotation, type Plan } from '../core/planner.js';
import { suspectMark } from '../core/prune-gate.js';
import type { Policy } from '../core/policy.js';
import { checkBinding } from '../drives/binding.js';
import type { Detection } from '../drives/detect.js';
import type { Catalog } from '../state/catalog.js';
import { policyOf } from '../state/config.js';
import { copiesByDate, type StatusDrive, type StatusView } from '../core/status-model.js';
import { recordDetected } from './catalog-sync.js';
import { detect } from './drive-lookup.js';
import { connectedRotation, impostors, planInput } from './planning.js';
import type { Session } from './session.js';
import { drillAlerts, overdueAlerts, statusAlerts, type Alert, type DrillLedger } from '../core/alerts.js';
import { driveHealthMessages } from '../core/drive-health.js';

export type StatusResult = StatusView & { plan?: Plan };

export async function status(s: Session): Promise<StatusResult> {
  return (await survey(s)).result;
}

/**
 * What status finds, with its alerts typed (core/alerts.ts): `status` prints their messages,
 * `remind` goes by their kinds. Connected drives are recorded in the catalog on the way.
 */
export async function survey(s: Session): Promise<{ result: StatusResult; alerts: Alert[] }> {
  const config = await s.config();
  const catalog = await s.catalog();
  const detection = await detect(s);
  const rotation = config?.drives.rotation ?? [];
  for (const d of detection.labelled) await recordDetected(s, catalog, d, rotation);
  await catalog.save().catch(() => {});
  const policy = config && config.drives.rotation.length ? policyOf(config) : undefined;
  const input = policy ? planInput(policy, catalog, s, connectedRotation(policy, detection, catalog, rotation)) : undefined;
  const plan = input ? planRotation(input) : undefined;
  const alerts = statusAlerts({
    planWarnings: plan?.warnings ?? [],
    overdue: input ? overdueAlerts(input) : [],
    unreadable: detection.warnings,
    foreign: impostors(detection, catalog, rotation),
    leftovers: detection.labelled.map((d) => ({ drive: d.identity.name, leftovers: d.leftovers, ...(d.inProgress ? { run: d.inProgress } : {}) })),
    ...(policy ? {} : { noRotation: s.env.configPath }),
    suspects: catalog.unacceptedSuspects(),
    failedVerifications: catalog.drives.filter((e) => e.lastVerifyOk === false).map((e) => ({ drive: e.name, ...(e.lastVerifiedAt ? { on: e.lastVerifiedAt } : {}) })),
    forecast: plan?.forecast ?? [],
    drills: policy && config ? drillAlerts(drillLedgers(policy, catalog, s), s.today, config.policy.alerts.drillDays) : [],
    driveHealth: ownDrives(catalog, rotation, config?.drives.retired ?? []).flatMap((e) => driveHealthMessages(e.name, e.health ?? [], e.readErrors ?? [])),
  });
  const view: StatusView = {
    today: s.today,
    drives: statusDrives(policy, plan, catalog, detection, rotation, config?.drives.retired ?? []),
    // A SUSPECT snapshot may hold a ransomware event's files: it is no copy to count on.
    copies: copiesByDate(ownDrives(catalog, rotation, config?.drives.retired ?? []).map((e) => ({ name: e.name, snapshots: e.snapshots.filter((x) => x.state === 'complete' && !suspectMark(x)).map((x) => x.id) }))),
    alerts: alerts.map((a) => a.message),
    next: !plan?.target ? 'configure a rotation'
      : plan.due ? `connect drive ${plan.target} (only it) and run airgap backup`
      : `bring drive ${plan.target} on ${plan.targetDate}`,
  };
  return { result: { ...view, plan }, alerts };
}

/** The newest of the last `airgap drill` and the last good drill (a clean restore counts as one). */
function lastDrillOf(e: Catalog['drives'][number] | undefined): { at: string; ok: boolean } | undefined {
  const good = e?.lastRestoreDrillAt;
  const last = e?.lastDrill;
  if (last && (!good || last.at >= good)) return { at: last.at, ok: last.ok };
  return good ? { at: good, ok: true } : undefined;
}

/** A restore drill of this rotation drive is overdue (the wizard offers one): the reminder's alert, or undefined. */
export async function drillOverdue(s: Session, driveName: string): Promise<Alert | undefined> {
  const config = await s.configIfReadable();
  if (!config?.drives.rotation.length) return undefined;
  const ledgers = drillLedgers(policyOf(config), await s.catalog(), s).filter((l) => sameDriveName(l.name, driveName));
  return drillAlerts(ledgers, s.today, config.policy.alerts.drillDays).find((a) => a.kind === 'drill-overdue');
}

/** The rotation drives' restore drills, as the drill reminder counts them (core/alerts.ts drillAlerts). */
function drillLedgers(policy: Policy, catalog: Catalog, s: Session): DrillLedger[] {
  return policy.drives.flatMap((d) => {
    const e = catalog.byName(d.name);
    if (!e) return [];
    const ledger: DrillLedger = { name: d.name, snapshots: e.snapshots.filter((x) => x.state === 'complete').length, labelledOn: s.dayOf(new Date(e.labelledAt)) };
    if (e.lastRestoreDrillAt) ledger.lastDrillOn = s.dayOf(new Date(e.lastRestoreDrillAt));
    // A failed drill stands until a good drill or a clean restore comes after it.
    const last = e.lastDrill;
    if (last && !last.ok && !(e.lastRestoreDrillAt && e.lastRestoreDrillAt >= last.at)) {
      ledger.failed = { on: s.dayOf(new Date(last.at)), snapshot: last.snapshot, failures: last.failures.map((f) => f.path), failureCount: last.failureCount };
    }
    return [ledger];
  });
}

/**
 * The drives whose snapshots count as copies: this config's (a rotation entry bound to the id,
 * or naming it while unbound), never a foreign or replaced one; with no rotation, every drive
 * this host knows.
 */
export function ownDrives(catalog: Catalog, rotation: Binding[], retired: Binding[]): Catalog['drives'] {
  if (!rotation.length && !retired.length) return catalog.drives.filter((e) => !e.replaced);
  const mine = (list: Binding[], e: Catalog['drives'][number]) => list.some((r) => (r.id ? r.id === e.id : sameDriveName(r.name, e.name)));
  // A retired drive is still yours, and what it holds still a copy: named as retired.
  return catalog.drives.filter((e) => !e.replaced && (mine(rotation, e) || mine(retired, e))).map((e) => (mine(retired, e) ? { ...e, name: `${e.name} (retired)` } : e));
}
type Binding = Parameters<typeof checkBinding>[2][number];

function statusDrives(policy: Policy | undefined, plan: Plan | undefined, catalog: Catalog, detection: Detection, rotation: Binding[], retired: Binding[]): StatusDrive[] {
  // A drive that only claims a known name (another id) is not that drive: not "connected".
  const connectedNames = new Set(detection.labelled.filter((d) => checkBinding(d.identity, catalog, rotation).status !== 'impostor').map((d) => driveNameKey(d.identity.name)));
  const names = [...new Map([...(policy?.drives.map((d) => d.name) ?? []), ...catalog.drives.filter((d) => !d.replaced).map((d) => d.name), ...retired.map((r) => r.name)]
    .map((n) => [driveNameKey(n), n] as const)).values()];
  return names.map((name) => {
    const rot = policy ? byDriveName(policy.drives, name) : undefined;
    const e = catalog.byName(name);
    const complete = e?.snapshots.filter((x) => x.state === 'complete') ?? [];
    const off = plan?.keepOffline.find((o) => o.drive === name);
    const isRetired = !rot && byDriveName(retired, name) !== undefined;
    const shouldBe = isRetired ? 'retired: out of the rotation, never written (its snapshots stay readable)'
      : !rot ? 'anywhere (not in the rotation)'
      : plan?.target === name ? (plan.due ? 'connected now: it is due' : `ready for ${plan.targetDate}`)
      : off ? (off.where === 'offsite' ? `offsite${rot.location ? ` (${rot.location})` : ''}` : `disconnected${rot.location ? ` (${rot.location})` : ''}`) : 'disconnected';
    const d: StatusDrive = { name, inRotation: !!rot, connected: connectedNames.has(driveNameKey(name)), shouldBe, snapshots: complete.length };
    if (rot) Object.assign(d, { role: rot.role, ...(rot.location ? { location: rot.location } : {}) });
    if (isRetired) d.retired = true;
    if (e?.lastWrittenAt) d.lastWritten = e.lastWrittenAt;
    else if (complete.length) d.lastWritten = complete.at(-1)!.id.slice(0, 10);
    if (e?.lastVerifiedAt) d.lastVerified = e.lastVerifiedAt;
    if (e?.lastVerifyOk !== undefined) d.lastVerifyOk = e.lastVerifyOk;
    if (e?.lastSeenAt) d.lastSeen = e.lastSeenAt;
    const drill = lastDrillOf(e);
    if (drill) Object.assign(d, { lastDrill: drill.at, lastDrillOk: drill.ok });
    if (complete.length) d.newest = complete.at(-1)!.id;
    if (e?.capacity) d.free = e.capacity.free;
    const suspect = complete.flatMap((x) => { const mark = suspectMark(x); return mark ? [{ id: x.id, mark }] : []; });
    if (suspect.length) d.suspect = suspect;
    return d;
  });
}
