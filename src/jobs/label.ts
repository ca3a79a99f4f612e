// The label job, in two steps with the user's say in between: plan (what would change, refused
// when it must not happen) and apply (the airgap/ folder, the identity file, the config's
// rotation name bound to the new drive id).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { DriveIdentity } from '../layout/format.js';
import { applyLabel, planLabel, type LabelInput, type LabelPlan } from '../drives/label.js';
import { driveNameKey } from '../core/drive-name.js';
import { driveSizeWarning, fullSize } from '../core/plan-capacity.js';
import { bindRotationId, policyOf, unbindRotationId } from '../state/config.js';
import { encryptionFor } from '../state/config-encryption.js';
import { wrappedDriveKey } from './encryption-setup.js';
import { capacityOf } from './catalog-sync.js';
import { fingerprint } from './drive-lookup.js';
import { planInput } from './planning.js';
import { measureSources } from './source-size.js';
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
  /** Said before the first backup: the drive is too small for its rules at the sources' size. */
  warnings: string[];
}

export async function planLabelJob(s: Session, pathArg: string, opts: LabelOptions): Promise<PlannedLabel> {
  const path = resolve(pathArg);
  // Only used for the same-disk-as-a-source check and the rotation names: labelling may come before `init`.
  const config = await s.configIfPresent();
  const encryption = encryptionFor(config, opts.name);
  const wrappedKey = encryption ? await wrappedDriveKey(s.env.configPath, config) : undefined;
  const input: LabelInput = {
    path, name: opts.name, force: opts.force ?? false, registry: await s.catalog(), drivesRoot: s.env.drivesRoot,
    sources: config?.sources ?? [], rotation: config?.drives.rotation ?? [], now: s.now, newId: randomUUID, host: hostname(), toolVersion: s.env.version, platform: s.env.platform,
    ...(encryption ? { encryption: { recipients: encryption.recipients, ...(wrappedKey ? { wrappedKey } : {}) } } : {}),
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
  const small = p.configured ? await sizeCheck(s, p.path, p.plan.identity.name) : undefined;
  return { ok: true, drive: p.plan.identity, path: p.path, airgapDir: p.plan.airgapDir, relabelled: p.plan.relabel, warnings: small ? [small] : [] };
}

/**
 * Warned early (issue 17 §2): the drive's whole size against what its retention keeps at the
 * sources' size (a snapshot already written anywhere, or the sources walked now). Advice only:
 * the label stands either way.
 */
async function sizeCheck(s: Session, path: string, name: string): Promise<string | undefined> {
  const config = await s.configIfPresent();
  if (!config) return undefined;
  const policy = policyOf(config);
  const drive = policy.drives.find((d) => driveNameKey(d.name) === driveNameKey(name));
  const room = await capacityOf(path);
  if (!drive || !room) return undefined;
  const input = planInput(policy, await s.catalog(), s, []);
  if (fullSize(input) === undefined) input.sourceBytes = await measureSources(config);
  return driveSizeWarning(input, drive.name, room.total);
}
