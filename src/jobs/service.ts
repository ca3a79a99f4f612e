// The service job (`airgap service install|remove|status|print`): the files of core/service-units.ts
// written where the user's service manager reads them (no root), each with the marker of
// core/service-marker.ts, then loaded and started when a manager is reachable (service-manager.ts).
// A file the user edited is neither overwritten nor removed without --force; a file airgap did
// not write is never touched.
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { refusal, usageError } from '../core/errors.js';
import { fileState, withMarker, type FileState } from '../core/service-marker.js';
import { launchdAgents, SCHTASKS_REMOVE, schtasksCommands, systemdUnits, type ServiceSpec } from '../core/service-units.js';
import { writeFileAtomic } from '../io/durable.js';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../io/read-regular.js';
import { sha256Hex } from '../io/sha256.js';
import { ServiceManager, type ManagerHost, type Reach, type UnitState } from './service-manager.js';
import type { Session } from './session.js';

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export interface ServiceHost extends ManagerHost {
  home: string;
  /** $XDG_CONFIG_HOME (Linux): the units go to its systemd/user folder. */
  configHome?: string;
  node: string;
  bin: string;
  at: ServiceSpec['at'];
}

export interface ServiceFileReport { name: string; path: string; state: FileState; text: string }

export type ServiceStart = { started: true } | { started: false; reason: string; command: string };

export type InstallResult =
  | { platform: 'win32'; outcome: 'commands'; commands: string[]; removeCommands: string[] }
  | { platform: 'linux' | 'darwin'; outcome: 'already-installed' | 'installed' | 'updated'; dir: string; files: (Omit<ServiceFileReport, 'text'> & { written: boolean })[]; start?: ServiceStart };

export interface RemoveResult { platform: ServicePlatform; dir: string; removed: string[]; leftAlone: { path: string; why: string }[]; stopped: boolean | string }
export interface StatusResult { platform: ServicePlatform; dir: string; installed: boolean; files: Omit<ServiceFileReport, 'text'>[]; manager: Reach & { units?: UnitState[] } }

const digest = (text: string) => sha256Hex(text);

/** The platform whose files are meant: the host's, or the one `service print --platform` names. */
export function servicePlatform(p: string): ServicePlatform {
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  throw refusal('service-unsupported', `airgap service knows systemd (Linux), launchd (macOS) and Task Scheduler (Windows), not ${p}`,
    'run airgap remind once a day from cron or your scheduler, and airgap watch at login (docs/reminders.md)');
}

function spec(s: Session, host: ServiceHost): ServiceSpec {
  return { node: host.node, bin: host.bin, config: s.env.configPath, at: host.at };
}

/** Where the files go, and their text as airgap writes them now (win32: none, commands instead). */
export function plannedFiles(s: Session, host: ServiceHost, platform: ServicePlatform): { dir: string; files: { name: string; path: string; body: string }[] } {
  if (platform === 'win32') return { dir: '', files: [] };
  const dir = platform === 'darwin' ? join(host.home, 'Library', 'LaunchAgents') : join(host.configHome ?? join(host.home, '.config'), 'systemd', 'user');
  const files = platform === 'darwin' ? launchdAgents(spec(s, host)) : systemdUnits(spec(s, host));
  return { dir, files: files.map((f) => ({ name: f.name, path: join(dir, f.name), body: f.body })) };
}

/** The files as `service print` shows them: with their marker, exactly as install writes them. */
export function printService(s: Session, host: ServiceHost, platform: ServicePlatform): { platform: ServicePlatform; dir: string; files: { name: string; path: string; text: string }[]; commands?: string[] } {
  if (platform === 'win32') return { platform, dir: '', files: [], commands: schtasksCommands(spec(s, host)) };
  const { dir, files } = plannedFiles(s, host, platform);
  return { platform, dir, files: files.map((f) => ({ name: f.name, path: f.path, text: withMarker(f.body, digest) })) };
}

async function inspect(s: Session, host: ServiceHost, platform: ServicePlatform): Promise<{ dir: string; files: ServiceFileReport[] }> {
  const { dir, files } = plannedFiles(s, host, platform);
  const found = await Promise.all(files.map(async (f) => {
    const text = await readUnit(f.path);
    return { name: f.name, path: f.path, state: fileState(text, f.body, digest), text: withMarker(f.body, digest) };
  }));
  return { dir, files: found };
}

/**
 * The text at a unit's path; undefined when there is none. A unit is a few hundred bytes, and
 * airgap writes regular files: a symlink, a FIFO (which would block a plain read) or anything
 * over 64 KiB reads as empty text, which has no marker: not airgap's, never touched.
 */
async function readUnit(path: string): Promise<string | undefined> {
  try {
    return (await readRegularFile(path, { maxBytes: 64 * 1024 })).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof NotRegularFileError || e instanceof FileTooLargeError || (e as NodeJS.ErrnoException).code === 'ELOOP') return '';
    throw e;
  }
}

function refuseUntouchable(files: ServiceFileReport[], force: boolean, verb: 'overwrite' | 'remove'): void {
  const foreign = files.filter((f) => f.state === 'foreign');
  if (foreign.length) {
    throw refusal('service-not-airgaps', `${foreign.map((f) => f.path).join(', ')} ${foreign.length === 1 ? 'exists and was' : 'exist and were'} not written by airgap (no airgap-generated marker): airgap never ${verb}s ${foreign.length === 1 ? 'it' : 'them'}`,
      `move ${foreign.length === 1 ? 'it' : 'them'} away if airgap should manage ${foreign.length === 1 ? 'it' : 'them'}, then run airgap service ${verb === 'remove' ? 'remove' : 'install'} again`);
  }
  const edited = files.filter((f) => f.state === 'edited');
  if (edited.length && !force) {
    throw refusal('service-edited', `${edited.map((f) => f.path).join(', ')} ${edited.length === 1 ? 'was' : 'were'} edited by hand since airgap wrote ${edited.length === 1 ? 'it' : 'them'}: not ${verb === 'remove' ? 'removed' : 'overwritten'}`,
      `keep your edits (then leave ${edited.length === 1 ? 'it' : 'them'} as ${edited.length === 1 ? 'it is' : 'they are'}), or pass --force to ${verb} ${edited.length === 1 ? 'it' : 'them'} anyway`);
  }
}

export async function installService(s: Session, host: ServiceHost, platform: ServicePlatform, force: boolean): Promise<InstallResult> {
  await s.requirePolicy(); // a reminder and a watcher without a rotation would only fail every day
  if (platform === 'win32') return { platform, outcome: 'commands', commands: schtasksCommands(spec(s, host)), removeCommands: SCHTASKS_REMOVE };
  const manager = new ServiceManager(host);
  await manager.requireSystemd(`run them from cron instead, e.g.: 0 9 * * * ${[host.node, host.bin, 'remind', '--config', s.env.configPath].map((w) => `'${w}'`).join(' ')}`);
  const { dir, files } = await inspect(s, host, platform);
  refuseUntouchable(files, force, 'overwrite');
  const report = (written: (f: ServiceFileReport) => boolean) => files.map(({ name, path, state }, i) => ({ name, path, state, written: written(files[i]!) }));
  if (files.every((f) => f.state === 'current')) return { platform, outcome: 'already-installed', dir, files: report(() => false) };
  await mkdir(dir, { recursive: true });
  for (const f of files) if (f.state !== 'current') await writeFileAtomic(f.path, f.text);
  const outcome = files.some((f) => f.state !== 'absent') ? 'updated' : 'installed';
  const reach = await manager.reach();
  const paths = files.map((f) => f.path);
  if (!reach.reachable) return { platform, outcome, dir, files: report((f) => f.state !== 'current'), start: { started: false, reason: reach.reason, command: manager.startCommand(paths) } };
  await manager.activate(paths, outcome === 'updated');
  return { platform, outcome, dir, files: report((f) => f.state !== 'current'), start: { started: true } };
}

export async function removeService(s: Session, host: ServiceHost, platform: ServicePlatform, force: boolean): Promise<RemoveResult> {
  if (platform === 'win32') throw usageError('service-windows', 'on Windows, airgap does not manage the scheduled tasks itself', `remove them with: ${SCHTASKS_REMOVE.join(' && ')}`);
  const manager = new ServiceManager(host);
  const { dir, files } = await inspect(s, host, platform);
  const ours = files.filter((f) => f.state !== 'absent' && f.state !== 'foreign');
  // A file of the same name that airgap did not write stays, and is no reason to refuse removing the others.
  refuseUntouchable(ours, force, 'remove');
  const leftAlone = files.filter((f) => f.state === 'foreign').map((f) => ({ path: f.path, why: 'not written by airgap' }));
  if (!ours.length) return { platform, dir, removed: [], leftAlone, stopped: false };
  const reach = await manager.reach();
  if (reach.reachable) await manager.deactivate(ours.map((f) => f.path));
  for (const f of ours) await unlink(f.path).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  if (reach.reachable) await manager.forget();
  return { platform, dir, removed: ours.map((f) => f.path), leftAlone, stopped: reach.reachable ? true : reach.reason };
}

export async function serviceStatus(s: Session, host: ServiceHost, platform: ServicePlatform): Promise<StatusResult> {
  if (platform === 'win32') throw usageError('service-windows', 'on Windows, airgap does not manage the scheduled tasks itself', 'see them with: schtasks /Query /TN "airgap remind" (and "airgap watch")');
  const manager = new ServiceManager(host);
  const { dir, files } = await inspect(s, host, platform);
  const reach = await manager.reach();
  const units = reach.reachable ? await manager.states() : undefined;
  return {
    platform, dir, installed: files.every((f) => f.state !== 'absent' && f.state !== 'foreign'),
    files: files.map(({ name, path, state }) => ({ name, path, state })),
    manager: { ...reach, ...(units ? { units } : {}) },
  };
}
