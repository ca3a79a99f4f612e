// `airgap scan`: rebuilds the host catalog from the connected drives (after a damaged catalog was
// set aside, or on a new computer). Drives that only claim a known name are not recorded.
import { EXIT } from '../../core/errors.js';
import { impostorMessage } from '../../drives/binding.js';
import type { Context } from '../context.js';
import { detect } from '../drive-lookup.js';
import { openCatalog, recordDetected, rotationBindings } from '../catalog-access.js';
import { printJson } from '../output.js';

export async function scanCommand(ctx: Context): Promise<number> {
  const catalog = await openCatalog(ctx);
  const found = await detect(ctx, {}, catalog);
  const rotation = await rotationBindings(ctx);
  for (const d of found.labelled) {
    // A drive claiming a known name with another id is not recorded (the catalog never holds two A's).
    const { binding } = await recordDetected(ctx, catalog, d, rotation);
    if (binding.status === 'impostor') found.warnings.push(`${impostorMessage(d.identity, d.root, binding)}: not recorded`);
  }
  await catalog.save();
  if (ctx.json) printJson(ctx, { ok: true, scanned: found.labelled.map((d) => ({ name: d.identity.name, root: d.root, snapshots: d.snapshots })), warnings: found.warnings });
  else {
    ctx.stdout.write(found.labelled.length ? `Catalog updated from ${found.labelled.length} drive(s):\n` : 'No airgap drive is connected: nothing to scan.\n');
    for (const d of found.labelled) ctx.stdout.write(`  ${d.identity.name}  ${d.root}  ${d.snapshots} snapshot(s)\n`);
    for (const w of found.warnings) ctx.stderr.write(`warning: ${w}\n`);
  }
  return EXIT.ok;
}
