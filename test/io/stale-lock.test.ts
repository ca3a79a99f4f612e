// The stale-lock takeover race, replayed step by step in one process.
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { HOST_MARK, holdsLock, hostLabel, isStale, newLockInfo, readLockFile, removeStaleLock, tryCreateLock } from '../../src/io/stale-lock.js';

describe('stale lock takeover', () => {
  it('a taker that judged an old lock stale never removes the fresh lock another taker made meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-lock-'));
    const path = join(dir, '.lock');
    await writeFile(path, JSON.stringify({ pid: 999_999_999, host: 'h', startedAt: 'x', command: 'backup' }) + '\n');
    // Both takers judge the same stale lock.
    const judgedByA = (await readLockFile(path))!;
    const judgedByB = (await readLockFile(path))!;
    // A wins: removes it and creates its own.
    await removeStaleLock(path, judgedByA);
    const a = newLockInfo('backup');
    expect(await tryCreateLock(path, a)).toBe(true);
    // B, late, acts on its old judgement: A's lock must survive.
    await removeStaleLock(path, judgedByB);
    expect(await holdsLock(path, a.token)).toBe(true);
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe(a.token);
    expect((await readdir(dir)).sort()).toEqual(['.lock']);
    // And B cannot create one now.
    expect(await tryCreateLock(path, newLockInfo('backup'))).toBe(false);
  });

  it('a lock being written is re-read until it names its holder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-lock-'));
    const path = join(dir, '.lock');
    await writeFile(path, '');
    setTimeout(() => void writeFile(path, JSON.stringify({ pid: 42, host: 'h', startedAt: 'x', command: 'backup' })), 50);
    // It waits while the empty lock is young (being written), and returns as soon as the holder
    // is named: a loaded machine running the write late still lands inside it.
    const state = await readLockFile(path);
    expect(state?.holder?.pid).toBe(42);
  });

  it('an empty lock that is no longer young was cut short: read at once, judged stale', async () => {
    const { utimes } = await import('node:fs/promises');
    const { isStale } = await import('../../src/io/stale-lock.js');
    const dir = await mkdtemp(join(tmpdir(), 'airgap-lock-'));
    const path = join(dir, '.lock');
    await writeFile(path, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const state = (await readLockFile(path))!;
    expect(state.holder).toBeUndefined();
    expect(isStale(state, 120_000)).toBe(true);
  });

  it('a lock cut short while it was made (its maker killed before writing it) is waited out and taken over, not refused', async () => {
    const { acquireLockFile } = await import('../../src/io/stale-lock.js');
    const dir = await mkdtemp(join(tmpdir(), 'airgap-lock-'));
    const path = join(dir, '.lock');
    await writeFile(path, ''); // made just now, never written: its maker died
    const me = newLockInfo('backup');
    expect(await acquireLockFile(path, me, { staleMs: 120_000 })).toBeUndefined();
    expect(await holdsLock(path, me.token)).toBe(true);
  });

  it('a lock names its host by a fingerprint, never the name (a drive travels), and still knows its own holder is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-lock-'));
    const path = join(dir, '.lock');
    const info = newLockInfo('backup');
    expect(await tryCreateLock(path, info)).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(hostname());
    expect(JSON.parse(text).host).toMatch(/^host-[0-9a-f]{12}$/);
    expect(hostLabel(HOST_MARK)).toBe('this computer');
    expect(hostLabel('host-000000000000')).toBe('another computer (host-000000000000)');
    // Same computer, dead pid: stale at once, by the mark and by the name older locks hold.
    const fresh = { ageMs: 0, mtimeMs: 0, text: '' };
    for (const host of [HOST_MARK, hostname()]) expect(isStale({ ...fresh, holder: { pid: 999_999_999, host, startedAt: 'x', command: 'backup' } }, 120_000), host).toBe(true);
    // Another computer's: only once it stopped refreshing the lock.
    const other = { pid: 999_999_999, host: 'host-000000000000', startedAt: 'x', command: 'backup' };
    expect(isStale({ ...fresh, holder: other }, 120_000)).toBe(false);
    expect(isStale({ ...fresh, ageMs: 120_001, holder: other }, 120_000)).toBe(true);
  });
});
