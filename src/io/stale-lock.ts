// Lock files shared by the drive lock (airgap/.lock) and the catalog lock: created exclusively
// ('wx') with the holder's pid, host mark, start time and a random token; a stale one (holder dead)
// is taken over. Two takers can judge the same lock stale at once; they take turns on a short
// takeover lock, and each deletes the lock only if it is still the one it judged stale, so the
// loser never removes the winner's fresh lock (see removeStaleLock).
import { createFileSynced } from './durable.js';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { stat, unlink } from 'node:fs/promises';
import { readRegularFile } from './read-regular.js';

export interface LockInfo {
  pid: number;
  /** HOST_MARK (locks written before it hold the host name: still read as that host). */
  host: string;
  startedAt: string;
  command: string;
  token?: string;
  /** The kernel's boot id (Linux) when the lock was made: a lock from an earlier boot is dead. */
  boot?: string;
}

/**
 * This boot's id (Linux: a random UUID per boot), or undefined elsewhere. After a power cut a
 * lock file can outlive its holder, and its pid may belong to another live process after the
 * reboot: the boot id tells them apart without trusting any clock.
 */
export const currentBootId: string | undefined = (() => {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
})();

export interface LockFileState {
  text: string;
  holder?: LockInfo;
  ageMs: number;
  /** With the text, what identifies this very lock file (an empty new lock has the same text as an empty old one). */
  mtimeMs: number;
}

/**
 * How a lock names the computer that holds it: a fingerprint of its host name, not the name. A
 * drive travels, and a lock left on it by a cut run must not say whose it is (an encrypted
 * drive names no host anywhere: docs/FORMAT.md). The fingerprint is all a lock needs: whether
 * its holder is on this computer, where its pid can be checked.
 */
export const HOST_MARK = `host-${createHash('sha256').update(`airgap lock host\0${hostname()}`).digest('hex').slice(0, 12)}`;

/** Whether a lock's holder runs on this computer (by the mark, or the name older locks hold). */
export const isThisHost = (host: string): boolean => host === HOST_MARK || host === hostname();

/** A holder's host for messages: this computer, or another one by its mark. */
export const hostLabel = (host: string): string => (isThisHost(host) ? 'this computer' : host.startsWith('host-') ? `another computer (${host})` : host);

export function newLockInfo(command: string): LockInfo & { token: string } {
  return { pid: process.pid, host: HOST_MARK, startedAt: new Date().toISOString(), command, token: randomBytes(8).toString('hex'), ...(currentBootId ? { boot: currentBootId } : {}) };
}

/** Creates the lock file exclusively with `info`; false when it exists. Other errors throw. */
export async function tryCreateLock(path: string, info: LockInfo): Promise<boolean> {
  try {
    await createFileSynced(path, JSON.stringify(info) + '\n');
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * A lock file without readable content younger than this is being written right now (its
 * holder creates it, then writes and fsyncs its few bytes); older, it was cut short.
 */
const BEING_WRITTEN_MS = 5_000;

/** How long a reader waits for a young empty lock's content: a refusal then names the holder. */
const SETTLE_MS = 2_000;

/**
 * Reads a lock file. A lock that is being written has no content for a moment: re-read it
 * (`settle`) until it names its holder, for up to SETTLE_MS, so that a refusal can name the
 * holder even when its write reaches the disk slowly (a loaded machine, a slow USB stick). It
 * stops before the empty lock would count as cut short, so a young empty lock is still refused,
 * never taken over. `settle: false` reads once.
 */
export async function readLockFile(path: string, settle = true): Promise<LockFileState | undefined> {
  const until = Date.now() + (settle ? SETTLE_MS : 0);
  for (;;) {
    let text: string;
    let mtimeMs: number;
    try {
      // readRegularFile: a FIFO in the lock's place must not block us (NotRegularFileError instead).
      [text, mtimeMs] = await Promise.all([readRegularFile(path).then((b) => b.toString('utf8')), stat(path).then((s) => s.mtimeMs)]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const holder = parseHolder(text);
    const ageMs = Date.now() - mtimeMs;
    if (holder || Date.now() >= until || ageMs >= BEING_WRITTEN_MS - SETTLE_MS) return { text, holder, ageMs, mtimeMs };
    await new Promise((r) => setTimeout(r, 20));
  }
}

function parseHolder(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    return v && typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined; // unreadable or half-written: judged by age alone
  }
}

/** Whether the holder is gone: a dead pid on this host, or no sign of life for staleMs. */
export function isStale(state: LockFileState, staleMs: number): boolean {
  const { holder, ageMs } = state;
  // A lock with no readable content is either being written right now or was cut short.
  if (!holder) return ageMs > BEING_WRITTEN_MS;
  if (isThisHost(holder.host)) {
    // Made before this boot (a power cut or a crash): its holder is gone, whatever now has its pid.
    if (holder.boot && currentBootId && holder.boot !== currentBootId) return true;
    if (holder.pid === process.pid) return false;
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return ageMs > staleMs;
}

/**
 * Removes the lock file only if it still is the one judged stale. Takers serialise on a
 * second, short-lived lock (`<lock>.takeover`): holding it, a taker re-reads the lock and
 * deletes it only if it is unchanged (same text and mtime), so a fresh lock made by another
 * taker meanwhile is never removed. Returns false when another taker is busy (the caller
 * waits and looks again). A takeover lock left by a taker that died is itself taken away
 * once its pid is gone (or after 10 s from another host).
 */
export async function removeStaleLock(path: string, judged: LockFileState): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await tryCreateLock(guard, newLockInfo('takeover')))) {
    const g = await readLockFile(guard, false).catch(() => undefined);
    if (g && isStale(g, 10_000)) await unlink(guard).catch(() => {});
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
    return false;
  }
  try {
    const now = await readLockFile(path, false);
    if (now && now.text === judged.text && now.mtimeMs === judged.mtimeMs) await unlink(path).catch(() => {});
    return true;
  } finally {
    await unlink(guard).catch(() => {});
  }
}

/** Whether the lock file still holds our token. */
export async function holdsLock(path: string, token: string): Promise<boolean> {
  const text = await readRegularFile(path).then((b) => b.toString('utf8'), () => '');
  return parseHolder(text)?.token === token;
}

/**
 * Takes the lock file at `path`, the one loop both locks use: created exclusively; a stale lock
 * (see isStale) is taken over; a lock released meanwhile is tried again. A live holder ends it:
 * at once (`waitMs` undefined: the drive lock, which names the holder), or after waiting up to
 * `waitMs` with short random pauses (the catalog lock, held only for a read-merge-write).
 * Returns undefined once the lock is ours, else the holder's lock file as last read.
 */
export async function acquireLockFile(path: string, info: LockInfo, opts: { staleMs: number; waitMs?: number }): Promise<{ holder?: LockFileState } | undefined> {
  const until = opts.waitMs === undefined ? undefined : Date.now() + opts.waitMs;
  const emptyUntil = Date.now() + BEING_WRITTEN_MS + SETTLE_MS;
  // Without a wait, a few immediate rounds: a takeover in progress elsewhere settles in one.
  for (let round = 0; until !== undefined || round < 50; round++) {
    if (await tryCreateLock(path, info)) return undefined;
    const state = await readLockFile(path);
    if (state && isStale(state, opts.staleMs)) {
      await removeStaleLock(path, state);
      continue;
    }
    if (!state && until === undefined) continue; // released meanwhile
    // A young lock with no content: its maker is writing it now (it names itself within
    // milliseconds), or was killed while it did (then it counts as cut short once
    // BEING_WRITTEN_MS old). Wait for either rather than refuse: a run right after a killed
    // one must not fail for it (seen: a kill -9 trial on a loaded machine).
    if (state && !state.holder && Date.now() < emptyUntil) {
      round--;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (until === undefined || Date.now() > until) return { holder: state };
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
  }
  return {};
}
