// The status job: every drive this host knows or the config names, where each should be now,
// what it holds, the alerts, and the next action. Connected drives are recorded on the way.
import { byDriveName, driveNameKey, sameDriveName } from '../core/drive-name.js';
import { planRotation, type Plan } from '../core/planner.js';
import { suspectMark } from '../core/prune-gate.js';
import type { Policy } from '../core/policy.js';
import { checkBinding } from '../drives/binding.js';
import type { Detection } from '../drives/detect.js';
import type { Catalog } from '../state/catalog.js';
import { policyOf } from '../state/config.js';
import { copiesByDate, leftoverNote, type StatusDrive, type StatusView } from '../core/status-model.js';
import { recordDetected } from './catalog-sync.js';
import { detect } from './drive-lookup.js';
import { connectedRotation, impostors, planInput } from './planning.js';
import type { Session } from './session.js';
import { plural } from '../core/plural.js';

export type StatusResult = StatusView & { plan?: Plan };

export async function status(s: Session): Promise<StatusResult> {
  const config = await s.config();
  const catalog = await s.catalog();
  const detection = await detect(s);
  const rotation = config?.drives.rotation ?? [];
  for (const d of detection.labelled) await recordDetected(s, catalog, d, rotation);
  await catalog.save().catch(() => {});
  const policy = config && config.drives.rotation.length ? policyOf(config) : undefined;
  const plan = policy ? planRotation(planInput(policy, catalog, s, connectedRotation(policy, detection, catalog, rotation))) : undefined;
  const view: StatusView = {
    today: s.today,
    drives: statusDrives(policy, plan, catalog, detection, rotation, config?.drives.retired ?? []),
    // A SUSPECT snapshot may hold a ransomware event's files: it is no copy to count on.
    copies: copiesByDate(ownDrives(catalog, rotation, config?.drives.retired ?? []).map((e) => ({ name: e.name, snapshots: e.snapshots.filter((x) => x.state === 'complete' && !suspectMark(x)).map((x) => x.id) }))),
    alerts: alerts(s, policy, plan, catalog, detection, rotation),
    next: !plan?.target ? 'configure a rotation'
      : plan.due ? `connect drive ${plan.target} (only it) and run airgap backup`
      : `bring drive ${plan.target} on ${plan.targetDate}`,
  };
  return { ...view, plan };
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
    if (complete.length) d.newest = complete.at(-1)!.id;
    if (e?.capacity) d.free = e.capacity.free;
    const suspect = complete.flatMap((x) => { const mark = suspectMark(x); return mark ? [{ id: x.id, mark }] : []; });
    if (suspect.length) d.suspect = suspect;
    return d;
  });
}

function alerts(s: Session, policy: Policy | undefined, plan: Plan | undefined, catalog: Catalog, detection: Detection, rotation: Parameters<typeof checkBinding>[2]): string[] {
  const out = [...(plan?.warnings ?? [])];
  // A connected drive whose identity file is damaged is in no list above: it must not go unmentioned.
  for (const w of detection.warnings) out.push(w);
  out.push(...impostors(detection, catalog, rotation));
  for (const d of detection.labelled) if (d.leftovers.length) out.push(leftoverNote(d.identity.name, d.leftovers, d.inProgress));
  if (!policy) out.push(`no rotation is configured (${s.env.configPath}): airgap init --source <dir> --drives A,B,C`);
  for (const x of catalog.unacceptedSuspects()) {
    out.push(`suspect snapshot ${x.id} on ${x.drive}, not accepted: mass changes that look like ransomware or a broken sync; nothing is pruned until you check (airgap diff ${x.drive}) and answer: airgap accept ${x.drive} ${x.id} if the changes are yours, airgap reject ${x.drive} ${x.id} once your files are recovered (it stays as evidence)`);
  }
  for (const e of catalog.drives) if (e.lastVerifyOk === false) out.push(`${e.name} failed its last verification (${e.lastVerifiedAt?.slice(0, 10)}): run airgap verify ${e.name} --deep and replace what is damaged`);
  for (const f of plan?.forecast ?? []) if (f.more !== undefined && f.more < 2 && !f.enoughForPolicy) out.push(`${f.drive} is nearly full (room for ${plural(f.more, 'more snapshot')})`);
  return out;
}
