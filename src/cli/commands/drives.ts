// `airgap drives`: the drives job, rendered or as JSON.
import { EXIT } from '../../core/errors.js';
import { drives } from '../../jobs/drives.js';
import { renderDrives } from '../../ui/render-drives.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export interface DrivesFlags {
  all?: boolean;
  includeLoop?: boolean;
}

export async function drivesCommand(ctx: Context, flags: DrivesFlags): Promise<number> {
  const r = await drives(sessionOf(ctx), flags);
  if (ctx.json) printJson(ctx, r);
  else ctx.stdout.write(renderDrives(r.labelled, r.unlabelled, r.refused?.map((x) => ({ ...x, reason: x.detail })), r.warnings));
  return EXIT.ok;
}
