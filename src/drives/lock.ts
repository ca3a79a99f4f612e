// One writer per drive: airgap/.lock is created exclusively and holds the holder's pid, host
// and start time. A lock whose holder is dead (same host) or that has not been refreshed for
// STALE_MS (a drive moved from another machine mid-run) is taken over; otherwise we refuse
// and name the holder.
import { hostname } from 'node:os';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { refusal } from '../core/errors.js';
import { driveWriteError } from '../core/io-errors.js';
import { LOCK_FILE } from '../core/format.js';

const REFRESH_MS = 10_000;
const STALE_MS = 120_000;

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export class DriveLock {
  private timer: NodeJS.Timeout;
  private constructor(readonly path: string) {
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(this.path, now, now).catch(() => {});
    }, REFRESH_MS).unref();
  }

  static async acquire(airgapDir: string, driveName: string, command: string): Promise<DriveLock> {
    const path = join(airgapDir, LOCK_FILE);
    const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx');
        await fh.writeFile(JSON.stringify(info) + '\n');
        await fh.sync();
        await fh.close();
        return new DriveLock(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw driveWriteError(e as NodeJS.ErrnoException, driveName) ?? e;
      }
      const holder = await readHolder(path);
      if (!(await isStale(path, holder))) {
        throw refusal('drive-locked', `drive ${driveName} is in use by airgap (${holder ? `pid ${holder.pid} on ${holder.host}, ${holder.command}, since ${holder.startedAt}` : 'a lock is being written'})`,
          'wait for it to finish; if that process is gone, run again in 2 minutes and the stale lock is taken over');
      }
      // Move the stale lock aside atomically: of two racing takers only one rename succeeds.
      await rename(path, `${path}.stale-${process.pid}`).then(() => unlink(`${path}.stale-${process.pid}`), () => {});
    }
    throw refusal('drive-locked', `could not lock drive ${driveName}`, 'another airgap process keeps taking the lock; try again');
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await unlink(this.path).catch(() => {});
  }
}

/** The live holder of a drive's lock, if any (a stale lock counts as none). */
export async function activeLockHolder(airgapDir: string): Promise<LockInfo | undefined> {
  const path = join(airgapDir, LOCK_FILE);
  const exists = await stat(path).then(() => true, () => false);
  if (!exists) return undefined;
  const holder = await readHolder(path);
  return (await isStale(path, holder)) ? undefined : holder ?? { pid: 0, host: '?', startedAt: '?', command: '?' };
}

async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined; // unreadable or half-written: judged by age alone
  }
}

async function isStale(path: string, holder: LockInfo | undefined): Promise<boolean> {
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  // A lock with no readable content is either being written right now or was cut short.
  if (!holder) return age > 5_000;
  if (holder.host === hostname()) {
    if (holder.pid === process.pid) return false;
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return age > STALE_MS;
}
