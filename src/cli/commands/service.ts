// `airgap service install|remove|status|print`: the daily reminder and the drive watcher as a
// user service (jobs/service.ts). The host's facts a job may not read itself are gathered here:
// node's and airgap's own paths, the home and XDG folders, the uid, the environment.
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EXIT, usageError } from '../../core/errors.js';
import { parseTimeOfDay } from '../../core/service-units.js';
import { installService, printService, removeService, servicePlatform, serviceStatus, type ServiceHost } from '../../jobs/service.js';
import { renderServiceInstall, renderServiceRemove, renderServiceStatus } from '../../ui/render-service.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export interface ServiceFlags {
  force?: boolean;
  at?: string;
  platform?: string;
}

/** bin/airgap.js of this installation (dist/cli/commands/ → the package root): what the units run. */
export const airgapBin = () => fileURLToPath(new URL('../../../bin/airgap.js', import.meta.url));

function host(flags: ServiceFlags): ServiceHost {
  const at = parseTimeOfDay(flags.at ?? '09:00');
  if (!at) throw usageError('bad-time', `--at must be a time of day like 09:00, got "${flags.at}"`, 'e.g. --at 18:30');
  const env = process.env;
  return {
    platform: process.platform, uid: process.getuid?.() ?? 0, env,
    ...(env.XDG_RUNTIME_DIR ? { runtimeDir: env.XDG_RUNTIME_DIR } : {}),
    ...(env.XDG_CONFIG_HOME ? { configHome: env.XDG_CONFIG_HOME } : {}),
    home: homedir(), node: process.execPath, bin: airgapBin(), at,
  };
}

export async function serviceCommand(ctx: Context, action: string, flags: ServiceFlags): Promise<number> {
  const s = sessionOf(ctx);
  const h = host(flags);
  if (action === 'print') {
    const r = printService(s, h, servicePlatform(flags.platform ?? ctx.platform));
    if (ctx.json) printJson(ctx, r);
    else ctx.stdout.write(r.commands ? r.commands.join('\n') + '\n' : r.files.map((f) => `# ==> ${f.path} <==\n${f.text}`).join('\n'));
    return EXIT.ok;
  }
  if (flags.platform !== undefined) throw usageError('bad-flags', '--platform is for airgap service print only', 'install, remove and status act on this computer');
  const platform = servicePlatform(ctx.platform);
  if (action === 'install') {
    const r = await installService(s, h, platform, flags.force ?? false);
    if (ctx.json) printJson(ctx, r);
    else ctx.stdout.write(renderServiceInstall(r));
  } else if (action === 'remove') {
    const r = await removeService(s, h, platform, flags.force ?? false);
    if (ctx.json) printJson(ctx, r);
    else ctx.stdout.write(renderServiceRemove(r));
  } else if (action === 'status') {
    const r = await serviceStatus(s, h, platform);
    if (ctx.json) printJson(ctx, r);
    else ctx.stdout.write(renderServiceStatus(r));
  } else throw usageError('bad-action', `airgap service ${action}: unknown action`, 'use airgap service install, remove, status or print');
  return EXIT.ok;
}
