// The tools of the weekly scenario, each as the commands it is timed with: airgap (the built CLI,
// as run.ts drives it), restic, borg (when installed) and GNU tar (a full copy each week, as a
// reference line). Every tool writes into its own folder on the same target, so `du -sb` of that
// folder is what it added; its caches and state stay on the host, as they would.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { env } from 'node:process';
import { AIRGAP_BIN, onPath, runSync } from './common.js';
import type { CommandSpec } from './measure.js';

export type ToolKey = 'airgap' | 'restic' | 'borg' | 'tar';

export interface Tool {
  key: ToolKey;
  label: string;
  /** Its folder on the target: `du -sb` of it before and after a backup is what the backup added. */
  dir: string;
  /** Untimed, once: create the repository, label the drive. */
  setup(): void;
  /** Snapshot `n` (0 = the first, full; 1–4 the weeks). */
  backup(n: number): CommandSpec;
  /** The full check of the newest snapshot; null when the tool has none (tar). */
  verify(): CommandSpec | null;
  verifyLabel: string;
  /** Restores the newest snapshot into the empty folder `to`. */
  restore(to: string): CommandSpec;
  restoreLabel: string;
}

export interface ToolContext {
  /** The target's root (the mount point). */
  target: string;
  /** Host scratch for caches and state. */
  work: string;
  /** The folder holding the set, and the set's folder name in it. */
  dataRoot: string;
  setName: string;
  /** airgap's `backup --format` argument, or null to pass none (an airgap without the option). */
  airgapFormat: 1 | 2 | 3 | null;
}

/** Whether this airgap's `backup` takes `--format` (on-drive format 2, issue 16). */
export function airgapHasFormatOption(): boolean {
  const r = spawnSync(process.execPath, [AIRGAP_BIN, 'backup', '--help'], { encoding: 'utf8' });
  return /(^|\s)--format\b/.test(`${r.stdout}`);
}

function airgapTool(c: ToolContext): Tool {
  const drives = join(c.target, 'airgap-drives');
  const airgapEnv: NodeJS.ProcessEnv = {
    ...env,
    AIRGAP_STATE_DIR: join(c.work, 'airgap-state'),
    AIRGAP_DRIVES_ROOT: drives,
    XDG_CONFIG_HOME: join(c.work, 'xdg-config'),
    NO_COLOR: '1',
  };
  for (const k of ['AIRGAP_CONFIG', 'AIRGAP_NOW', 'AIRGAP_MOUNT_ROOTS', 'AIRGAP_STALL_TIMEOUT_MS']) delete airgapEnv[k];
  const airgap = (...args: string[]): string[] => [process.execPath, AIRGAP_BIN, ...args];
  const format = c.airgapFormat === null ? [] : ['--format', String(c.airgapFormat)];
  return {
    key: 'airgap',
    label: `airgap (format ${c.airgapFormat ?? 1})`,
    dir: join(drives, 'A'),
    setup() {
      mkdirSync(join(drives, 'A'), { recursive: true });
      runSync(airgap('label', join(drives, 'A'), '--name', 'A', '--yes'), { env: airgapEnv });
    },
    backup: () => ({ argv: airgap('backup', '--drive', 'A', '--source', join(c.dataRoot, c.setName), '--no-prune', ...format), env: airgapEnv, stdout: 'capture' }),
    verify() {
      const listing = JSON.parse(runSync(airgap('--json', 'list', 'A'), { env: airgapEnv })) as { snapshots: { id: string }[] };
      const newest = listing.snapshots[listing.snapshots.length - 1]?.id;
      if (!newest) throw new Error('airgap list A shows no snapshot');
      return { argv: airgap('verify', 'A', '--deep', '--snapshot', newest), env: airgapEnv, stdout: 'capture' };
    },
    verifyLabel: 'airgap verify --deep --snapshot <newest>',
    restore: (to) => ({ argv: airgap('restore', 'A', '--to', to), env: airgapEnv, stdout: 'capture' }),
    restoreLabel: 'airgap restore (latest)',
  };
}

function resticTool(c: ToolContext): Tool {
  // restic always encrypts: a fixed password (the bench's only concession to it).
  const resticEnv: NodeJS.ProcessEnv = { ...env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: join(c.target, 'restic'), RESTIC_CACHE_DIR: join(c.work, 'restic-cache') };
  return {
    key: 'restic',
    label: 'restic (RESTIC_PASSWORD=bench)',
    dir: join(c.target, 'restic'),
    setup: () => void runSync(['restic', 'init', '--quiet'], { env: resticEnv }),
    backup: () => ({ argv: ['restic', 'backup', '--quiet', c.setName], cwd: c.dataRoot, env: resticEnv, stdout: 'capture' }),
    verify: () => ({ argv: ['restic', 'check', '--read-data'], env: resticEnv, stdout: 'capture' }),
    verifyLabel: 'restic check --read-data',
    restore: (to) => ({ argv: ['restic', 'restore', 'latest', '--target', to], env: resticEnv, stdout: 'capture' }),
    restoreLabel: 'restic restore latest',
  };
}

function borgTool(c: ToolContext): Tool {
  const borgEnv: NodeJS.ProcessEnv = {
    ...env,
    BORG_REPO: join(c.target, 'borg'),
    BORG_BASE_DIR: join(c.work, 'borg-base'),
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  let last = 0;
  return {
    key: 'borg',
    label: 'borg (-e none)',
    dir: join(c.target, 'borg'),
    setup: () => void runSync(['borg', 'init', '--encryption', 'none'], { env: borgEnv }),
    backup: (n) => {
      last = n;
      return { argv: ['borg', 'create', `::snapshot-${n}`, c.setName], cwd: c.dataRoot, env: borgEnv, stdout: 'capture' };
    },
    verify: () => ({ argv: ['borg', 'check', '--verify-data'], env: borgEnv, stdout: 'capture' }),
    verifyLabel: 'borg check --verify-data',
    // borg extracts into the current folder.
    restore: (to) => ({ argv: ['borg', 'extract', `::snapshot-${last}`], cwd: to, env: borgEnv, stdout: 'capture' }),
    restoreLabel: 'borg extract (newest)',
  };
}

function tarTool(c: ToolContext): Tool {
  const dir = join(c.target, 'tar');
  let last = 0;
  return {
    key: 'tar',
    label: 'GNU tar (full copy + sync -f)',
    dir,
    setup: () => mkdirSync(dir, { recursive: true }),
    // tar does not fsync: `sync -f` flushes the target's file system after it, as the others do.
    backup: (n) => {
      last = n;
      const file = join(dir, `snapshot-${n}.tar`);
      return { argv: ['sh', '-c', 'tar cf "$1" -C "$2" "$3" && sync -f "$1"', 'tar', file, c.dataRoot, c.setName] };
    },
    verify: () => null,
    verifyLabel: '–',
    restore: (to) => ({ argv: ['tar', 'xf', join(dir, `snapshot-${last}.tar`), '-C', to] }),
    restoreLabel: 'tar xf (newest)',
  };
}

/** The tools to run: airgap always, restic and borg when on PATH, tar; plus what is missing. */
export function weeklyTools(c: ToolContext): { tools: Tool[]; missing: string[] } {
  const tools = [airgapTool(c)];
  const missing: string[] = [];
  if (onPath('restic')) tools.push(resticTool(c));
  else missing.push('restic');
  if (onPath('borg')) tools.push(borgTool(c));
  else missing.push('borg');
  tools.push(tarTool(c));
  return { tools, missing };
}
