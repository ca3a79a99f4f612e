// Small pieces several commands share: registry access, drive lookup, confirmation.
import { usageError } from '../core/errors.js';
import { DriveRegistry } from '../drives/registry.js';
import { resolveDrive, type ResolvedDrive } from '../drives/resolve.js';
import type { Context } from './context.js';

export async function openRegistry(ctx: Context): Promise<DriveRegistry> {
  return DriveRegistry.load(ctx.stateDir);
}

/** Finds a drive and records that it was seen (best effort: a read-only home is no reason to fail). */
export async function findDrive(ctx: Context, spec: string, registry?: DriveRegistry): Promise<ResolvedDrive> {
  const reg = registry ?? (await openRegistry(ctx));
  const drive = await resolveDrive(spec, reg, ctx.drivesRoot);
  reg.seen(drive.identity, drive.root, ctx.clock());
  await reg.save().catch((e: Error) => ctx.stderr.write(`warning: could not update ${reg.file}: ${e.message}\n`));
  return drive;
}

export async function confirm(ctx: Context, message: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!ctx.interactive) {
    throw usageError('confirmation-needed', `${message} needs confirmation, and there is no terminal to ask in`, 'pass --yes to confirm');
  }
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false });
}

export function printJson(ctx: Context, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
