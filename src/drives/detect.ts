// Which connected disks are airgap's, which are new removable disks that could be labelled,
// and which must never be touched (and why). A disk is airgap's when one of its mountpoints
// holds an identity file; the usual automount roots are scanned too, so a drive drivelist
// cannot classify (a loop-mounted image, a network share) is still found.
import { readdir, realpath, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyDevice, type BlockDevice, type ClassifyOptions, type Fingerprint, type RefusalReason } from '../core/drive-model.js';
import type { DriveIdentity } from '../layout/format.js';
import { readDriveContents } from '../layout/drive-contents.js';
import { runInProgress } from '../layout/drive-lock.js';
import type { RunInProgress } from '../core/status-model.js';
import type { DriveSource } from './drive-source.js';
import { locateDrive, readIdentity } from '../layout/identity.js';

export interface LabelledDrive {
  identity: DriveIdentity;
  root: string;
  airgapDir: string;
  device?: string;
  fingerprint?: Fingerprint;
  /** How it was found: on a listed disk's mountpoint, or by scanning a mount root. */
  via: 'device' | 'mount-scan';
  space?: { free: number; total: number };
  lastSnapshot?: string;
  snapshots: number;
  /** Unfinished backups or prunes (.partial-*, .pruning-*) left by an interrupted run, or the work of `inProgress`. */
  leftovers: string[];
  /** The airgap run holding the drive's lock now, when there are leftovers: they are its work. */
  inProgress?: RunInProgress;
  readOnly: boolean;
}

export interface Candidate {
  device: string;
  description: string;
  size: number | null;
  mountpoints: string[];
  fingerprint?: Fingerprint;
}

export interface Refused {
  device: string;
  description: string;
  size: number | null;
  mountpoints: string[];
  reason: RefusalReason;
  detail: string;
}

export interface Detection {
  labelled: LabelledDrive[];
  unlabelled: Candidate[];
  refused: Refused[];
  /** Problems that did not stop detection (an adapter failed, an identity file is damaged). */
  warnings: string[];
  /** Airgap drives whose identity file cannot be read (each also in warnings); absent when none. */
  damaged?: DamagedDrive[];
}

export interface DamagedDrive {
  root: string;
  airgapDir: string;
  /** What readIdentity() threw (an AirgapError naming drive.json). */
  error: Error;
}

export interface DetectOptions extends ClassifyOptions {
  sources: DriveSource[];
  /** Folders whose sub-folders may be mountpoints (/media/$USER, /Volumes, ...). */
  mountRoots: string[];
  /** Folders that may themselves be drives (where known drives were last seen). */
  extraRoots?: string[];
  /** Finds the fingerprint of a drive found by scanning (not from a listed disk). */
  fingerprintOf?: (path: string) => Promise<Fingerprint | undefined>;
}

export async function detectDrives(opts: DetectOptions): Promise<Detection> {
  const result: Detection = { labelled: [], unlabelled: [], refused: [], warnings: [] };
  const seenRoots = new Set<string>();
  const devices: BlockDevice[] = [];
  for (const source of opts.sources) {
    try {
      devices.push(...(await source.list()));
    } catch (e) {
      result.warnings.push(`could not list drives with ${source.kind}: ${(e as Error).message}`);
    }
  }

  const addLabelled = async (root: string, extra: Partial<LabelledDrive> & Pick<LabelledDrive, 'via'>): Promise<boolean> => {
    const loc = await locateDrive(root);
    if (!loc) return false;
    const real = await realpath(loc.root).catch(() => loc.root);
    if (seenRoots.has(real)) return true;
    seenRoots.add(real);
    let identity: DriveIdentity;
    try {
      identity = await readIdentity(loc.airgapDir);
    } catch (e) {
      result.warnings.push(`${loc.root}: ${(e as Error).message}`);
      (result.damaged ??= []).push({ root: loc.root, airgapDir: loc.airgapDir, error: e as Error });
      return true; // it is an airgap drive, just a damaged one: never offer it as new
    }
    const contents = await readDriveContents(loc.airgapDir).catch(() => undefined);
    const complete = contents?.snapshots.filter((s) => s.complete) ?? [];
    const fs = await statfs(loc.root).catch(() => undefined);
    const drive: LabelledDrive = {
      identity, root: loc.root, airgapDir: loc.airgapDir, snapshots: complete.length, leftovers: contents?.leftovers ?? [], readOnly: false, ...extra,
    };
    if (fs) drive.space = { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    // A .partial- or .pruning- folder is a leftover only when no live airgap run holds the drive.
    const run = drive.leftovers.length ? await runInProgress(loc.airgapDir) : undefined;
    if (run) drive.inProgress = run;
    const last = complete.at(-1);
    if (last) drive.lastSnapshot = last.id;
    result.labelled.push(drive);
    return true;
  };

  for (const d of devices) {
    let isOurs = false;
    for (const mp of d.mountpoints) {
      const extra: Partial<LabelledDrive> & Pick<LabelledDrive, 'via'> = { via: 'device', device: d.device, readOnly: d.readOnly };
      const fp = d.fingerprints[mp];
      if (fp) extra.fingerprint = fp;
      if (await addLabelled(mp, extra)) isOurs = true;
    }
    if (isOurs) continue;
    const verdict = classifyDevice(d, opts);
    const base = { device: d.device, description: d.description, size: d.size, mountpoints: d.mountpoints };
    if (verdict.offer) {
      const c: Candidate = { ...base };
      const fp = d.mountpoints[0] ? d.fingerprints[d.mountpoints[0]] : undefined;
      if (fp) c.fingerprint = fp;
      result.unlabelled.push(c);
    } else {
      result.refused.push({ ...base, reason: verdict.reason, detail: verdict.detail });
    }
  }

  const scanned = [...opts.mountRoots.map((r) => ({ root: r, children: true })), ...(opts.extraRoots ?? []).map((r) => ({ root: r, children: false }))];
  for (const { root, children } of scanned) {
    for (const candidate of [root, ...(children ? await subfolders(root) : [])]) {
      const extra: Partial<LabelledDrive> & Pick<LabelledDrive, 'via'> = { via: 'mount-scan' };
      if (!(await locateDrive(candidate))) continue;
      const fp = await opts.fingerprintOf?.(candidate);
      if (fp) extra.fingerprint = fp;
      await addLabelled(candidate, extra);
    }
  }
  result.labelled.sort((a, b) => a.identity.name.localeCompare(b.identity.name));
  return result;
}

async function subfolders(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    const p = join(dir, n);
    if (await stat(p).then((s) => s.isDirectory(), () => false)) out.push(p);
  }
  return out;
}

/** The usual places where desktops and admins mount removable disks. */
export function defaultMountRoots(user: string | undefined, platform: NodeJS.Platform): string[] {
  if (platform === 'darwin') return ['/Volumes'];
  if (platform === 'win32') return [];
  const roots = ['/media', '/mnt'];
  if (user) roots.push(`/media/${user}`, `/run/media/${user}`);
  return roots;
}
