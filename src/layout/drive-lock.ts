// One writer per drive: airgap/.lock is created exclusively and holds the holder's pid, host mark,
// start time and a random token (src/io/stale-lock.ts). A lock whose holder is dead (same
// host) or that has not been refreshed for STALE_MS (a drive moved from another machine
// mid-run) is taken over; otherwise we refuse and name the holder. Before each step that
// commits or deletes (the rename into place, each prune) the holder checks the token is still
// its own, so that even a lost takeover race never lets two processes commit.
import { stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { refusal } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import { LOCK_FILE } from './format.js';
import type { RunInProgress } from '../core/status-model.js';
import { NotRegularFileError } from '../io/read-regular.js';
import {
  acquireLockFile, holdsLock, hostLabel, isStale, newLockInfo, readLockFile, type LockInfo,
} from '../io/stale-lock.js';

export type { LockInfo } from '../io/stale-lock.js';

const REFRESH_MS = 10_000;
const STALE_MS = 120_000;

export class DriveLock {
  private timer: NodeJS.Timeout;
  private constructor(readonly path: string, private readonly token: string, private readonly driveName: string) {
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(this.path, now, now).catch(() => {});
    }, REFRESH_MS).unref();
  }

  static async acquire(airgapDir: string, driveName: string, command: string): Promise<DriveLock> {
    const path = join(airgapDir, LOCK_FILE);
    const info = newLockInfo(command);
    const held = await acquireLockFile(path, info, { staleMs: STALE_MS }).catch((e: unknown) => {
      if (e instanceof NotRegularFileError) throw refusal('drive-locked', `cannot lock drive ${driveName}: ${e.message}, so not an airgap lock`, `remove it (rm ${path}) if nothing else uses it, then run again`);
      throw driveWriteError(e as NodeJS.ErrnoException, driveName) ?? e;
    });
    if (!held) return new DriveLock(path, info.token, driveName);
    if (held.holder) throw lockedBy(driveName, held.holder.holder);
    throw refusal('drive-locked', `could not lock drive ${driveName}`, 'another airgap process keeps taking the lock; try again');
  }

  /** Throws if the lock is no longer ours (taken over while we were stalled). */
  async assertHeld(): Promise<void> {
    if (await holdsLock(this.path, this.token)) return;
    const state = await readLockFile(this.path).catch(() => undefined);
    throw refusal('lock-lost', `the lock on drive ${this.driveName} was taken over by ${state?.holder ? `pid ${state.holder.pid} on ${hostLabel(state.holder.host)}` : 'another process'} while this run was working; stopping before committing anything`,
      'make sure only one airgap runs per drive, then run again');
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    // Only our own lock: never remove one that another process took over.
    if (await holdsLock(this.path, this.token)) await unlink(this.path).catch(() => {});
  }
}

function lockedBy(driveName: string, holder: LockInfo | undefined) {
  return refusal('drive-locked', `drive ${driveName} is in use by airgap (${holder ? `pid ${holder.pid} on ${hostLabel(holder.host)}, ${holder.command}, since ${holder.startedAt}` : 'a lock is being written'})`,
    'wait for it to finish; if that process is gone, run again in 2 minutes and the stale lock is taken over');
}

/** The airgap run working on the drive now, as list, drives, status and watch name it (core/status-model). */
export async function runInProgress(airgapDir: string): Promise<RunInProgress | undefined> {
  const h = await activeLockHolder(airgapDir).catch(() => undefined);
  return h && { pid: h.pid, host: hostLabel(h.host), command: h.command, startedAt: h.startedAt };
}

/** The live holder of a drive's lock, if any (a stale lock counts as none). */
export async function activeLockHolder(airgapDir: string): Promise<LockInfo | undefined> {
  const path = join(airgapDir, LOCK_FILE);
  const exists = await stat(path).then(() => true, () => false);
  if (!exists) return undefined;
  // Something else than a file at that name is no airgap lock: no airgap process holds the drive.
  const state = await readLockFile(path, false).catch((e: unknown) => {
    if (e instanceof NotRegularFileError) return undefined;
    throw e;
  });
  if (!state) return undefined;
  return isStale(state, STALE_MS) ? undefined : state.holder ?? { pid: 0, host: '?', startedAt: '?', command: '?' };
}
