// `airgap mount <device>` and `airgap eject <drive>`: their jobs, in words or as JSON.
import { EXIT } from '../../core/errors.js';
import { eject, mount } from '../../jobs/eject.js';
import { renderEject } from '../../ui/render-setup.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function mountCommand(ctx: Context, device: string): Promise<number> {
  const r = await mount(sessionOf(ctx), device);
  if (ctx.json) printJson(ctx, r);
  else ctx.stdout.write(`Mounted ${r.device} at ${r.mountpoint}\n`);
  return EXIT.ok;
}

export async function ejectCommand(ctx: Context, spec: string): Promise<number> {
  const r = await eject(sessionOf(ctx), spec);
  if (ctx.json) printJson(ctx, r);
  else ctx.stdout.write(renderEject(r));
  return EXIT.ok;
}
