import { EXIT } from '../../core/errors.js';
import { byDriveName, driveNameKey } from '../../core/drive-name.js';
import { planRotation } from '../../core/planner.js';
import { leftoverNote } from '../../ui/render-drives.js';
import { copiesByDate, renderStatus, type StatusDrive, type StatusView } from '../../ui/render-plan.js';
import { loadConfig, policyOf } from '../config.js';
import type { Context } from '../context.js';
import { detect } from '../drive-lookup.js';
import { connectedRotation, impostors, planInput, todayOf } from '../planning.js';
import { checkBinding } from '../../drives/binding.js';
import { openCatalog, recordDetected } from '../catalog-access.js';
import { printJson } from '../output.js';

export async function statusCommand(ctx: Context): Promise<number> {
  const config = await loadConfig(ctx.configPath, ctx.configExplicit);
  const catalog = await openCatalog(ctx);
  const detection = await detect(ctx, {}, catalog);
  const rotation = config?.drives.rotation ?? [];
  for (const d of detection.labelled) await recordDetected(ctx, catalog, d, rotation);
  await catalog.save().catch(() => {});
  const today = todayOf(ctx);
  const policy = config && config.drives.rotation.length ? policyOf(config) : undefined;
  // A drive that only claims a known name (another id) is not that drive: not "connected".
  const connectedNames = new Set(detection.labelled.filter((d) => checkBinding(d.identity, catalog, rotation).status !== 'impostor').map((d) => driveNameKey(d.identity.name)));
  const plan = policy ? planRotation(planInput(policy, catalog, ctx, connectedRotation(policy, detection, catalog, rotation), today)) : undefined;

  const names = [...new Set([...(policy?.drives.map((d) => d.name) ?? []), ...catalog.drives.map((d) => d.name)])];
  const drives: StatusDrive[] = names.map((name) => {
    const rot = policy ? byDriveName(policy.drives, name) : undefined;
    const e = catalog.byName(name);
    const complete = e?.snapshots.filter((s) => s.state === 'complete') ?? [];
    const off = plan?.keepOffline.find((o) => o.drive === name);
    const shouldBe = !rot ? 'anywhere (not in the rotation)'
      : plan?.target === name ? (plan.due ? 'connected now: it is due' : `ready for ${plan.targetDate}`)
      : off ? (off.where === 'offsite' ? `offsite${rot.location ? ` (${rot.location})` : ''}` : `disconnected${rot.location ? ` (${rot.location})` : ''}`) : 'disconnected';
    const d: StatusDrive = { name, inRotation: !!rot, connected: connectedNames.has(driveNameKey(name)), shouldBe, snapshots: complete.length };
    if (rot) Object.assign(d, { role: rot.role, ...(rot.location ? { location: rot.location } : {}) });
    if (e?.lastWrittenAt) d.lastWritten = e.lastWrittenAt;
    else if (complete.length) d.lastWritten = complete.at(-1)!.id.slice(0, 10);
    if (e?.lastVerifiedAt) d.lastVerified = e.lastVerifiedAt;
    if (e?.lastVerifyOk !== undefined) d.lastVerifyOk = e.lastVerifyOk;
    if (e?.lastSeenAt) d.lastSeen = e.lastSeenAt;
    if (complete.length) d.newest = complete.at(-1)!.id;
    if (e?.capacity) d.free = e.capacity.free;
    return d;
  });

  const alerts = [...(plan?.warnings ?? [])];
  // A connected drive whose identity file is damaged is in no list above: it must not go unmentioned.
  for (const w of detection.warnings) alerts.push(w);
  alerts.push(...impostors(detection, catalog, rotation));
  for (const d of detection.labelled) if (d.leftovers.length) alerts.push(leftoverNote(d.identity.name, d.leftovers));
  if (!policy) alerts.push(`no rotation is configured (${ctx.configPath}): airgap init --source <dir> --drives A,B,C`);
  for (const x of catalog.unacceptedSuspects()) alerts.push(`suspect snapshot ${x.id} on ${x.drive}, not accepted: mass changes that look like ransomware or a broken sync; nothing is pruned until you check (airgap diff ${x.drive}) and accept (airgap backup --accept-changes)`);
  for (const e of catalog.drives) if (e.lastVerifyOk === false) alerts.push(`${e.name} failed its last verification (${e.lastVerifiedAt?.slice(0, 10)}): run airgap verify ${e.name} --deep and replace what is damaged`);
  for (const f of plan?.forecast ?? []) if (f.more !== undefined && f.more < 2 && !f.enoughForPolicy) alerts.push(`${f.drive} is nearly full (room for ${f.more} more snapshot(s))`);
  const view: StatusView = {
    today,
    drives,
    copies: copiesByDate(catalog.drives.map((e) => ({ name: e.name, snapshots: e.snapshots.filter((s) => s.state === 'complete').map((s) => s.id) }))),
    alerts,
    next: !plan?.target ? 'configure a rotation'
      : plan.due ? `connect drive ${plan.target} (only it) and run airgap backup`
      : `bring drive ${plan.target} on ${plan.targetDate}`,
  };
  if (ctx.json) printJson(ctx, { ...view, plan });
  else ctx.stdout.write(renderStatus(view));
  return EXIT.ok;
}
