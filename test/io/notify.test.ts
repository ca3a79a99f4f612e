// The desktop notifier (io/notify.ts): the program and arguments per desktop, and every way the
// program can fail turned into an outcome, never an exception or a hang. Fake notifiers are
// shell scripts in a temporary folder put first on PATH.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifier, notify } from '../../src/io/notify.js';

const N = { title: 'airgap: 1 reminder', body: '-A has not been written for 31 days' };

describe('notifier', () => {
  it('Linux: notify-send with the title and text after --, when a desktop session is there', () => {
    expect(notifier(N, { platform: 'linux', env: { DISPLAY: ':0' } })).toEqual({ program: 'notify-send', args: ['--app-name=airgap', '--', N.title, N.body] });
    expect(notifier(N, { platform: 'linux', env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' } })).toHaveProperty('program', 'notify-send');
    expect(notifier(N, { platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' } })).toHaveProperty('program', 'notify-send');
  });

  it('Linux without a session bus or display: none, and why', () => {
    expect(notifier(N, { platform: 'linux', env: { PATH: '/usr/bin' } })).toEqual({ reason: expect.stringMatching(/no desktop session/) });
  });

  it('macOS: osascript, the texts as arguments of the script, never inside it', () => {
    const how = notifier({ title: 'say "hi"', body: 'x" & do shell script "rm -rf ~' }, { platform: 'darwin', env: {} });
    expect(how).toEqual({ program: 'osascript', args: ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', 'say "hi"', 'x" & do shell script "rm -rf ~'] });
  });

  it('Windows: none yet', () => {
    expect(notifier(N, { platform: 'win32', env: {} })).toEqual({ reason: expect.stringMatching(/Windows/) });
  });
});

describe('notify', () => {
  let dir: string;
  const script = async (body: string) => {
    const bin = await mkdtemp(join(dir, 'bin-'));
    await writeFile(join(bin, 'notify-send'), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, 'notify-send'), 0o755);
    return bin;
  };
  const host = (bin: string, extra: Record<string, string> = {}) => ({ platform: 'linux' as const, env: { PATH: `${bin}:/usr/bin:/bin`, DISPLAY: ':99', ...extra } });

  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'airgap-notify-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the program found on PATH with the arguments, each one whole', async () => {
    const log = join(dir, 'args');
    const bin = await script(`printf '%s\\0' "$@" > "${log}"`);
    await expect(notify({ title: N.title, body: 'line 1\nline 2 with "quotes" and $HOME' }, host(bin))).resolves.toEqual({ sent: true, via: 'notify-send' });
    expect((await readFile(log, 'utf8')).split('\0').slice(0, -1)).toEqual(['--app-name=airgap', '--', N.title, 'line 1\nline 2 with "quotes" and $HOME']);
  });

  it('a notifier missing from PATH is an outcome, not an error', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    await expect(notify(N, { platform: 'linux', env: { PATH: empty, DISPLAY: ':99' } })).resolves.toEqual({ sent: false, reason: 'notify-send not found on PATH' });
  });

  it('a notifier that fails: its exit code and first line of stderr', async () => {
    const bin = await script(`echo 'Cannot autolaunch D-Bus without X11 $DISPLAY' >&2\necho 'more' >&2\nexit 1`);
    await expect(notify(N, host(bin))).resolves.toEqual({ sent: false, reason: 'notify-send failed (exit 1): Cannot autolaunch D-Bus without X11 $DISPLAY' });
  });

  it('a notifier that does not answer is killed after the timeout', async () => {
    const bin = await script('exec sleep 60');
    await expect(notify(N, { ...host(bin), timeoutMs: 300 })).resolves.toEqual({ sent: false, reason: 'notify-send did not answer within 0.3 s' });
  });

  it('a daemon the notifier leaves running with our pipes open does not hold the answer back', async () => {
    const pidFile = join(dir, 'daemon.pid');
    // Like a D-Bus started for it: a child that keeps stdout and stderr, while notify-send exits 0.
    const bin = await script(`sleep 60 &\necho $! > "${pidFile}"\nexit 0`);
    try {
      // Without closing our ends on exit, this waits for the daemon (60 s): far beyond the test's timeout.
      await expect(notify(N, { ...host(bin), timeoutMs: 30_000 })).resolves.toEqual({ sent: true, via: 'notify-send' });
    } finally {
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
      if (pid > 0) try { process.kill(pid); } catch { /* already gone */ }
    }
  });
});
