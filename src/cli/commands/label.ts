import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { EXIT } from '../../core/errors.js';
import { applyLabel, planLabel } from '../../drives/label.js';
import { bindRotationId, loadConfig, unbindRotationId } from '../config.js';
import { fingerprint } from '../drive-lookup.js';
import type { Context } from '../context.js';
import { openCatalog } from '../catalog-access.js';
import { confirm } from '../confirm.js';
import { printJson } from '../output.js';

export interface LabelFlags {
  name: string;
  yes?: boolean;
  force?: boolean;
}

export async function labelCommand(ctx: Context, pathArg: string, flags: LabelFlags): Promise<number> {
  const path = resolve(pathArg);
  const registry = await openCatalog(ctx);
  // Only used for the same-disk-as-a-source check: labelling may come before `init`.
  const config = await loadConfig(ctx.configPath, false);
  const input = {
    path, name: flags.name, force: flags.force ?? false, registry, drivesRoot: ctx.drivesRoot,
    sources: config?.sources ?? [], rotation: config?.drives.rotation ?? [], now: ctx.clock(), newId: randomUUID, host: hostname(), toolVersion: ctx.version,
  };
  const plan = await planLabel(input);
  const what = plan.relabel
    ? plan.previousName === undefined
      ? `Relabel the airgap drive at ${path}, whose identity file is damaged, as "${flags.name}" (${plan.keptId ? 'keeping the id this computer knew it by' : 'with a new id'}; its snapshots are kept)?`
      : `Relabel the airgap drive at ${path} from "${plan.previousName}" to "${flags.name}" (its snapshots are kept)?`
    : `Label ${path} as airgap drive "${flags.name}"? (adds an airgap/ folder; nothing else on the drive is touched)`;
  if (!(await confirm(ctx, what, flags.yes))) {
    ctx.stderr.write('nothing was changed\n');
    return EXIT.cancelled;
  }
  await applyLabel(plan, { ...input, fingerprint: await fingerprint(ctx, path) });
  if (config) {
    // The rotation entry of the new name is bound to this drive; a relabel frees the old name.
    await unbindRotationId(ctx.configPath, plan.identity.id, plan.identity.name);
    await bindRotationId(ctx.configPath, plan.identity.name, plan.identity.id);
  }
  if (ctx.json) printJson(ctx, { ok: true, drive: plan.identity, path, airgapDir: plan.airgapDir, relabelled: plan.relabel });
  else ctx.stdout.write(`Labelled ${path} as airgap drive "${plan.identity.name}" (id ${plan.identity.id}).\nA README on the drive (${plan.airgapDir}/README.txt) explains how to verify and restore without airgap.\n`);
  return EXIT.ok;
}
