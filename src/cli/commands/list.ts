// `airgap list [drive]`: the list job, rendered or as JSON (one drive: its object; all: an array).
import { EXIT } from '../../core/errors.js';
import { listConnected, listDrive } from '../../jobs/list.js';
import { renderListedDrive } from '../../ui/render.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function listCommand(ctx: Context, spec: string | undefined): Promise<number> {
  const s = sessionOf(ctx);
  if (spec) {
    const one = await listDrive(s, spec);
    if (ctx.json) printJson(ctx, one);
    else ctx.stdout.write(renderListedDrive(one));
    return EXIT.ok;
  }
  const { drives, damaged } = await listConnected(s);
  if (ctx.json) printJson(ctx, drives);
  else if (drives.length === 0) {
    ctx.stdout.write(damaged
      ? `No usable airgap drive is connected (${damaged} with a damaged identity file: see the warning above).\n`
      : 'No airgap drive is connected. Label one with `airgap label <path> --name <NAME>`.\n');
  } else for (const d of drives) ctx.stdout.write(renderListedDrive(d));
  return EXIT.ok;
}
