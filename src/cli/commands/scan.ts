// `airgap scan`: the scan job, rendered or as JSON (warnings on stderr).
import { EXIT } from '../../core/errors.js';
import { scan } from '../../jobs/scan.js';
import { displayText } from '../../ui/render.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';
import { plural } from '../../core/plural.js';

export async function scanCommand(ctx: Context): Promise<number> {
  const r = await scan(sessionOf(ctx));
  if (ctx.json) {
    printJson(ctx, r);
    return EXIT.ok;
  }
  ctx.stdout.write(r.scanned.length ? `Catalog updated from ${plural(r.scanned.length, 'drive')}:\n` : 'No airgap drive is connected: nothing to scan.\n');
  for (const d of r.scanned) ctx.stdout.write(`  ${displayText(d.name)}  ${displayText(d.root)}  ${plural(d.snapshots, 'snapshot')}\n`);
  for (const w of r.warnings) ctx.stderr.write(`warning: ${displayText(w)}\n`);
  return EXIT.ok;
}
