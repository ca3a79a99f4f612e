// The label job, in two steps with the user's say in between: plan (what would change, refused
// when it must not happen) and apply (the airgap/ folder, the identity file, the config's
// rotation name bound to the new drive id).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { DriveIdentity } from '../layout/format.js';
import { applyLabel, planLabel, type LabelInput, type LabelPlan } from '../drives/label.js';
import { bindRotationId, unbindRotationId } from '../state/config.js';
import { fingerprint } from './drive-lookup.js';
import type { Session } from './session.js';

export interface LabelOptions {
  name: string;
  force?: boolean;
}

export interface PlannedLabel {
  path: string;
  input: LabelInput;
  plan: LabelPlan;
  /** The question to ask before applying it. */
  question: string;
  /** Whether a config exists whose rotation names get bound. */
  configured: boolean;
}

export interface LabelResult {
  ok: true;
  drive: DriveIdentity;
  path: string;
  airgapDir: string;
  relabelled: boolean;
}

export async function planLabelJob(s: Session, pathArg: string, opts: LabelOptions): Promise<PlannedLabel> {
  const path = resolve(pathArg);
  // Only used for the same-disk-as-a-source check and the rotation names: labelling may come before `init`.
  const config = await s.configIfPresent();
  const input: LabelInput = {
    path, name: opts.name, force: opts.force ?? false, registry: await s.catalog(), drivesRoot: s.env.drivesRoot,
    sources: config?.sources ?? [], rotation: config?.drives.rotation ?? [], now: s.now, newId: randomUUID, host: hostname(), toolVersion: s.env.version, platform: s.env.platform,
  };
  const plan = await planLabel(input);
  const question = plan.relabel
    ? plan.previousName === undefined
      ? `Relabel the airgap drive at ${path}, whose identity file is damaged, as "${opts.name}" (${plan.keptId ? 'keeping the id this computer knew it by' : 'with a new id'}; its snapshots are kept)?`
      : `Relabel the airgap drive at ${path} from "${plan.previousName}" to "${opts.name}" (its snapshots are kept)?`
    : `Label ${path} as airgap drive "${opts.name}"? (adds an airgap/ folder; nothing else on the drive is touched)`;
  return { path, input, plan, question, configured: config !== undefined };
}

export async function applyLabelJob(s: Session, p: PlannedLabel): Promise<LabelResult> {
  await applyLabel(p.plan, { ...p.input, fingerprint: await fingerprint(s.env, p.path) });
  if (p.configured) {
    // The rotation entry of the new name is bound to this drive; a relabel frees the old name.
    await unbindRotationId(s.env.configPath, p.plan.identity.id, p.plan.identity.name);
    await bindRotationId(s.env.configPath, p.plan.identity.name, p.plan.identity.id);
    s.forgetConfig();
  }
  return { ok: true, drive: p.plan.identity, path: p.path, airgapDir: p.plan.airgapDir, relabelled: p.plan.relabel };
}
