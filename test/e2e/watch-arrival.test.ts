// What `airgap watch` does when a drive of the rotation arrives (config onArrival), as the
// service runs it: the built CLI watching a drives root, a drive labelled there once watch said
// it is watching (its "ready" line, after its first look: never a fixed wait), a fake
// `notify-send` first on PATH recording each notification, and the outcome read from watch's
// own lines. Then the drive is checked with `airgap verify` like a user would.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, expectNoCrash, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { procState } from '../helpers/proc.js';
import { fakeNotifier, notifyCalls } from '../helpers/fake-notifier.js';

const DAY0 = '2026-11-21T10:00:00Z'; // a Saturday: the weekly rotation's first backup day, drive A due

const sandboxes: Sandbox[] = [];
const children: ReturnType<typeof spawn>[] = [];
/** Backups frozen at a failpoint: killed after a test that failed before it let them go on. */
const frozen: number[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const pid of frozen.splice(0)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
  for (const sb of sandboxes.splice(0)) await sb.cleanup();
});

interface World { sb: Sandbox; src: string; env: Record<string, string>; notifications(): Promise<string[][]> }

async function world(onArrival: 'notify' | 'backup'): Promise<World> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'Documents');
  await mkdir(src);
  await writeFile(join(src, 'letter.txt'), 'dear drawer\n');
  sb.env.AIRGAP_NOW = DAY0;
  expect((await sb.run('init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes')).code).toBe(0);
  const file = join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  expect(config.onArrival).toBe('notify'); // the default, written by init
  config.onArrival = onArrival;
  await writeFile(file, JSON.stringify(config, null, 2));
  const { bin, calls } = await fakeNotifier(sb.dir);
  return {
    sb, src,
    env: { ...sb.env, PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':99', NOTIFY_CALLS: calls, AIRGAP_WATCH_INTERVAL_MS: '100', AIRGAP_RACY_SECONDS: '0' },
    notifications: async () => (await notifyCalls(calls)).map((args) => args.slice(args.indexOf('--') + 1)),
  };
}

/**
 * Plugs in a labelled drive: labelled outside the drives root, then moved in at once, so that
 * watch sees it arrive whole (not first as an empty disk, then as an airgap drive).
 */
async function plugIn(sb: Sandbox, name: string): Promise<void> {
  const shelf = join(sb.dir, 'shelf');
  const outside = join(shelf, name);
  await mkdir(outside, { recursive: true });
  // Labelled as a simulated drive of another drives root (the shelf), out of watch's sight.
  const r = await runCli(['label', outside, '--name', name, '--yes'], { ...sb.env, AIRGAP_DRIVES_ROOT: shelf });
  expect(r.code, r.stderr).toBe(0);
  await rename(outside, sb.drive(name));
}

function watch(w: World, args: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { env: w.env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let ended = false;
  const done = new Promise<number>((r) => child.on('close', (c) => { ended = true; r(c ?? -1); }));
  /** Polls the output until `re` matches (cap: far above what a loaded machine needs). */
  const waitFor = async (stream: 'out' | 'err', re: RegExp) => {
    const until = Date.now() + 180_000;
    while (!re.test(stream === 'out' ? stdout : stderr)) {
      if (ended || Date.now() > until) throw new Error(`watch ${ended ? 'ended' : 'timed out'} before ${re} appeared:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, done, out: () => stdout, err: () => stderr, waitFor };
}

describe('airgap watch: a drive of the rotation arrives', () => {
  it('onArrival backup: the due drive gets its snapshot, verified, "ejected" (simulated: a no-op), and the outcome notified', async () => {
    const w = await world('backup');
    const watcher = watch(w);
    await watcher.waitFor('err', /Watching for drives \(on arrival: backup\)/);
    await plugIn(w.sb, 'A');
    await watcher.waitFor('out', /^\S+ (done|failed|due|not-due|ignored) /m); // any outcome: a wrong one fails at once
    const out = watcher.out();
    expect(out, watcher.err()).toMatch(/^\S+ backup +Drive A is connected and due \(onArrival: backup\): backing up now$/m);
    expect(out).toMatch(/^\S+ eject +drive A: a simulated drive \(under --drives-root\): nothing to power off, nothing ejected$/m);
    const done = /^\S+ done +Drive A: snapshot (\S+) written and verified; .* \[notified\]$/m.exec(out);
    expect(done, out).not.toBeNull();
    const id = done![1]!;
    // Recorded in the run history like a backup and a verify typed by hand.
    const log = JSON.parse((await runCli(['log', '--json'], w.sb.env)).stdout) as { command: string; drive: string; outcome: string; snapshot?: string }[];
    expect(log.map((r) => [r.command, r.drive, r.outcome])).toEqual([['verify', 'A', 'ok'], ['backup', 'A', 'ok']]);
    expect(log[1]!.snapshot).toBe(id);
    // The drive holds it, and it verifies (as a user would check it).
    const verify = await runCli(['verify', 'A', '--json'], w.sb.env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).snapshots.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([[id, 'ok']]);
    expect(await w.notifications()).toEqual([['airgap: drive A backed up', `Drive A: snapshot ${id} written and verified; a simulated drive (under --drives-root): nothing to power off, nothing ejected`]]);
    watcher.child.kill('SIGINT');
    expect(await watcher.done).toBe(130);
    expectNoCrash('watch', { stderr: watcher.err() });
  });

  it('a failing backup is reported (line, notification, run history) and the watcher goes on to the next arrival', async () => {
    const w = await world('backup');
    await rm(w.src, { recursive: true }); // the source is gone: backup refuses
    const watcher = watch(w, ['--json']);
    await watcher.waitFor('out', /"type":"ready","at":"[^"]+","onArrival":"backup"/);
    await plugIn(w.sb, 'A');
    await watcher.waitFor('out', /"step":"failed"/);
    const failed = watcher.out().trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.step === 'failed');
    expect(failed).toMatchObject({ type: 'action', drive: 'A', message: expect.stringMatching(/^Drive A: the backup failed: .*Documents/), notification: { sent: true, via: 'notify-send' } });
    expect((await w.notifications()).map((n) => n[0])).toEqual(['airgap: the backup onto drive A FAILED']);
    const log = JSON.parse((await runCli(['log', '--json'], w.sb.env)).stdout) as { command: string; exitCode: number }[];
    expect(log[0]).toMatchObject({ command: 'backup', exitCode: 2 });
    // Still watching: a drive that is not due arrives, and is notified as such.
    await plugIn(w.sb, 'B');
    await watcher.waitFor('out', /"step":"not-due"/);
    expect(watcher.child.exitCode).toBeNull();
    watcher.child.kill('SIGTERM');
    expect(await watcher.done).toBe(130);
  });

  it('onArrival notify (the default): the due drive is notified as due, another as not due with its day; nothing written', async () => {
    const w = await world('notify');
    const watcher = watch(w);
    await watcher.waitFor('err', /Watching for drives \(on arrival: notify\)/);
    await plugIn(w.sb, 'A');
    await watcher.waitFor('out', /^\S+ due /m);
    await plugIn(w.sb, 'B');
    await watcher.waitFor('out', /^\S+ not-due /m);
    expect(watcher.out()).toMatch(/^\S+ due +Drive A is connected: its backup is due — run airgap \[notified\]$/m);
    expect(watcher.out()).toMatch(/^\S+ not-due +Drive B is connected: its backup is not due \(its next backup is on 2026-11-28\); the next backup is drive A's, 2026-11-21 \[notified\]$/m);
    // One file per call, named at random: compared in any order.
    expect((await w.notifications()).sort()).toEqual([
      ['airgap: drive A is due', 'Drive A is connected: its backup is due — run airgap'],
      ['airgap: drive B connected', "Drive B is connected: its backup is not due (its next backup is on 2026-11-28); the next backup is drive A's, 2026-11-21"],
    ]);
    const list = await runCli(['list', 'A', '--json'], w.sb.env);
    expect(JSON.parse(list.stdout).snapshots).toEqual([]);
    watcher.child.kill('SIGINT');
    expect(await watcher.done).toBe(130);
  });

  it('one arrival at a time: a drive back while its backup runs is not handled twice; another waits its turn', async () => {
    const w = await world('backup');
    // The backup child freezes itself (SIGSTOP) once it holds the drive's lock: "while it runs" for as long as needed.
    const watcher = watch({ ...w, env: { ...w.env, AIRGAP_FAILPOINT: 'backup:locked', AIRGAP_FAILPOINT_ACTION: 'stop' } });
    await watcher.waitFor('err', /Watching for drives/);
    await plugIn(w.sb, 'A');
    await watcher.waitFor('out', /^\S+ backup +Drive A/m);
    const lock = join(w.sb.drive('A'), 'airgap', '.lock');
    let pid = 0;
    for (const until = Date.now() + 120_000; !(pid && procState(pid) === 'T'); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() > until) throw new Error(`the backup never stopped at its failpoint:\n${watcher.out()}\n${watcher.err()}`);
      pid = Number(/"pid":\s*(\d+)/.exec(await readFile(lock, 'utf8').catch(() => ''))?.[1] ?? 0);
    }
    frozen.push(pid);
    // A leaves and comes back while its backup is frozen; B arrives meanwhile.
    await rename(w.sb.drive('A'), join(w.sb.dir, 'away-A'));
    await watcher.waitFor('out', /left +airgap drive A/);
    await rename(join(w.sb.dir, 'away-A'), w.sb.drive('A'));
    await watcher.waitFor('out', /^\S+ busy +drive A is already being handled: not handled twice$/m);
    await plugIn(w.sb, 'B');
    await watcher.waitFor('out', /arrived +airgap drive B/);
    expect(watcher.out()).not.toMatch(/ not-due /); // B waits for A's handling to end
    process.kill(pid, 'SIGCONT');
    frozen.splice(0);
    await watcher.waitFor('out', /^\S+ not-due +Drive B/m);
    const steps = watcher.out().split('\n').map((l) => / (backup|verify|eject|done|failed|busy|not-due) /.exec(l)?.[1]).filter(Boolean);
    expect(steps).toEqual(['backup', 'busy', 'verify', 'eject', 'done', 'not-due']);
    watcher.child.kill('SIGINT');
    expect(await watcher.done).toBe(130);
  });

  it('a bad onArrival is a config error naming the field (exit 2), not a silently passive watcher', async () => {
    const w = await world('notify');
    const file = join(w.sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"onArrival": "notify"', '"onArrival": "backup-now"'));
    const r = await runCli(['watch', '--timeout', '1'], w.env);
    expectNoCrash('watch with a bad onArrival', r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: config .*config\.json: onArrival: notify or backup\nhint: /m);
  });

  it('a drive of no rotation (no config): only the arrival line, as before', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const w: World = { sb, src: '', env: { ...sb.env, AIRGAP_WATCH_INTERVAL_MS: '100' }, notifications: async () => [] };
    const watcher = watch(w, ['--once', '--timeout', '300']);
    await watcher.waitFor('err', /Watching for drives \(until one arrives\); Ctrl\+C to stop\./);
    await plugIn(sb, 'A');
    expect(await watcher.done).toBe(0);
    expect(watcher.out()).toMatch(/arrived +airgap drive A at /);
    expect(watcher.out()).not.toMatch(/ (due|backup|not-due) /);
  });
});
