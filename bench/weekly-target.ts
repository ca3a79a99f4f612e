// The weekly scenario's backup target: a loop-mounted ext4 image, so that every tool's fsync
// reaches a block device with a journal (as on a USB disk) instead of a tmpfs or the host's own
// file system. Needs root (losetup, mount). When the loop device cannot be set up, a plain folder
// is used instead and the run says so.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { runSync } from './common.js';
import { CommandFailed } from './measure.js';

export interface Target {
  /** Where the tools write: the mount point, or the plain folder. */
  path: string;
  kind: 'loop-ext4' | 'folder';
  /** For the report: what the target is, or why it is only a folder. */
  note: string;
  /** Unmounts and detaches (loop), and removes the image unless told not to; safe to call twice. */
  release(removeImage?: boolean): void;
}

const live = new Set<Target>();

/** Releases every target still set up (on an interrupt or a failure). */
export function releaseAllTargets(): void {
  for (const t of [...live]) t.release();
}

function tryRun(argv: string[]): boolean {
  return spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' }).status === 0;
}

/**
 * A fresh target of `bytes` (a sparse image: only what is written takes space) under `work`.
 * `note` tells where the loop device failed, when it did.
 */
export function setupTarget(work: string, bytes: number): Target {
  const mountPoint = join(work, 'target');
  mkdirSync(mountPoint, { recursive: true });
  const image = join(work, 'target.img');
  let device: string | undefined;
  let mounted = false;
  const undo = (removeImage = true) => {
    // umount can fail while a killed tool's process still holds a file open: lazily then.
    if (mounted && !tryRun(['umount', mountPoint])) tryRun(['umount', '-l', mountPoint]);
    mounted = false;
    if (device) tryRun(['losetup', '-d', device]);
    device = undefined;
    if (removeImage) rmSync(image, { force: true });
  };
  try {
    const size = Math.ceil(bytes / 4096) * 4096;
    runSync(['truncate', '-s', String(size), image]);
    // -m 0: no blocks reserved for root (the tools run as root anyway, but df should show it all).
    runSync(['mkfs.ext4', '-q', '-m', '0', image]);
    device = runSync(['losetup', '-f', '--show', image]).trim();
    // noinit_itable: no background zeroing of inode tables (ext4lazyinit) during the timed runs.
    runSync(['mount', '-o', 'noinit_itable', device, mountPoint]);
    mounted = true;
  } catch (e) {
    undo();
    const detail = e instanceof CommandFailed ? e.stderr.trim().split('\n')[0] : undefined;
    const why = e instanceof CommandFailed ? (detail ? `${e.message}: ${detail}` : e.message) : String(e);
    return {
      path: mountPoint,
      kind: 'folder',
      note: `a plain folder on the host's file system (the loop device could not be set up: ${why})`,
      release: () => {},
    };
  }
  const target: Target = {
    path: mountPoint,
    kind: 'loop-ext4',
    note: `ext4 (journal, data=ordered) on ${device} backed by a sparse ${Math.round(bytes / 1e6)} MB image, mounted at ${mountPoint}`,
    release: (removeImage = true) => {
      live.delete(target);
      undo(removeImage);
    },
  };
  live.add(target);
  return target;
}

/** Apparent bytes of everything under `path` (du -sb), 0 when it does not exist. */
export function duBytes(path: string): number {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split('\t')[0]) : 0;
}

/** Bytes in use on the file system holding `path` (statfs: blocks minus free blocks). */
export function fsUsedBytes(path: string): number {
  const s = statfsSync(path);
  return (s.blocks - s.bfree) * s.bsize;
}
