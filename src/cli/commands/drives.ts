import { checkFingerprint } from '../../core/drive-model.js';
import { EXIT } from '../../core/errors.js';
import { renderDrives, type DriveRow } from '../../ui/render-drives.js';
import type { Context } from '../context.js';
import { detect } from '../drive-lookup.js';
import { openCatalog, recordDetected, rotationBindings } from '../catalog-access.js';
import { printJson } from '../output.js';

export interface DrivesFlags {
  all?: boolean;
  includeLoop?: boolean;
}

export async function drivesCommand(ctx: Context, flags: DrivesFlags): Promise<number> {
  const registry = await openCatalog(ctx);
  const found = await detect(ctx, { includeLoop: flags.includeLoop }, registry);
  const rotation = await rotationBindings(ctx);
  const rows: DriveRow[] = [];
  for (const d of found.labelled) {
    const { binding, fingerprint: check } = await recordDetected(ctx, registry, d, rotation);
    const row: DriveRow = { name: d.identity.name, id: d.identity.id, root: d.root, snapshots: d.snapshots };
    if (d.device) row.device = d.device;
    if (d.space) row.space = d.space;
    if (d.fingerprint) row.fingerprint = d.fingerprint;
    if (d.lastSnapshot) row.lastSnapshot = d.lastSnapshot;
    if (d.leftovers.length) row.leftovers = d.leftovers;
    if (binding.status === 'impostor') {
      row.warning = `not your drive ${d.identity.name}: ${binding.by === 'config' ? 'the config binds' : 'this computer knows'} drive ${d.identity.name} to the id ${binding.knownId}${binding.lastPath ? ` (last seen at ${binding.lastPath})` : ''}; airgap will not write to it`;
    } else if (check?.status === 'mismatch') {
      row.warning = `hardware differs from when first seen (${check.fields.map((f) => `${f.field} was ${f.recorded}, now ${f.seen}`).join('; ')}): a clone or a copied identity file? airgap will not write to it until you pass --accept-fingerprint`;
    }
    rows.push(row);
  }
  await registry.save().catch(() => {});
  if (ctx.json) {
    printJson(ctx, {
      labelled: found.labelled.map((d, i) => ({ ...rows[i], fingerprintCheck: checkFingerprint(registry.byId(d.identity.id)?.fingerprint, d.fingerprint).status, via: d.via, readOnly: d.readOnly })),
      unlabelled: found.unlabelled,
      ...(flags.all ? { refused: found.refused } : {}),
      warnings: found.warnings,
    });
  } else {
    ctx.stdout.write(renderDrives(rows, found.unlabelled, flags.all ? found.refused.map((r) => ({ ...r, reason: r.detail })) : undefined, found.warnings));
  }
  return EXIT.ok;
}
