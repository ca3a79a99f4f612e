// One set of the weekly scenario: generate it, set up the target, then five snapshots with every
// tool (the first full, then four weeks each after weekly-changes.ts's ~1 % change), the full
// check of the newest snapshot, and its restore, each measured like run.ts measures (wall time,
// CPU seconds, peak RSS), with the bytes each backup added to its folder on the target.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log, round, runSync } from './common.js';
import { measure, type CommandSpec, type RssMethod } from './measure.js';
import { mb } from './report.js';
import { applyWeek, type WeekChange } from './weekly-changes.js';
import type { WeeklySet } from './weekly-data.js';
import { deriveSetResult, type SetResult, type SnapshotStep, type Step, type ToolResult } from './weekly-report.js';
import { duBytes, fsUsedBytes, setupTarget } from './weekly-target.js';
import { weeklyTools, type Tool } from './weekly-tools.js';

export const SNAPSHOTS = 5;

export interface RunContext {
  scale: number;
  seed: number;
  keep: boolean;
  rssMethod: RssMethod;
  tmp: string;
  dataRoot: string;
  airgapFormat: 1 | 2 | 3 | null;
}

/**
 * The image's size: room for five full copies by airgap (format 1) and by tar, with tar's
 * per-file overhead on small files, and for restic's and borg's repositories, plus 1.5 GiB: borg
 * refuses to write unless a whole segment (500 MiB) and its index fit. It is sparse: only what the
 * tools write takes space on the host.
 */
function imageBytes(contentBytes: number): number {
  return Math.ceil(contentBytes * 14 + 1536 * 2 ** 20);
}

async function step(spec: CommandSpec, rssMethod: RssMethod, scratch: string): Promise<Step> {
  // No run pays for the previous one's writeback: flush dirty pages first, untimed.
  runSync(['sync']);
  const m = await measure(spec, rssMethod, scratch);
  return { seconds: round(m.seconds, 3), cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssKb == null ? null : round((m.peakRssKb * 1024) / 1e6, 1) };
}

async function backupStep(ctx: RunContext, tool: Tool, n: number, target: string, work: string): Promise<SnapshotStep> {
  const du0 = duBytes(tool.dir);
  runSync(['sync']);
  const fs0 = fsUsedBytes(target);
  const s = await step(tool.backup(n), ctx.rssMethod, work);
  runSync(['sync']);
  return { ...s, addedBytes: duBytes(tool.dir) - du0, fsAddedBytes: fsUsedBytes(target) - fs0 };
}

/** The folder named `name` nearest to `root` (restic restores the absolute path below it). */
function findFolder(root: string, name: string): string | undefined {
  let level = [root];
  for (let depth = 0; depth < 16 && level.length; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (e.name === name) return join(dir, e.name);
        next.push(join(dir, e.name));
      }
    }
    level = next;
  }
  return undefined;
}

/** Untimed: does the restored tree hold the same names and bytes as the source (diff -r)? */
function compareRestored(src: string, restoreRoot: string, name: string): { matches: boolean; diff?: string } {
  const found = findFolder(restoreRoot, name);
  if (!found) return { matches: false, diff: `no folder ${name} under ${restoreRoot}` };
  const r = spawnSync('diff', ['-r', '--no-dereference', '-q', src, found], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 0) return { matches: true };
  return { matches: false, diff: `${r.stdout}${r.stderr}`.split('\n').slice(0, 5).join('\n') };
}

/** The four weekly changes and five snapshots with every tool; returns each tool's snapshot steps. */
async function snapshots(ctx: RunContext, set: WeeklySet, tools: Tool[], target: string, work: string) {
  const steps = new Map<string, SnapshotStep[]>(tools.map((t) => [t.key, []]));
  const changes: WeekChange[] = [];
  const tag = `(${set.key})`;
  for (let n = 0; n < SNAPSHOTS; n++) {
    if (n > 0) {
      const c = applyWeek(set.key, join(ctx.dataRoot, set.name), ctx.seed, ctx.scale, n);
      runSync(['sync']);
      changes.push(c);
      log(`${tag} week ${n}: ${c.modified} modified, ${c.added} added, ${c.deleted} deleted, ${mb(c.inPlaceBytes)} MB in place; ${mb(c.bytesWritten)} MB written`);
    }
    // The order turns each time, so that no tool always runs first after a change.
    const order = tools.map((_, i) => tools[(i + n) % tools.length]!);
    for (const t of order) {
      const s = await backupStep(ctx, t, n, target, work);
      steps.get(t.key)!.push(s);
      log(`${tag} snapshot ${n + 1}/${SNAPSHOTS} ${t.label}: ${s.seconds.toFixed(2)} s, +${mb(s.addedBytes)} MB, peak RSS ${s.peakRssMb ?? '?'} MB`);
    }
  }
  return { steps, changes };
}

async function checkAndRestore(ctx: RunContext, set: WeeklySet, tool: Tool, work: string): Promise<Omit<ToolResult, 'key' | 'label' | 'snapshots'>> {
  const tag = `(${set.key}) ${tool.label}`;
  const verifySpec = tool.verify();
  const verify = verifySpec ? await step(verifySpec, ctx.rssMethod, work) : null;
  if (verify) log(`${tag}: ${tool.verifyLabel}: ${verify.seconds.toFixed(2)} s, peak RSS ${verify.peakRssMb ?? '?'} MB`);
  const to = join(work, 'restore', tool.key);
  mkdirSync(to, { recursive: true });
  const restore = await step(tool.restore(to), ctx.rssMethod, work);
  const check = compareRestored(join(ctx.dataRoot, set.name), to, set.name);
  log(`${tag}: ${tool.restoreLabel}: ${restore.seconds.toFixed(2)} s, peak RSS ${restore.peakRssMb ?? '?'} MB; ${check.matches ? 'same tree as the source' : `DIFFERS from the source:\n${check.diff}`}`);
  return { verify, verifyLabel: tool.verifyLabel, restore, restoreLabel: tool.restoreLabel, restoreMatches: check.matches, ...(check.diff ? { restoreDiff: check.diff } : {}) };
}

export async function runSet(ctx: RunContext, set: WeeklySet): Promise<SetResult> {
  const src = join(ctx.dataRoot, set.name);
  const work = join(ctx.tmp, `work-${set.key}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`(${set.key}) ${set.name}: generating ${set.description} (scale ${ctx.scale}) …`);
  const g0 = performance.now();
  const stats = set.generate(src, ctx.seed, ctx.scale);
  runSync(['sync']);
  const generateSeconds = round((performance.now() - g0) / 1000, 2);
  log(`(${set.key}) ${stats.files} files, ${stats.dirs} folders, ${mb(stats.bytes)} MB in ${generateSeconds} s`);
  const target = setupTarget(work, imageBytes(stats.bytes));
  log(`(${set.key}) target: ${target.note}`);
  try {
    const { tools, missing } = weeklyTools({ target: target.path, work, dataRoot: ctx.dataRoot, setName: set.name, airgapFormat: ctx.airgapFormat });
    for (const m of missing) log(`(${set.key}) ${m}: not installed (apt-get install -y restic borgbackup)`);
    for (const t of tools) t.setup();
    const { steps, changes } = await snapshots(ctx, set, tools, target.path, work);
    const results: ToolResult[] = [];
    for (const t of tools) results.push({ key: t.key, label: t.label, snapshots: steps.get(t.key)!, ...(await checkAndRestore(ctx, set, t, work)) });
    const head = { key: set.key, name: set.name, description: set.description, files: stats.files, dirs: stats.dirs, contentBytes: stats.bytes, generateSeconds };
    return deriveSetResult({ ...head, target: { kind: target.kind, note: target.note }, airgapFormat: ctx.airgapFormat ?? 1, changes, tools: results, missingTools: missing });
  } finally {
    target.release(!ctx.keep);
    if (!ctx.keep) {
      rmSync(work, { recursive: true, force: true });
      rmSync(src, { recursive: true, force: true });
    }
  }
}
