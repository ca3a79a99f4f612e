// Small pieces several commands share: registry access, drive lookup, confirmation.
import { rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_PREFIX } from '../layout/format.js';
import { readDriveContents, summarizeSnapshots, twinMessage } from '../layout/drive-contents.js';
import { describeFingerprint, type Fingerprint, type FingerprintCheck } from '../core/drive-model.js';
import { AirgapError, EXIT, refusal, usageError } from '../core/errors.js';
import { Catalog } from '../state/catalog.js';
import { resolveDrive, type ResolvedDrive } from '../drives/resolve.js';
import { checkBinding, impostorHint, impostorMessage, type BindingCheck, type RotationBinding } from '../drives/binding.js';
import { bindRotationId, loadConfig } from './config.js';
import type { Context } from './context.js';
import { driveLookup } from './drive-lookup.js';

export async function openCatalog(ctx: Context): Promise<Catalog> {
  const catalog = await Catalog.load(ctx.stateDir, ctx.clock());
  if (catalog.loadWarning) ctx.stderr.write(`warning: ${catalog.loadWarning}\n`);
  return catalog;
}

/** The drive is the truth for its contents: every time airgap sees a drive, the catalog follows. */
export async function refreshFromDrive(ctx: Context, catalog: Catalog, drive: { identity: { id: string }; root: string; airgapDir: string }): Promise<void> {
  const summaries = await summarizeSnapshots(drive.airgapDir).catch(() => undefined);
  const fs = await statfs(drive.root).catch(() => undefined);
  if (summaries) catalog.recordContents(drive.identity.id, summaries, fs ? { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize } : undefined, ctx.clock());
}

/**
 * Records a detected drive in the catalog (seen, and what it holds), unless it only claims the
 * name of another known drive: an impostor is never recorded, or the real drive would later
 * look like the impostor. Returns the binding, and the fingerprint check of a recorded drive.
 */
export async function recordDetected(
  ctx: Context, catalog: Catalog, d: { identity: { id: string; name: string; createdAt: string }; root: string; airgapDir: string; fingerprint?: Fingerprint }, rotation: RotationBinding[],
): Promise<{ binding: BindingCheck; fingerprint?: FingerprintCheck }> {
  const binding = checkBinding(d.identity, catalog, rotation);
  if (binding.status === 'impostor') return { binding };
  const fingerprint = catalog.seen(d.identity, d.root, ctx.clock(), d.fingerprint);
  await refreshFromDrive(ctx, catalog, d);
  return { binding, fingerprint };
}

/** The config's rotation (names and bound ids), or none when there is no readable config. */
export async function rotationBindings(ctx: Context): Promise<RotationBinding[]> {
  return (await loadConfig(ctx.configPath, false).catch(() => undefined))?.drives.rotation ?? [];
}

export interface FoundDrive extends ResolvedDrive {
  fingerprintCheck: FingerprintCheck;
  binding: BindingCheck;
}

/**
 * Finds a drive and records that it was seen (best effort: a read-only home is no reason to
 * fail). A fingerprint that differs from the recorded one (a cloned drive, a copied identity
 * file) is reported; commands that write refuse it unless the user accepts it.
 * A drive that calls itself by the name of another known drive (another id: an impostor, a
 * copied drive.json) is refused outright by commands that write (`write`: exit 4); commands
 * that only read get a warning, and nothing about it is recorded. `bind`: the config's rotation
 * entry of that name, not yet bound, is bound to this drive's id (its first use).
 */
export async function findDrive(ctx: Context, spec: string, opts: { acceptFingerprint?: boolean; write?: boolean; bind?: boolean } = {}): Promise<FoundDrive> {
  const reg = await openCatalog(ctx);
  const drive = await resolveDrive(spec, driveLookup(ctx, reg));
  const config = await loadConfig(ctx.configPath, false).catch(() => undefined);
  const binding = checkBinding(drive.identity, reg, config?.drives.rotation ?? []);
  if (binding.status === 'impostor') {
    if (opts.write) throw refusal('not-your-drive', `${impostorMessage(drive.identity, drive.root, binding)}; nothing was written`, impostorHint(drive.identity, drive.root));
    ctx.stderr.write(`warning: ${impostorMessage(drive.identity, drive.root, binding)}; it is not recorded in the catalog\n`);
    return { ...drive, fingerprintCheck: { status: 'unknown' }, binding };
  }
  if (opts.bind && config && (await bindRotationId(ctx.configPath, drive.identity.name, drive.identity.id).catch(() => false))) {
    ctx.stderr.write(`note: drive ${drive.identity.name} (id ${drive.identity.id}) is now bound to its name in the config ${ctx.configPath}\n`);
  }
  const check = reg.seen(drive.identity, drive.root, ctx.clock(), drive.fingerprint);
  await refreshFromDrive(ctx, reg, drive);
  if (check.status === 'mismatch') {
    if (opts.acceptFingerprint && drive.fingerprint) {
      reg.acceptFingerprint(drive.identity.id, drive.fingerprint);
      ctx.stderr.write(`note: accepted the new hardware fingerprint of drive ${drive.identity.name} (${describeFingerprint(drive.fingerprint)})\n`);
    } else {
      ctx.stderr.write(`warning: ${fingerprintMessage(drive, check)}\n`);
    }
  }
  await reg.save().catch((e: Error) => ctx.stderr.write(`warning: could not update ${reg.file}: ${e.message}\n`));
  return { ...drive, binding, fingerprintCheck: opts.acceptFingerprint && check.status === 'mismatch' ? { status: 'match' } : check };
}

export function fingerprintMessage(drive: ResolvedDrive, check: FingerprintCheck): string {
  if (check.status !== 'mismatch') return '';
  const diffs = check.fields.map((f) => `${f.field} was ${f.recorded}, now ${f.seen}`).join('; ');
  return `drive ${drive.identity.name} at ${drive.root} is not the disk first seen with that name (${diffs}): a cloned drive or a copied identity file?`;
}

/** Writing commands call this: a drive whose hardware changed is not written to unconfirmed. */
export function refuseFingerprintMismatch(drive: FoundDrive): void {
  if (drive.fingerprintCheck.status === 'mismatch') {
    throw refusal('fingerprint-mismatch', fingerprintMessage(drive, drive.fingerprintCheck),
      'if you replaced or cloned the drive on purpose, run again with --accept-fingerprint; otherwise relabel one of the two drives');
  }
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
  ctx.stdout.write(JSON.stringify(value, null, ctx.jsonLines ? undefined : 2) + '\n');
}

/** A value the user gave, quoted for a message: cut at 40 characters, with its length when cut. */
export function quoteShort(v: string): string {
  return v.length > 40 ? `${JSON.stringify(`${v.slice(0, 40)}…`)} (${v.length} characters)` : JSON.stringify(v);
}

/**
 * Records in the catalog, durably, that this host prunes these snapshots, before any is touched:
 * a snapshot missing from a drive without such a record is reported as lost. If the record
 * cannot be saved, nothing is pruned.
 */
export async function recordPruneFirst(catalog: Catalog, driveId: string, ids: string[], at: Date): Promise<void> {
  catalog.recordPruned(driveId, ids, at);
  await catalog.save().catch((e: Error) => {
    throw refusal('catalog-unwritable', `cannot record the prune in the catalog ${catalog.file}: ${e.message}; nothing was pruned`,
      'make the state folder writable (AIRGAP_STATE_DIR), then run again');
  });
}

/** After a prune (done, skipped or failed): the records of snapshots still on the drive are withdrawn. */
export async function withdrawUnpruned(catalog: Catalog, driveId: string, airgapDir: string, ids: string[]): Promise<void> {
  const still = new Set((await readDriveContents(airgapDir).catch(() => undefined))?.snapshots.map((s) => s.id) ?? []);
  catalog.withdrawPruned(driveId, ids.filter((id) => still.has(id)));
  await catalog.save().catch(() => {});
}

/**
 * Removes what interrupted backups and prunes left (the caller holds the drive lock). A leftover
 * whose snapshot X is also there (.partial-X or .pruning-X next to X) is never removed: on
 * FAT/exFAT a rename is not atomic, and after a power cut both entries may point at the same
 * clusters, so deleting one would delete the snapshot. Those are reported, and left for fsck.
 */
export async function removeLeftovers(ctx: Context, airgapDir: string): Promise<void> {
  const { leftovers, twins } = await readDriveContents(airgapDir);
  for (const name of twins) ctx.stderr.write(`warning: ${twinMessage(name)}\n`);
  for (const name of leftovers) {
    if (twins.includes(name)) continue;
    ctx.stderr.write(`note: removing ${name}, left by an interrupted ${name.startsWith(PARTIAL_PREFIX) ? 'backup' : 'prune'}\n`);
    try {
      await rm(join(airgapDir, name), { recursive: true, force: true });
    } catch (e) {
      throw new AirgapError('leftover-stuck', `cannot remove the unfinished snapshot ${name}: ${(e as Error).message}`, EXIT.refused, 'remove that folder by hand, then run again');
    }
  }
}
