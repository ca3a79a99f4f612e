// The rotation planner: a pure function of (policy, catalog, connected drives, today). It says
// which drive receives today's snapshot, which drives must stay offline (the air gap), what to
// prune on the target once the new snapshot is written and verified, when each drive is next
// due, whether it fits — and why, for every decision.
import { backupDaysAfter, isBackupDay, toDate, lastBackupDay, nextBackupDay, slotIndex, snapshotDate } from './calendar.js';
import { driveIndexForSlot, fitOnly, schemePeriod, type Policy, type RotationDrive } from './policy.js';
import { planCapacity } from './plan-capacity.js';
import { applyRetention } from './retention.js';
import { dependantsOf, keepWithBases } from './chains.js';
import { newest, type OfflineDrive, type Plan, type PlanDrive, type PlanInput, type PlanSnapshot, type PruneItem, type KeptItem } from './plan-model.js';
import { plural } from './plural.js';
import { overdueAlerts } from './alerts.js';

export type { Forecast, KeptItem, OfflineDrive, Plan, PlanDrive, PlanInput, PlanSnapshot, PruneItem } from './plan-model.js';

export function planRotation(input: PlanInput): Plan {
  const { policy, today } = input;
  const names = policy.drives.map((d) => d.name);
  const byName = new Map(input.drives.map((d) => [d.name, d]));
  const plan: Plan = {
    date: today, backupDay: isBackupDay(policy.cadence, today), due: false, keepOffline: [], prune: [], keep: [],
    pruneWhen: 'after-write-and-verify', next: [], capacity: { fits: 'unknown' }, forecast: [], warnings: [], reasons: [],
  };
  if (names.length === 0) {
    plan.warnings.push('no rotation drives are configured: add them with `airgap init --drives A,B,C --force` or in the config');
    return plan;
  }

  const slotDate = lastBackupDay(policy.cadence, today);
  const { target, due, targetDate, why } = chooseTarget(input, slotDate);
  plan.target = target;
  plan.due = due;
  plan.targetDate = targetDate;
  plan.reasons.push(why);

  const offline = chooseOffline(policy, byName, target);
  plan.keepOffline = offline.drives;
  plan.warnings.push(...offline.warnings);
  checkConnected(input, plan);
  if (due) planPrune(input, plan);
  planCapacity(input, plan);
  plan.next = nextDates(input, plan);
  // Rotation and verification overdue: core/alerts.ts, where status also gives them their kind.
  plan.warnings.push(...overdueAlerts(input).map((a) => a.message));
  return plan;
}

function chooseTarget(input: PlanInput, slotDate: string): { target: string; due: boolean; targetDate: string; why: string } {
  const { policy } = input;
  const names = policy.drives.map((d) => d.name);
  const byName = new Map(input.drives.map((d) => [d.name, d]));
  const written = (name: string, since: string) => (newest(byName.get(name)) ?? '') >= since;
  if (policy.scheme === 'oldest-first') {
    const order = [...names].sort((a, b) => (newest(byName.get(a)) ?? '').localeCompare(newest(byName.get(b)) ?? '') || names.indexOf(a) - names.indexOf(b));
    const target = order[0]!;
    const done = names.some((n) => written(n, slotDate));
    const when = done ? nextBackupDay(policy.cadence, input.today) : slotDate;
    const last = newest(byName.get(target));
    return {
      target, due: !done, targetDate: when,
      why: `oldest-first: ${target}'s newest snapshot is the oldest of the rotation (${last ? snapshotDate(last) : 'none yet'})${done ? `; the snapshot for ${slotDate} is already written` : ''}`,
    };
  }
  const drive = (date: string) => names[driveIndexForSlot(policy.scheme as 'round-robin' | 'hanoi', slotIndex(policy.cadence, policy.epoch, date), names.length)]!;
  const current = drive(slotDate);
  if (!written(current, slotDate)) {
    const overdue = slotDate < input.today ? ` (due since ${slotDate})` : '';
    return { target: current, due: true, targetDate: slotDate, why: `${policy.scheme}: backup #${slotIndex(policy.cadence, policy.epoch, slotDate) + 1} of the rotation, on ${slotDate}, goes to ${current}${overdue}` };
  }
  const next = nextBackupDay(policy.cadence, input.today);
  const target = drive(next);
  return { target, due: false, targetDate: next, why: `${policy.scheme}: ${current} already has the snapshot for ${slotDate}; next, ${target} on ${next}` };
}

/** The drives to keep disconnected while `target` is written (required ones first). */
export function airGapFor(input: Pick<PlanInput, 'policy' | 'drives'>, target: string): OfflineDrive[] {
  return chooseOffline(input.policy, new Map(input.drives.map((d) => [d.name, d])), target).drives;
}

function chooseOffline(policy: Policy, byName: Map<string, PlanDrive>, target: string): { drives: OfflineDrive[]; warnings: string[] } {
  const others = policy.drives.filter((d) => d.name !== target);
  const k = Math.min(policy.offline, others.length);
  const warnings = others.length < policy.offline
    ? [`the policy wants ${policy.offline} drive(s) offline while one is written, but the rotation has only ${others.length} other drive(s): add drives`]
    : [];
  // Offsite drives first, then the freshest copies: those are what an attack must not reach.
  const ranked = [...others].sort((a, b) =>
    (a.role === 'offsite' ? 0 : 1) - (b.role === 'offsite' ? 0 : 1) || (newest(byName.get(b.name)) ?? '').localeCompare(newest(byName.get(a.name)) ?? ''));
  const drives = ranked.map((d, i): OfflineDrive => {
    const required = i < k;
    const where = d.role === 'offsite' ? 'offsite' : 'offline';
    const last = newest(byName.get(d.name));
    const reason = required
      ? d.role === 'offsite' ? `offsite copy${last ? ` (newest ${snapshotDate(last)})` : ''}: keep it away` : `air gap: ${last ? `holds the snapshot of ${snapshotDate(last)}` : 'part of the rotation'}; keep it disconnected`
      : 'not needed today; keep it disconnected';
    return { drive: d.name, where, required, reason };
  });
  return { drives, warnings };
}

function checkConnected(input: PlanInput, plan: Plan): void {
  const rotation = new Set(input.policy.drives.map((d) => d.name));
  const connected = input.connected.filter((n) => rotation.has(n));
  const mustBeOff = plan.keepOffline.filter((o) => o.required && connected.includes(o.drive));
  const writing = plan.due ? ` while ${plan.target} is written` : '';
  for (const o of mustBeOff) plan.warnings.push(`air gap broken: ${o.drive} is connected but must stay ${o.where}${writing}: disconnect it`);
  if (connected.length > 1 && mustBeOff.length === 0) {
    plan.warnings.push(`${connected.length} rotation drives are connected at once (${connected.join(', ')}): ${plan.due ? `connect only ${plan.target}` : 'unplug them'}`);
  }
  if (!plan.due) {
    // Nothing is being written: a connected drive is simply one that should be put away.
    if (connected.length === 1 && mustBeOff.length === 0) plan.warnings.push(`${connected[0]} is still connected and nothing is due until ${plan.targetDate}: unplug it and put it away`);
    return;
  }
  plan.reasons.push(connected.includes(plan.target!) ? `${plan.target} is connected` : `plug in ${plan.target}`);
  for (const n of connected) if (n !== plan.target) plan.reasons.push(`${n} is connected but ${plan.target} is the due drive`);
}

function planPrune(input: PlanInput, plan: Plan): void {
  // The snapshot will carry today's date, even when it is overdue since an earlier slot.
  const { prune, keep, notes } = pruneCandidates(input, plan.target!, input.today);
  plan.prune = prune;
  plan.keep = keep;
  plan.reasons.push(...notes);
  if (prune.length) plan.reasons.push(`after the new snapshot is written and verified, prune ${plural(prune.length, 'old snapshot')} on ${plan.target}`);
}

/**
 * What retention allows removing on one drive — as it will stand once a snapshot dated
 * `newDate` is added (a backup's plan), once the snapshot `written` has been added (the backup,
 * after its write: that snapshot's chain is then known), or as it stands (`airgap prune`). Never
 * the drive's newest snapshot from before the backup, never one a rule keeps, never a damaged or
 * incomplete one, never a link of a kept snapshot's chain, and never the newest verified snapshot
 * anywhere (the last good copy) unless another drive holds a verified copy.
 */
export function pruneCandidates(input: Pick<PlanInput, 'policy' | 'drives'>, target: string, newDate?: string, written?: string): { prune: PruneItem[]; keep: KeptItem[]; notes: string[] } {
  const { prune, notes, why } = pruneChoice(input, target, newDate, written);
  const gone = new Set(prune.map((p) => p.snapshot));
  const complete = input.drives.find((d) => d.name === target)?.snapshots.filter((s) => s.complete) ?? [];
  const keep = complete.filter((s) => !gone.has(s.id)).sort((a, b) => b.id.localeCompare(a.id))
    .map((s) => ({ snapshot: s.id, bytes: s.bytes, reasons: why.get(s.id) ?? ['kept'] }));
  return { prune, keep, notes };
}

/** The choice itself, with why each staying snapshot stays (the rules that keep it, or the guard). */
function pruneChoice(input: Pick<PlanInput, 'policy' | 'drives'>, target: string, newDate?: string, written?: string): { prune: PruneItem[]; notes: string[]; why: Map<string, string[]> } {
  const drive = input.drives.find((d) => d.name === target);
  const rule = input.policy.drives.find((d) => d.name === target);
  const notes: string[] = [];
  const why = new Map<string, string[]>();
  if (!rule) return { prune: [], notes: [`${target} is not in the rotation: no retention applies`], why };
  if (rule.retention.fit) {
    notes.push(fitOnly(rule.retention)
      ? `fit mode on ${target}: every snapshot stays while there is room; a backup that needs room removes the oldest first`
      : `fit mode on ${target}: a backup that needs more room than the rules free removes the oldest first`);
  }
  const complete = drive?.snapshots.filter((s) => s.complete) ?? [];
  const newId = written ?? (newDate ? `${newDate}T235959Z` : undefined);
  const result = applyRetention([...complete.map((s) => s.id).filter((id) => id !== written), ...(newId ? [newId] : [])], rule.retention);
  const verified = input.drives.flatMap((d) => d.snapshots.filter((s) => s.complete && s.verified).map((s) => ({ drive: d.name, id: s.id })));
  const newestVerified = verified.map((v) => v.id).sort().at(-1);
  // The drive's newest snapshot stays too: until the new one has been re-read after a re-plug,
  // it is this drive's last proven restore point.
  const newestHere = complete.map((s) => s.id).filter((id) => id !== written).sort().at(-1);
  for (const [id, rules] of result.keep) why.set(id, [...rules]);
  const prune: PruneItem[] = [];
  for (const id of result.remove) {
    if (id === newId) continue;
    if (id === newestHere) {
      why.set(id, [`the newest on ${target} (its last proven restore point until the new one is re-read)`]);
      continue;
    }
    const s = complete.find((x) => x.id === id)!;
    if (id === newestVerified && !verified.some((v) => v.id === id && v.drive !== target)) {
      notes.push(`keeping ${target}/${id} although retention would drop it: it is the newest verified copy anywhere`);
      why.set(id, ['the newest verified copy anywhere']);
      continue;
    }
    prune.push({ drive: target, snapshot: id, bytes: s.bytes, reason: `kept by no rule (${describeRetention(rule)})` });
  }
  return { ...keepBases(target, complete, prune, notes, why), why };
}

/**
 * Format 2 chains: a snapshot that a kept increment builds on stays, however old, or the kept one
 * could not be restored (core/chains.ts). Format-1 snapshots have no base: nothing changes.
 */
function keepBases(target: string, complete: PlanSnapshot[], prune: PruneItem[], notes: string[], why: Map<string, string[]>): { prune: PruneItem[]; notes: string[] } {
  if (!complete.some((s) => s.base !== undefined)) return { prune, notes };
  const gone = new Set(prune.map((p) => p.snapshot));
  const snaps = complete.map((s) => ({ id: s.id, bytes: s.bytes, complete: true, ...(s.base === undefined ? {} : { base: s.base }) }));
  const { keep } = keepWithBases(snaps, complete.filter((s) => !gone.has(s.id)).map((s) => s.id));
  for (const p of prune.filter((x) => keep.has(x.snapshot))) {
    const needs = dependantsOf(snaps, p.snapshot).filter((d) => !gone.has(d));
    notes.push(`keeping ${target}/${p.snapshot} although retention would drop it: kept snapshots build on it (${needs.join(', ')})`);
    why.set(p.snapshot, [`kept snapshots build on it (${needs.join(', ')})`]);
  }
  return { prune: prune.filter((x) => !keep.has(x.snapshot)), notes };
}

export function describeRetention(d: RotationDrive): string {
  const r = d.retention;
  return `last ${r.keepLast}, daily ${r.daily}, weekly ${r.weekly}, monthly ${r.monthly}, yearly ${r.yearly}`;
}

function nextDates(input: PlanInput, plan: Plan): { drive: string; date: string }[] {
  const { policy } = input;
  const names = policy.drives.map((d) => d.name);
  const out = new Map<string, string>();
  if (plan.target && plan.targetDate) out.set(plan.target, plan.targetDate);
  const from = plan.targetDate ?? input.today;
  if (policy.scheme === 'oldest-first') {
    // After the target, the others in the order their newest snapshots age.
    const byName = new Map(input.drives.map((d) => [d.name, d]));
    const rest = names.filter((n) => n !== plan.target).sort((a, b) => (newest(byName.get(a)) ?? '').localeCompare(newest(byName.get(b)) ?? '') || names.indexOf(a) - names.indexOf(b));
    let date = from;
    for (const n of rest) {
      date = nextBackupDay(policy.cadence, date);
      out.set(n, date);
    }
  } else {
    const limit = schemePeriod(policy.scheme, names.length) + 1;
    let seen = 0;
    for (const { day, slot } of backupDaysAfter(policy.cadence, policy.epoch, from)) {
      if (out.size >= names.length || ++seen > limit) break;
      const n = names[driveIndexForSlot(policy.scheme, slot, names.length)]!;
      if (!out.has(n)) out.set(n, toDate(day));
    }
  }
  return names.filter((n) => out.has(n)).map((n) => ({ drive: n, date: out.get(n)! }));
}
