// Everything the backup decides before it takes the drive lock: what to back up, which drive,
// whether it may be written, how retention is asked what to prune afterwards, what the gate
// compares with, and the tarball's part size on this filesystem.
import { backupEncryption, type BackupEncryption } from './backup-encryption.js';
import { usageError } from '../core/errors.js';
import { parseByteSize } from '../core/byte-size.js';
import { DEFAULT_GATE } from '../core/change-analysis.js';
import type { PruneItem } from '../core/planner.js';
import { FAT_PART_SIZE, MIN_PART_SIZE, type SnapshotFormat } from '../layout/format.js';
import { DEFAULT_CHAIN_POLICY, type ChainPolicy } from '../core/chains.js';
import type { Policy } from '../core/policy.js';
import { byDriveName } from '../core/drive-name.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { probeFilesystem, unsafeFilesystem } from '../drives/file-size-limit.js';
import { baselinePath } from '../state/baseline.js';
import { acceptWithoutBackup } from './accept-without-backup.js';
import { globProblem } from '../state/config.js';
import { inspectChanges, sameSourcesSnapshot, type GateResult } from '../gate/inspect.js';
import type { ScanResult, SourceRoot } from '../snapshot/scan.js';
import { quoteShort } from '../core/quote.js';
import { chooseBackupTarget, prunePlanFor } from './backup-target.js';
import { findDrive, refuseFingerprintMismatch, type FoundDrive } from './find-drive.js';
import { sourceRoots } from './sources.js';
import type { BackupNothingDue } from './backup.js';
import type { Catalog } from '../state/catalog.js';
import type { Session } from './session.js';

export interface BackupOptions {
  drive?: string;
  source?: string[];
  exclude?: string[];
  dryRun?: boolean;
  strict?: boolean;
  acceptFingerprint?: boolean;
  allowConnected?: boolean;
  acceptChanges?: boolean;
  noPrune?: boolean;
  /** --part-size as the user wrote it ("4G"). */
  partSize?: string;
  /** --format as the user wrote it ("1", "2" or "3"); else the config's, else 2. */
  format?: string;
  /** --full (format 2): start a new chain. */
  full?: boolean;
  /** --reread (format 2): read every file, even those that look unchanged. */
  reread?: boolean;
}

export interface PreparedBackup {
  drive: FoundDrive;
  roots: SourceRoot[];
  excludes: string[];
  /**
   * What retention prunes after a verified write, asked of the catalog as it is then (with the new
   * snapshot and the chain it builds on); [] for --no-prune and --dry-run.
   */
  prunePlan: (catalog: Catalog, written: string) => PruneItem[];
  /** The rotation, and the drive's name in it, for making room before the write (jobs/make-room.ts). */
  policy?: Policy;
  rotationName?: string;
  baseline: string;
  partSize?: number;
  /** The snapshot format to write, and format 2's chain rules. */
  format: SnapshotFormat;
  chainPolicy: ChainPolicy;
  /** The config's chain.rereadEvery: every Nth increment of a chain reads every file (0: never). */
  rereadEvery: number;
  /** Snapshots on this drive whose last verification failed (a chain through one ends). */
  damaged: Set<string>;
  /** The mass-change gate's look at the scan. */
  inspect: (entries: ScanResult['entries']) => Promise<GateResult | undefined>;
  /** The drive is encrypted (the config and its drive.json agree): to what, and its KEY.age. */
  encryption?: BackupEncryption;
}

export async function prepareBackup(s: Session, opts: BackupOptions): Promise<PreparedBackup | { nothingDue: BackupNothingDue }> {
  const config = await s.config();
  const sources = opts.source?.length ? opts.source : config?.sources;
  if (!sources?.length) {
    throw usageError('no-sources', `nothing to back up: no --source given and no config at ${s.env.configPath}`, 'pass --source <dir> or run `airgap init --source <dir>`');
  }
  const forcedPartSize = checkOptions(opts);
  const format = snapshotFormat(opts, config?.format);
  const roots = await sourceRoots(sources);
  const excludes = [...(config?.excludes ?? []), ...(opts.exclude ?? [])];
  const catalog = await s.catalog();
  const choice = await chooseBackupTarget(s, config, catalog, opts);
  if (choice.nothingDue) {
    // --accept-changes is the owner's answer even when no snapshot is written: never dropped.
    const acceptance = opts.acceptChanges ? { acceptance: await acceptWithoutBackup(s, catalog, roots.map((r) => r.path), opts.dryRun === true) } : {};
    return { nothingDue: { outcome: 'nothing-due', ok: true, written: false, message: choice.nothingDue, plan: choice.plan, ...acceptance } };
  }
  for (const n of choice.notes) s.log.note(n);
  // write: an impostor (a drive that only claims a known name) is refused even for a dry run.
  const drive = await findDrive(s, choice.spec!, { acceptFingerprint: opts.acceptFingerprint, write: true, bind: !opts.dryRun });
  if (!opts.dryRun) refuseFingerprintMismatch(drive);
  const encryption = await backupEncryption(s.env.configPath, config, drive.identity, drive.root, drive.airgapDir);
  const prunePlan = (after: Catalog, written: string) => (opts.noPrune || opts.dryRun ? [] : prunePlanFor(choice, after, s, drive.identity.name, opts.acceptChanges === true, written));

  // The mass-change gate compares with the last accepted backup of these sources (kept on the
  // host), or, before there is one, with the newest snapshot on this drive.
  const gatePolicy = config?.gate ?? DEFAULT_GATE;
  const baseline = baselinePath(s.env.stateDir, roots.map((r) => r.path));
  const newest = await sameSourcesSnapshot((await readDriveContents(drive.airgapDir)).snapshots.filter((x) => x.complete), roots.map((r) => r.path));
  const inspect = (entries: ScanResult['entries']) => inspectChanges(entries, baseline, newest, gatePolicy, { now: s.now, warn: (m) => s.log.warn(m) });

  // FAT drives hold at most 4 GiB per file: the tarball goes in parts there.
  const fs = await probeFilesystem(drive.airgapDir, drive.fingerprint?.fsType, s.env.platform);
  if (fs.fusefat && !opts.dryRun) throw unsafeFilesystem(drive.identity.name);
  const partSize = forcedPartSize ?? (fs.fatLimit ? FAT_PART_SIZE : undefined);
  const damaged = new Set((catalog.byId(drive.identity.id)?.snapshots ?? []).filter((x) => x.verifyOk === false).map((x) => x.id));
  const chainPolicy = config?.chain ?? DEFAULT_CHAIN_POLICY;
  const rereadEvery = config?.chain.rereadEvery ?? 0;
  const rotationName = choice.policy ? byDriveName(choice.policy.drives, drive.identity.name)?.name : undefined;
  return {
    drive, roots, excludes, prunePlan, baseline, partSize, inspect, format, chainPolicy, rereadEvery, damaged,
    ...(encryption ? { encryption } : {}),
    ...(choice.policy ? { policy: choice.policy } : {}), ...(rotationName ? { rotationName } : {}),
  };
}

/** --format, else the config's, else 2 (history); --full and --reread mean something only for formats 2 and 3. */
function snapshotFormat(opts: BackupOptions, configured: SnapshotFormat | undefined): SnapshotFormat {
  if (opts.format !== undefined && opts.format !== '1' && opts.format !== '2' && opts.format !== '3') {
    throw usageError('bad-format', `--format ${quoteShort(opts.format)}: airgap writes snapshot format 1, 2 or 3`, 'e.g. --format 2 (the default: incremental snapshots in chains), --format 3 (the same, its tarballs block-gzipped), or --format 1 (a whole tarball each time); docs/FORMAT.md');
  }
  const format = opts.format !== undefined ? (Number(opts.format) as SnapshotFormat) : configured ?? 2;
  if (format === 1 && (opts.full || opts.reread)) {
    throw usageError('format-1-options', `${opts.full ? '--full' : '--reread'} is for format 2 and 3 snapshots: format 1 always writes and reads everything`, 'add --format 2, or remove "format": 1 from the config (format 2 is the default)');
  }
  return format;
}

/** --exclude and --part-size, checked before anything is read; returns the part size asked for. */
function checkOptions(opts: BackupOptions): number | undefined {
  // Checked like the config's excludes: a pattern picomatch rejects would otherwise stop the scan with a crash.
  for (const x of opts.exclude ?? []) {
    const problem = globProblem(x);
    if (problem) throw usageError('bad-exclude', `--exclude ${quoteShort(x)}: ${problem}`, 'e.g. --exclude "*.tmp" or --exclude "build/cache/**"');
  }
  if (opts.partSize === undefined) return undefined;
  const requested = parseByteSize(opts.partSize);
  if (requested === undefined || requested < MIN_PART_SIZE || requested > 4 * 1024 ** 3) {
    throw usageError('bad-part-size', `--part-size ${JSON.stringify(opts.partSize)} is not a size between 1M and 4G`, 'e.g. --part-size 4G (the largest a FAT32 drive holds), or 2G');
  }
  // "4G" means "as large as FAT32 allows": one byte less than 4 GiB, rounded down to 64 KiB.
  return Math.min(requested, FAT_PART_SIZE);
}
