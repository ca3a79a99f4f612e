import { rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { EXIT, usageError, AirgapError } from '../../core/errors.js';
import { driveWriteError } from '../../core/io-errors.js';
import { DriveLock } from '../../drives/lock.js';
import { readDriveContents } from '../../snapshot/drive-contents.js';
import type { SourceRoot } from '../../snapshot/scan.js';
import { writeSnapshot } from '../../snapshot/write-snapshot.js';
import { backupProgressText, startProgress } from '../../ui/progress.js';
import { bytes, renderBackupSummary, renderProblems } from '../../ui/render.js';
import { loadConfig } from '../config.js';
import type { Context } from '../context.js';
import { findDrive, printJson, refuseFingerprintMismatch } from '../shared.js';

export interface BackupFlags {
  drive?: string;
  source?: string[];
  exclude?: string[];
  dryRun?: boolean;
  strict?: boolean;
  acceptFingerprint?: boolean;
}

export async function backupCommand(ctx: Context, flags: BackupFlags): Promise<number> {
  const config = await loadConfig(ctx.configPath, ctx.configExplicit);
  const sources = flags.source?.length ? flags.source : config?.sources;
  if (!sources?.length) {
    throw usageError('no-sources', `nothing to back up: no --source given and no config at ${ctx.configPath}`, 'pass --source <dir> or run `airgap init --source <dir>`');
  }
  if (!flags.drive) {
    throw usageError('no-drive', 'which drive? --drive is required', 'pass --drive <name|path> (see `airgap list`)');
  }
  const roots = await sourceRoots(sources);
  const excludes = [...(config?.excludes ?? []), ...(flags.exclude ?? [])];
  const drive = await findDrive(ctx, flags.drive, { acceptFingerprint: flags.acceptFingerprint });
  if (!flags.dryRun) refuseFingerprintMismatch(drive);
  const label = drive.identity.name;

  const lock = flags.dryRun ? undefined : await DriveLock.acquire(drive.airgapDir, label, 'backup');
  const abort = new AbortController();
  const onSigint = () => {
    ctx.stderr.write('\ncancelling: stopping at the next safe point and removing the unfinished snapshot…\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const progress = await startProgress(ctx.progress, `Scanning sources for drive ${label}…`);
  try {
    if (lock) await removeLeftovers(ctx, drive.airgapDir);
    const started = Date.now();
    const result = await writeSnapshot({
      airgapDir: drive.airgapDir,
      drive: { id: drive.identity.id, name: label },
      roots, excludes, clock: ctx.clock, toolVersion: ctx.version,
      dryRun: flags.dryRun, strict: flags.strict, signal: abort.signal,
      stallMs: ctx.stallMs,
      onScanned: (s) => progress.update(() => `Found ${s.files} files (${bytes(s.bytes)}); writing to drive ${label}…`),
      onProgress: (p) => progress.update(() => backupProgressText(p, (Date.now() - started) / 1000)),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    if (result.dryRun) {
      if (ctx.json) printJson(ctx, { ok: true, dryRun: true, snapshot: result.id, drive: label, counts: result.counts, estimatedBytes: result.estimate, problems: result.problems });
      else {
        const c = result.counts;
        ctx.stdout.write(`Dry run: snapshot ${result.id} on drive ${label} would hold ${c.files} files, ${c.dirs} folders, ${c.symlinks} symlinks, ${c.hardlinks} hard links · ${bytes(c.contentBytes)} (about ${bytes(result.estimate)} on the drive). Nothing was written.\n`);
        ctx.stdout.write(renderProblems(result.problems));
      }
      return EXIT.ok;
    }
    if (ctx.json) printJson(ctx, { ok: true, snapshot: result.id, dir: result.dir, drive: label, seconds, meta: result.meta, problems: result.problems });
    else {
      ctx.stdout.write(renderBackupSummary(result.meta, result.dir, seconds));
      ctx.stdout.write(renderProblems(result.problems));
    }
    return EXIT.ok;
  } catch (e) {
    // An I/O error on the drive itself (unplugged between listing and writing, full, read-only)
    // is a refusal with a message, not a bug.
    const errno = e as NodeJS.ErrnoException;
    if (!(e instanceof AirgapError) && errno.code && errno.path?.startsWith(drive.root)) throw driveWriteError(errno, label) ?? e;
    throw e;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await lock?.release();
  }
}

/** One top-level folder per source, named after it; clashes get -2, -3, ... */
async function sourceRoots(sources: string[]): Promise<SourceRoot[]> {
  const used = new Set<string>();
  const roots: SourceRoot[] = [];
  for (const s of sources) {
    const path = resolve(s);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) throw usageError('bad-source', `source ${path} does not exist or is not a folder`, 'check the path given with --source or in the config');
    const base = basename(path) || 'root';
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    roots.push({ path, root: name });
  }
  return roots;
}

/** Unfinished snapshots of interrupted runs: reported, then removed (we hold the lock). */
async function removeLeftovers(ctx: Context, airgapDir: string): Promise<void> {
  const { leftovers } = await readDriveContents(airgapDir);
  for (const name of leftovers) {
    ctx.stderr.write(`note: removing ${name}, an unfinished snapshot left by an interrupted backup\n`);
    try {
      await rm(join(airgapDir, name), { recursive: true, force: true });
    } catch (e) {
      throw new AirgapError('leftover-stuck', `cannot remove the unfinished snapshot ${name}: ${(e as Error).message}`, EXIT.refused, 'remove that folder by hand, then run again');
    }
  }
}
