// The restore drill (issue 19: the "0 errors" of 3-2-1-1-0): a random sample of the files of a
// random snapshot (jobs/drill-choice.ts, core/drill-sample.ts) restored by the restore machinery
// (restore/restore.ts: verified, extracted, each member checked) into a temporary folder off the
// drive, each restored file read back and hashed against the manifest (restore/recheck.ts),
// recorded in the catalog, and the folder removed, on failure and Ctrl+C too.
import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseDrillSample, DRILL_DEFAULTS, MAX_DRILL_BYTES, MAX_DRILL_FILES, MAX_DRILL_SEED, seededRandom, type SampleRule } from '../core/drill-sample.js';
import { EXIT, isAirgapError, usageError } from '../core/errors.js';
import { isKeyProblem } from '../io/age-feed.js';
import { failpoint } from '../io/failpoint.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import type { SnapshotMeta } from '../layout/format.js';
import { isEncrypted, manifestFileFor, manifestVersionsOf } from '../layout/snapshot-meta.js';
import { ManifestIndex } from '../restore/manifest-index.js';
import { recheckRestored, type ExpectedFile } from '../restore/recheck.js';
import { restoreSnapshot } from '../restore/restore.js';
import type { Issue } from '../restore/extract.js';
import { drillDrive, drillSnapshot } from './drill-choice.js';
import type { FoundDrive } from './find-drive.js';
import type { Session } from './session.js';

export interface DrillOptions {
  /** `--files N`: at least this many files (default DRILL_DEFAULTS.minFiles). */
  files?: string;
  /** `--percent P`: at least this share of the files (default DRILL_DEFAULTS.percent). */
  percent?: string;
  /** `--seed N` as given; the cli draws one when none is given, so that every drill can be repeated. */
  seed: string | number;
}

export interface DrillRun {
  signal?: AbortSignal;
  /** The snapshot and the sample are chosen; the restore starts. */
  onStart?: (drive: string, snapshot: string, files: number, bytes: number) => void;
  onFile?: (files: number, bytes: number) => void;
}

export interface DrillResult {
  /** Every file of the sample came back as the manifest says, from a snapshot that verified. */
  ok: boolean;
  drive: string;
  /** No drive named: why this one. */
  why?: string;
  snapshot: string;
  /** How many snapshots of the drive it was drawn from. */
  snapshotsEligible: number;
  seed: number;
  encrypted: boolean;
  /** The sample (its paths in manifest order), and the regular files of the snapshot it was drawn from. */
  sample: { files: number; bytes: number; paths: string[] };
  of: { files: number; bytes: number };
  /** Files restored and read back matching their SHA-256. */
  checked: number;
  /** Every file of the sample that did not, by name. */
  failures: Issue[];
  /** What failed before (or beside) single files: the manifest, the snapshot's own verification. */
  problem?: string;
  /** The temporary folder, and whether it is gone again. */
  workspace: { path: string; removed: boolean };
  seconds: number;
}

/** `--seed`: a whole number from 0 to 2^32 − 1. */
export function drillSeed(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_DRILL_SEED)) throw usageError('bad-seed', `--seed ${JSON.stringify(String(raw))} is not a whole number from 0 to ${MAX_DRILL_SEED}`, 'e.g. --seed 12345 (the seed a drill printed repeats its choice)');
  return n;
}

function sampleRule(opts: DrillOptions): SampleRule {
  const files = opts.files === undefined ? DRILL_DEFAULTS.minFiles : /^\d{1,9}$/.test(opts.files.trim()) ? Number(opts.files.trim()) : NaN;
  if (!(files >= 1 && files <= MAX_DRILL_FILES)) throw usageError('bad-files', `--files ${JSON.stringify(opts.files)} is not a whole number from 1 to ${MAX_DRILL_FILES}`, `e.g. --files 50 (default ${DRILL_DEFAULTS.minFiles})`);
  const m = opts.percent === undefined ? undefined : /^(\d+(?:\.\d+)?)%?$/.exec(opts.percent.trim());
  const percent = opts.percent === undefined ? DRILL_DEFAULTS.percent : m ? Number(m[1]) : NaN;
  if (!(percent > 0 && percent <= 100)) throw usageError('bad-percent', `--percent ${JSON.stringify(opts.percent)} is not a percentage above 0 and at most 100`, `e.g. --percent 5 (default ${DRILL_DEFAULTS.percent})`);
  return { minFiles: files, percent, maxBytes: MAX_DRILL_BYTES };
}

export async function drill(s: Session, spec: string | undefined, opts: DrillOptions, run: DrillRun = {}): Promise<DrillResult> {
  const started = Date.now();
  const rule = sampleRule(opts);
  const seed = drillSeed(opts.seed);
  const random = seededRandom(seed);
  const { drive, why } = await drillDrive(s, spec);
  const { snapshot, meta, of } = await drillSnapshot(s, drive, random);
  const base = { drive: drive.identity.name, ...(why ? { why } : {}), snapshot: snapshot.id, snapshotsEligible: of, seed, encrypted: isEncrypted(meta) };
  const workspace = await mkdtemp(join(tmpdir(), 'airgap-drill-'));
  let removed = false;
  try {
    const result = await drillIn(drive, snapshot, meta, rule, random, workspace, run);
    removed = await removeWorkspace(workspace);
    const { ok, ...rest } = result;
    const done: DrillResult = { ok, ...base, ...rest, workspace: { path: workspace, removed }, seconds: (Date.now() - started) / 1000 };
    if (drive.binding.status !== 'impostor') await record(s, drive.identity.id, done);
    return done;
  } finally {
    if (!removed) await removeWorkspace(workspace);
  }
}

type Drilled = Pick<DrillResult, 'ok' | 'sample' | 'of' | 'checked' | 'failures' | 'problem'>;

/** Chooses the sample, restores it into `workspace`, checks it; damage is the drill's result, never thrown. */
async function drillIn(drive: FoundDrive, snapshot: SnapshotFolder, meta: SnapshotMeta, rule: SampleRule, random: () => number, workspace: string, run: DrillRun): Promise<Drilled> {
  const empty = { sample: { files: 0, bytes: 0, paths: [] as string[] }, of: { files: 0, bytes: 0 }, checked: 0, failures: [] };
  let files: ExpectedFile[];
  try {
    files = await regularFiles(join(snapshot.dir, manifestFileFor(manifestVersionsOf(meta), isEncrypted(meta))), manifestVersionsOf(meta));
  } catch (e) {
    if (isKeyProblem(e)) throw e;
    return { ...empty, ok: false, problem: `the manifest of snapshot ${snapshot.id} cannot be read: ${(e as Error).message}` };
  }
  const picked = chooseDrillSample(files, rule, random).map((i) => files[i]!);
  // No path would mean "everything" to a restore: a manifest without a file is no drill at all.
  if (!picked.length) return { ...empty, ok: false, problem: `the manifest of snapshot ${snapshot.id} lists no file, though its snapshot.json counts some` };
  const drilled = { ...empty, sample: { files: picked.length, bytes: sum(picked), paths: picked.map((f) => f.path) }, of: { files: files.length, bytes: sum(files) } };
  run.onStart?.(drive.identity.name, snapshot.id, picked.length, drilled.sample.bytes);
  const target = join(workspace, 'restored');
  let n = 0;
  let b = 0;
  let restored;
  try {
    // --salvage: a damaged snapshot still gives back what matches, so every file of the sample is
    // named with its fate; the snapshot's own verification decides `ok` below all the same.
    restored = await restoreSnapshot({
      snapshot, target, paths: picked.map((f) => f.path), overwrite: false, salvage: true, dryRun: false, keepSpecialBits: false, owners: false,
      driveName: drive.identity.name, driveRoot: drive.root, signal: run.signal,
      onFile: (_p, size) => {
        failpoint('drill:file'); // the tests freeze a drill here, to Ctrl+C it mid-restore
        run.onFile?.(++n, (b += size));
      },
    });
  } catch (e) {
    if (!isAirgapError(e) || e.exitCode !== EXIT.damaged || isKeyProblem(e)) throw e;
    return { ...drilled, ok: false, problem: e.message, failures: picked.map((f) => ({ path: f.path, reason: 'not restored: the snapshot failed (above)' })) };
  }
  const check = await recheckRestored(target, picked, restored.report, run.signal);
  const problem = restored.verified === 'damaged' ? `snapshot ${snapshot.id} failed verification while it was read (its tarball, or one of its chain, is not as SHA256SUMS lists it): run airgap verify ${drive.identity.name} --deep to find what is damaged` : undefined;
  return { ...drilled, ok: check.failures.length === 0 && !problem, checked: check.checked, failures: check.failures, ...(problem ? { problem } : {}) };
}

const sum = (files: readonly { size: number }[]) => files.reduce((n, f) => n + f.size, 0);

/** The snapshot's regular files, with the size and SHA-256 the manifest gives each. */
async function regularFiles(manifestPath: string, versions: ReturnType<typeof manifestVersionsOf>): Promise<ExpectedFile[]> {
  const index = await ManifestIndex.load(manifestPath, versions);
  const out: ExpectedFile[] = [];
  for (let i = 0; i < index.length; i++) if (index.type(i) === 'file') out.push({ path: index.path(i), size: index.size(i), sha256: index.sha256(i)! });
  return out;
}

/**
 * Removes the temporary folder. A restored folder may be read-only (its mode as backed up):
 * made writable first, without following any link, so the drill leaves nothing behind.
 */
async function removeWorkspace(dir: string): Promise<boolean> {
  const gone = () => rm(dir, { recursive: true, force: true }).then(() => true, () => false);
  if (await gone()) return true;
  await writable(dir);
  return gone();
}

async function writable(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => {});
  for (const name of await readdir(dir).catch(() => [] as string[])) await writable(join(dir, name));
}

/** The drill in the drive's ledger (state/catalog.ts recordDrill); a read-only home does not fail a drill. */
async function record(s: Session, driveId: string, r: DrillResult): Promise<void> {
  const catalog = await s.catalog();
  catalog.recordDrill(driveId, {
    at: s.now.toISOString(), snapshot: r.snapshot, files: r.sample.files, bytes: r.sample.bytes, ok: r.ok, seed: r.seed,
    failures: r.failures.map((f) => ({ path: f.path, reason: f.reason })), failureCount: r.failures.length, ...(r.problem ? { problem: r.problem } : {}),
  });
  await catalog.save().catch((e: Error) => s.log.warn(`the drill was not recorded in the catalog ${catalog.file}: ${e.message}`));
}
