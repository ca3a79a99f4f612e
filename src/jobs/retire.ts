// `airgap retire <drive>` (issue 17 §3): a drive leaves the rotation — the planner no longer
// schedules it, backups never write to it — but stays this config's drive: status shows it as
// retired, and its snapshots stay readable (list, verify, restore, find) whenever it is connected.
// Reversible: `airgap retire <drive> --undo` puts its entry back, at the end of the rotation.
import { byDriveName, sameDriveName } from '../core/drive-name.js';
import { refusal, usageError } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { moveRotationEntry, type Config } from '../state/config.js';
import type { Session } from './session.js';

export interface RetirePlan {
  name: string;
  undo: boolean;
  question: string;
}

/** Whether this drive is one the config retired (by its id, or by name for an entry never bound). */
export function isRetired(config: Config | undefined, drive: { id: string; name: string }): boolean {
  return (config?.drives.retired ?? []).some((r) => (r.id ? r.id === drive.id : sameDriveName(r.name, drive.name)));
}

export async function planRetire(s: Session, spec: string, opts: { undo?: boolean }): Promise<RetirePlan> {
  const config = await s.config();
  if (!config) throw usageError('no-config', `no config at ${s.env.configPath}`, 'create one: airgap init --source <dir> --drives A,B,C');
  const { rotation, retired } = config.drives;
  const catalog = await s.catalog();
  if (opts.undo) {
    const entry = byDriveName(retired, spec);
    if (!entry) throw usageError('not-retired', `drive ${spec} is not retired${retired.length ? ` (retired: ${retired.map((r) => r.name).join(', ')})` : ''}`, 'airgap status lists the drives of the rotation and the retired ones');
    return { name: entry.name, undo: true, question: `Put drive ${entry.name} back into the rotation (at its end: the plan may schedule it from now on)?` };
  }
  const entry = byDriveName(rotation, spec);
  if (!entry) {
    if (byDriveName(retired, spec)) throw usageError('already-retired', `drive ${spec} is already retired`, `to put it back into the rotation: airgap retire ${spec} --undo`);
    throw usageError('not-in-rotation', `drive ${spec} is not in the config's rotation (${rotation.map((d) => d.name).join(', ') || 'empty'})`, 'airgap status lists the drives of the rotation');
  }
  const left = rotation.length - 1;
  if (left > 0 && config.policy.offline > left - 1) {
    throw refusal('rotation-too-small', `without ${entry.name} the rotation has ${plural(left, 'drive')}, but policy.offline keeps ${config.policy.offline} offline while one is written`,
      `lower policy.offline in ${s.env.configPath} to ${left - 1}, or first replace ${entry.name} (airgap replace ${entry.name} <path>)`);
  }
  const known = entry.id ? catalog.byId(entry.id) : catalog.byName(entry.name);
  const held = known ? `its ${plural(known.snapshots.length, 'snapshot')} stay on it` : 'what it holds stays on it';
  return {
    name: entry.name, undo: false,
    question: `Retire drive ${entry.name}: take it out of the rotation (never scheduled or written again; ${held}, readable by list, verify, restore and find)? airgap retire ${entry.name} --undo puts it back`,
  };
}

export async function applyRetire(s: Session, plan: RetirePlan): Promise<RetirePlan> {
  if (!(await moveRotationEntry(s.env.configPath, plan.name, plan.undo, s.now.toISOString()))) {
    throw refusal('config-changed', `the config ${s.env.configPath} changed meanwhile: drive ${plan.name} is no longer ${plan.undo ? 'retired' : 'in the rotation'}`, 'look at it (airgap status), then run again if still needed');
  }
  s.forgetConfig();
  return plan;
}
