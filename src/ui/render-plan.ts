// Today's plan and the status screen, as a person reads them: what to do, why, what to watch.
import { daysBetween } from '../core/calendar.js';
import type { StatusView } from '../core/status-model.js';
import type { Plan } from '../core/planner.js';
import { bytes, displayText } from './render.js';
import { plural } from '../core/plural.js';
import { renderKept } from './render-prune.js';

export function renderPlan(plan: Plan): string {
  const out: string[] = [];
  if (!plan.target) {
    out.push(`Plan for ${plan.date}: nothing can be planned.`);
  } else if (plan.due) {
    const late = plan.targetDate && plan.targetDate < plan.date ? ` (due since ${plan.targetDate})` : '';
    out.push(`Plan for ${plan.date}: write today's snapshot to drive ${plan.target}${late}.`);
  } else {
    out.push(`Plan for ${plan.date}: nothing due. Next: drive ${plan.target} on ${plan.targetDate}.`);
  }
  if (plan.keepOffline.length) {
    out.push('', 'Keep disconnected:');
    for (const o of plan.keepOffline) out.push(`  ${o.drive.padEnd(8)} ${o.where.padEnd(8)} ${o.required ? '(required) ' : ''}${o.reason}`);
  }
  if (plan.prune.length) {
    out.push('', `After the new snapshot is written and verified, prune on ${plan.target}:`);
    for (const p of plan.prune) out.push(`  ${p.snapshot}  ${bytes(p.bytes)}  ${p.reason}`);
  }
  if (plan.target && plan.keep.length) out.push('', ...renderKept(plan.target, plan.keep));
  // Format 2 says what the next snapshot is: an increment's size is a guess from the recent ones
  // (what changed since is measured only by the backup's scan), a full's is the sources'.
  const increment = `an increment: what changed since ${plan.target}'s last snapshot`;
  if (plan.capacity.estimate !== undefined) {
    const free = plan.capacity.free !== undefined ? `, ${bytes(plan.capacity.free)} free on ${plan.target}` : '';
    const like = plan.capacity.kind === 'increment' ? ` (${increment}, about as large as the recent ones)` : plan.capacity.kind === 'full' ? ' (a new full)' : '';
    out.push('', `Size: about ${bytes(plan.capacity.estimate)}${like}${free}${plan.capacity.fits === false ? ' — DOES NOT FIT' : ''}.`);
  } else if (plan.capacity.kind === 'increment' && plan.due) {
    out.push('', `Size: not known before the backup (${increment}, the first on any drive).`);
  }
  const fc = plan.forecast.filter((f) => f.more !== undefined);
  if (fc.length) {
    out.push('', 'Capacity:');
    for (const f of fc) {
      out.push(`  ${f.drive.padEnd(8)} ${forecastLine(f)}`);
    }
  }
  if (plan.next.length) {
    out.push('', 'Next dates:');
    for (const n of plan.next) out.push(`  ${n.drive.padEnd(8)} ${n.date}`);
  }
  out.push('', 'Why:');
  for (const r of plan.reasons) out.push(`  - ${r}`);
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}

/**
 * "2026-03-01 (3 d ago)". A date after today is not an age: the computer's clock is behind, or
 * the date was written by a machine whose clock was ahead; said so, never "-333 d ago".
 */
function age(today: string, iso: string | undefined): string {
  if (!iso) return 'never';
  const days = daysBetween(iso.slice(0, 10), today);
  return days >= 0 ? `${iso.slice(0, 10)} (${days} d ago)`
    : `${iso.slice(0, 10)} (${plural(-days, 'day')} after today: the computer's clock or that date looks wrong)`;
}

export function renderStatus(v: StatusView): string {
  const out = [`airgap status, ${v.today}`, ''];
  for (const d of v.drives) {
    const role = d.inRotation ? `${d.role}${d.location ? `, ${d.location}` : ''}` : d.retired ? 'retired' : 'not in the rotation';
    out.push(`${d.name}  [${role}]  ${d.connected ? 'CONNECTED' : 'not connected'} — should be: ${d.shouldBe}`);
    out.push(`  written ${age(v.today, d.lastWritten)} · verified ${age(v.today, d.lastVerified)}${d.lastVerifyOk === false ? ' FAILED' : ''} · seen ${age(v.today, d.lastSeen)}`);
    if (d.snapshots > 0 || d.lastDrill) out.push(`  restore drill ${age(v.today, d.lastDrill)}${d.lastDrillOk === false ? ' FAILED' : ''}`);
    out.push(`  holds ${plural(d.snapshots, 'snapshot')}${d.newest ? `, newest ${d.newest}` : ''}${d.free !== undefined ? ` · ${bytes(d.free)} free` : ''}`);
    for (const x of d.suspect ?? []) {
      out.push(x.mark === 'rejected'
        ? `  SUSPECT (rejected): ${x.id}, kept as evidence; not counted as a copy, restore skips it unless named`
        : `  SUSPECT: ${x.id}, not accepted; not counted as a copy: airgap accept ${d.name} ${x.id} or airgap reject ${d.name} ${x.id}`);
    }
  }
  if (v.copies.length) {
    out.push('', 'Newest snapshots across drives:');
    for (const c of v.copies) out.push(`  ${c.date}  on ${c.drives.join(', ')} (${plural(c.drives.length, 'copy', 'copies')})`);
  }
  out.push('');
  if (v.alerts.length) for (const a of v.alerts) out.push(`ALERT: ${displayText(a)}`);
  else out.push('No alerts.');
  out.push('', `Next: ${v.next}`);
  return out.join('\n') + '\n';
}

/** One drive's forecast; a drive with no room left says so, never "~0 more, enough". */
function forecastLine(f: Plan['forecast'][number]): string {
  if (f.more === 0) return 'full: the next backup there must first remove old snapshots (airgap plan says which) or it stops';
  const more = `holds ~${plural(f.more!, 'more snapshot')}`;
  return f.enoughForPolicy ? `${more}, enough for the retention policy` : f.fullAround ? `${more}; full around ${f.fullAround.slice(0, 7)}` : more;
}
