// `airgap remind` as a user (or a daily timer) runs it: the built CLI against real folders, the
// clock moved with AIRGAP_NOW past the config's alert days, and a fake `notify-send` first on
// PATH that records each call's arguments in a file of its own.
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoCrash, labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { fakeNotifier, notifyCalls, writeFakeNotifySend } from '../helpers/fake-notifier.js';

const DAY0 = Date.parse('2026-11-21T10:00:00Z');
const day = (n: number) => new Date(DAY0 + n * 86_400_000).toISOString();

interface World {
  sb: Sandbox;
  bin: string;
  calls: string;
  /** Runs airgap on day `n` with the fake notifier on PATH and a desktop (DISPLAY) to reach. */
  remind(n: number, args?: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Each notify-send call's arguments, in the order they came. */
  notifications(): Promise<string[][]>;
}

const sandboxes: Sandbox[] = [];
afterEach(async () => { for (const sb of sandboxes.splice(0)) await sb.cleanup(); });

/** Drives A, B, C weekly; A labelled and written on day 0, then unplugged: nothing is due or wrong that day. */
async function world(alerts?: { rotationDays: number; verifyDays: number }): Promise<World> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'Documents');
  await mkdir(src);
  await writeFile(join(src, 'letter.txt'), 'dear drawer\n');
  sb.env.AIRGAP_NOW = day(0);
  expect((await sb.run('init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes')).code).toBe(0);
  if (alerts) {
    const file = join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as { policy: Record<string, unknown> };
    config.policy.alerts = alerts;
    await writeFile(file, JSON.stringify(config, null, 2));
  }
  await labelledDrive(sb, 'A');
  const backup = await sb.run('backup', '--drive', 'A');
  expect(backup.code, backup.stderr).toBe(0);
  const { bin, calls } = await fakeNotifier(sb.dir);
  const w: World = {
    sb, bin, calls,
    remind: (n, args = [], env = {}) => runCli(['remind', ...args], { ...sb.env, AIRGAP_NOW: day(n), PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':99', NOTIFY_CALLS: calls, ...env }),
    notifications: () => notifyCalls(calls),
  };
  return w;
}

/** The drive leaves the drives root (and its last mountpoint): unplugged, put away. */
const unplug = (w: World, name: string) => rename(w.sb.drive(name), join(w.sb.dir, `away-${name}`));

/** The title and text of a call: what follows the `--` that ends notify-send's options. */
const shown = (args: string[]) => args.slice(args.indexOf('--') + 1);

const ROTATION_32 = 'A has not been written for 32 days (alert after 30)';

describe('airgap remind', () => {
  it('all is well: exit 0, one line saying so, no notification', async () => {
    const w = await world();
    await unplug(w, 'A');
    const r = await w.remind(0);
    expectNoCrash('remind', r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('All is well: nothing to remind. Next: bring drive B on 2026-11-28\n');
    expect(await w.notifications()).toEqual([]);
  });

  it('rotation overdue: exit 33, its line, and the desktop notified with a title and the line', async () => {
    const w = await world();
    await unplug(w, 'A');
    const r = await w.remind(32);
    expectNoCrash('remind', r);
    expect(r.code).toBe(33);
    expect(r.stdout).toBe(`${ROTATION_32}\n`);
    const calls = await w.notifications();
    expect(calls).toHaveLength(1);
    expect(shown(calls[0]!)).toEqual(['airgap: 1 reminder', ROTATION_32]);
  });

  it('verification overdue: exit 34, its line, notified', async () => {
    const w = await world({ rotationDays: 30, verifyDays: 10 });
    await unplug(w, 'A');
    const r = await w.remind(12);
    expectNoCrash('remind', r);
    expect(r.code).toBe(34);
    const line = 'A was last verified 12 days ago (alert after 10 days): run airgap verify A';
    expect(r.stdout).toBe(`${line}\n`);
    expect((await w.notifications()).map(shown)).toEqual([['airgap: 1 reminder', line]]);
  });

  it('all three overdue (rotation, verification, restore drill): exit 39, a line each, one notification with all; status alerts the same lines', async () => {
    const w = await world();
    await unplug(w, 'A');
    const r = await w.remind(122);
    expect(r.code).toBe(39);
    const lines = ['A has not been written for 122 days (alert after 30)', 'A was last verified 122 days ago (alert after 90 days): run airgap verify A',
      'A has had no restore drill in the 122 days since it was labelled (alert after 90 days): run airgap drill A'];
    expect(r.stdout).toBe(lines.map((l) => `${l}\n`).join(''));
    expect((await w.notifications()).map(shown)).toEqual([['airgap: 3 reminders', lines.join('\n')]]);
    const status = await runCli(['status'], { ...w.sb.env, AIRGAP_NOW: day(122) });
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n').filter((l) => l.startsWith('ALERT: '))).toEqual(lines.map((l) => `ALERT: ${l}`));
  });

  it('--json: {reminders: [{kind, message}]}, the same exit code, and what became of the notification', async () => {
    const w = await world();
    await unplug(w, 'A');
    const r = await w.remind(122, ['--json']);
    expect(r.code).toBe(39);
    const out = JSON.parse(r.stdout) as { reminders: { kind: string; message: string }[]; notification?: unknown };
    expect(out.reminders).toEqual([
      { kind: 'rotation-overdue', message: 'A has not been written for 122 days (alert after 30)' },
      { kind: 'verify-overdue', message: 'A was last verified 122 days ago (alert after 90 days): run airgap verify A' },
      { kind: 'drill-overdue', message: 'A has had no restore drill in the 122 days since it was labelled (alert after 90 days): run airgap drill A' },
    ]);
    expect(out.notification).toEqual({ sent: true, via: 'notify-send' });
    expect(await w.notifications()).toHaveLength(1);
    const well = await w.remind(0, ['--json']);
    expect(well.code).toBe(0);
    expect(JSON.parse(well.stdout)).toEqual({ reminders: [], next: 'bring drive B on 2026-11-28' });
    expect(await w.notifications()).toHaveLength(1);
  });

  it('--no-notify: the line and the code, no notification', async () => {
    const w = await world();
    await unplug(w, 'A');
    const r = await w.remind(32, ['--no-notify']);
    expect(r.code).toBe(33);
    expect(r.stdout).toBe(`${ROTATION_32}\n`);
    expect(await w.notifications()).toEqual([]);
  });

  it('notify-send missing from PATH: still the line and the code, nothing on stderr, no crash', async () => {
    const w = await world();
    await unplug(w, 'A');
    const empty = await mkdtemp(join(w.sb.dir, 'no-notifier-'));
    const r = await w.remind(32, [], { PATH: empty });
    expectNoCrash('remind without notify-send', r);
    expect(r.code).toBe(33);
    expect(r.stdout).toBe(`${ROTATION_32}\n`);
    expect(r.stderr).toBe('');
    const json = await w.remind(32, ['--json'], { PATH: empty });
    expect(json.code).toBe(33);
    expect(JSON.parse(json.stdout).notification).toEqual({ sent: false, reason: 'notify-send not found on PATH' });
  });

  it('a notifier that fails, or no desktop session: still the line and the code, no crash', async () => {
    const w = await world();
    await unplug(w, 'A');
    await writeFile(join(w.bin, 'notify-send'), '#!/bin/sh\necho "GDBus.Error: no notification server" >&2\nexit 1\n');
    const failed = await w.remind(32);
    expectNoCrash('remind with a failing notify-send', failed);
    expect([failed.code, failed.stdout]).toEqual([33, `${ROTATION_32}\n`]);
    // No DISPLAY, no session bus: notify-send is not even tried.
    await writeFakeNotifySend(w.bin);
    const headless = await w.remind(32, ['--json'], { DISPLAY: '' });
    expect(headless.code).toBe(33);
    expect(JSON.parse(headless.stdout).notification).toEqual({ sent: false, reason: expect.stringMatching(/no desktop session/) });
    expect(await w.notifications()).toEqual([]);
  });

  it('another alert (a drive left connected): exit 48, with its kind', async () => {
    const w = await world();
    const r = await w.remind(0, ['--json', '--no-notify']);
    expect(r.code).toBe(48);
    const out = JSON.parse(r.stdout) as { reminders: { kind: string; message: string }[] };
    expect(out.reminders.map((a) => a.kind)).toEqual(['plan']);
    expect(out.reminders[0]!.message).toMatch(/^air gap broken: A is connected/);
  });

  it('no config: error and hint, exit 2', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const r = await runCli(['remind'], { ...sb.env, DISPLAY: ':99' });
    expectNoCrash('remind without a config', r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no config at .*\nhint: create one: airgap init/m);
  });
});
