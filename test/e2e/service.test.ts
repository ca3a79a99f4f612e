// `airgap service` as a user runs it: the built CLI against a temporary HOME and
// XDG_CONFIG_HOME. The user's systemd is a fake `systemctl` first on PATH that records its calls
// and answers like a running user manager (or there is no XDG_RUNTIME_DIR: a container); the
// units written are checked by the real `systemd-analyze verify --user`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoCrash, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';

const exec = promisify(execFile);
const UNITS = ['airgap-remind.service', 'airgap-remind.timer', 'airgap-watch.service'];

const sandboxes: Sandbox[] = [];
afterEach(async () => { for (const sb of sandboxes.splice(0)) await sb.cleanup(); });

interface World {
  sb: Sandbox;
  unitDir: string;
  /** airgap with the fake systemctl on PATH; `session`: a user manager to reach (XDG_RUNTIME_DIR set). */
  run(args: string[], opts?: { session?: boolean; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  calls(): Promise<string[]>;
}

async function world(): Promise<World> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'Documents');
  await mkdir(src);
  sb.env.HOME = join(sb.dir, 'home');
  await mkdir(sb.env.HOME);
  expect((await sb.run('init', '--source', src, '--drives', 'A,B,C', '--yes')).code).toBe(0);
  const bin = join(sb.dir, 'bin');
  const runtime = join(sb.dir, 'run');
  await mkdir(bin);
  await mkdir(runtime, { mode: 0o700 });
  const log = join(sb.dir, 'systemctl-calls');
  await writeFile(log, '');
  await writeFile(join(bin, 'systemctl'), `#!/bin/sh
echo "$*" >> "${log}"
case "$*" in
  "--user is-system-running") echo running ;;
  "--user is-enabled "*) echo enabled ;;
  "--user is-active "*) echo active ;;
esac
exit 0
`);
  await chmod(join(bin, 'systemctl'), 0o755);
  return {
    sb, unitDir: join(sb.env.XDG_CONFIG_HOME!, 'systemd', 'user'),
    run: (args, opts = {}) => runCli(['service', ...args], { ...sb.env, PATH: `${bin}:${process.env.PATH}`, ...(opts.session ? { XDG_RUNTIME_DIR: runtime } : {}), ...opts.env }),
    calls: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
  };
}

/** systemd's own check of the units as written; skipped (with the reason) where it cannot run. */
async function systemdVerify(w: World): Promise<void> {
  if (!existsSync('/usr/bin/systemd-analyze')) {
    console.log('skipped systemd-analyze verify: /usr/bin/systemd-analyze is not installed');
    return;
  }
  const runtime = join(w.sb.dir, 'verify-run');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  // --user needs a runtime folder of its own (none in a container); --man=no: no man pages here.
  const r = await exec('/usr/bin/systemd-analyze', ['--user', '--man=no', 'verify', ...UNITS.map((u) => join(w.unitDir, u))], {
    env: { PATH: process.env.PATH, HOME: w.sb.env.HOME, XDG_CONFIG_HOME: w.sb.env.XDG_CONFIG_HOME, XDG_RUNTIME_DIR: runtime },
  }).catch((e: { code: number; stderr: string }) => ({ stderr: e.stderr, stdout: '', failed: e.code }));
  expect('failed' in r ? r.stderr : '', 'systemd-analyze verify').toBe('');
}

describe('airgap service (Linux, systemd user units)', () => {
  it('install writes three units that systemd accepts, enables them; again: already installed; status; remove', async () => {
    const w = await world();
    const first = await w.run(['install'], { session: true });
    expectNoCrash('service install', first);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Installed the airgap service in .*systemd\/user:/);
    expect(first.stdout).toMatch(/Enabled and started/);
    expect((await readdir(w.unitDir)).sort()).toEqual(UNITS);
    await systemdVerify(w);
    const watch = await readFile(join(w.unitDir, 'airgap-watch.service'), 'utf8');
    expect(watch).toMatch(/^# airgap-generated sha256=[0-9a-f]{64}/);
    expect(watch).toContain(`ExecStart="${process.execPath}" "${join(import.meta.dirname, '../../bin/airgap.js')}" "watch" "--config" "${join(w.sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json')}"`);
    expect(watch).toMatch(/^Restart=on-failure$/m);
    expect(await readFile(join(w.unitDir, 'airgap-remind.timer'), 'utf8')).toMatch(/^Persistent=true$/m);
    expect(await w.calls()).toEqual(['--version', '--user is-system-running', '--user daemon-reload', '--user enable --now airgap-remind.timer airgap-watch.service']);

    const again = await w.run(['install'], { session: true });
    expect([again.code, again.stdout]).toEqual([0, `The airgap service is already installed (${w.unitDir}): nothing changed.\n`]);
    expect((await w.calls()).filter((c) => /enable|reload/.test(c))).toHaveLength(2);

    const status = await w.run(['status'], { session: true });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^The airgap service is installed/);
    expect(status.stdout).toMatch(/airgap-watch.service: installed, as airgap wrote it/);
    expect(status.stdout).toMatch(/airgap-remind.timer: enabled, active/);

    const removed = await w.run(['remove'], { session: true });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/Stopped and disabled/);
    expect(await readdir(w.unitDir)).toEqual([]);
    expect((await w.calls()).slice(-2)).toEqual(['--user disable --now airgap-remind.timer airgap-watch.service', '--user daemon-reload']);
    const gone = await w.run(['status', '--json']);
    expect(JSON.parse(gone.stdout)).toMatchObject({ installed: false, files: UNITS.map((name) => ({ name, state: 'absent' })) });
  });

  it('a unit edited by hand: install and remove refuse (exit 4, error + hint) without --force, and do it with --force', async () => {
    const w = await world();
    expect((await w.run(['install'])).code).toBe(0);
    const timer = join(w.unitDir, 'airgap-remind.timer');
    await writeFile(timer, (await readFile(timer, 'utf8')).replace('09:00:00', '07:15:00'));
    const status = await w.run(['status']);
    expect(status.stdout).toMatch(/airgap-remind.timer: EDITED by hand/);
    const install = await w.run(['install']);
    expectNoCrash('install over an edit', install);
    expect(install.code).toBe(4);
    expect(install.stderr).toMatch(/^error: .*airgap-remind.timer was edited by hand since airgap wrote it: not overwritten\nhint: .*--force/m);
    expect(await readFile(timer, 'utf8')).toContain('07:15:00');
    const remove = await w.run(['remove']);
    expect(remove.code).toBe(4);
    expect(remove.stderr).toMatch(/^error: .*edited by hand.*not removed\nhint: /m);
    expect((await readdir(w.unitDir)).sort()).toEqual(UNITS);

    const forced = await w.run(['install', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/airgap-remind.timer: rewritten \(was edited\)/);
    expect(forced.stdout).toMatch(/airgap-watch.service: unchanged/);
    expect(await readFile(timer, 'utf8')).toContain('09:00:00');
    await writeFile(timer, (await readFile(timer, 'utf8')) + '# mine\n');
    const forcedRemove = await w.run(['remove', '--force']);
    expect(forcedRemove.code, forcedRemove.stderr).toBe(0);
    expect(await readdir(w.unitDir)).toEqual([]);
  });

  it('no user systemd (no XDG_RUNTIME_DIR): the files are written, not started, and the command to start them is given', async () => {
    const w = await world();
    const r = await w.run(['install', '--at', '18:30']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/The files are written but NOT started: no user systemd here/);
    expect(r.stdout).toContain('Start them later, in your login session, with: systemctl --user daemon-reload && systemctl --user enable --now airgap-remind.timer airgap-watch.service');
    expect(await w.calls()).toEqual(['--version']);
    expect(await readFile(join(w.unitDir, 'airgap-remind.timer'), 'utf8')).toMatch(/^OnCalendar=\*-\*-\* 18:30:00$/m);
    await systemdVerify(w);
    // Another time is another unit: rewritten as an update, not refused.
    const update = await w.run(['install', '--json']);
    expect(JSON.parse(update.stdout)).toMatchObject({ outcome: 'updated', files: expect.arrayContaining([{ name: 'airgap-remind.timer', path: expect.any(String), state: 'outdated', written: true }]) });
  });

  it('a file of the same name that airgap did not write is never overwritten or removed', async () => {
    const w = await world();
    await mkdir(w.unitDir, { recursive: true });
    const mine = '[Unit]\nDescription=my own\n';
    await writeFile(join(w.unitDir, 'airgap-watch.service'), mine);
    const install = await w.run(['install', '--force']);
    expect(install.code).toBe(4);
    expect(install.stderr).toMatch(/^error: .*airgap-watch.service exists and was not written by airgap.*\nhint: move it away/m);
    const remove = await w.run(['remove', '--force']);
    expect(remove.code).toBe(0);
    expect(remove.stdout).toMatch(/left alone .*airgap-watch.service \(not written by airgap\)/);
    expect(await readFile(join(w.unitDir, 'airgap-watch.service'), 'utf8')).toBe(mine);
    // A symlink there (a dotfiles manager's) is not airgap's either, even to a file airgap wrote: never followed nor replaced.
    await rm(join(w.unitDir, 'airgap-watch.service'));
    expect((await w.run(['install'])).code).toBe(0);
    const kept = join(w.sb.dir, 'dotfiles-timer');
    await rename(join(w.unitDir, 'airgap-remind.timer'), kept);
    await symlink(kept, join(w.unitDir, 'airgap-remind.timer'));
    expect((await w.run(['status'])).stdout).toMatch(/airgap-remind.timer: NOT written by airgap/);
    expect((await w.run(['install', '--force'])).code).toBe(4);
    expect((await lstat(join(w.unitDir, 'airgap-remind.timer'))).isSymbolicLink()).toBe(true);
  });

  it('no systemctl at all: a clear refusal naming cron; no config: the init hint', async () => {
    const w = await world();
    const empty = join(w.sb.dir, 'empty');
    await mkdir(empty);
    const r = await runCli(['service', 'install'], { ...w.sb.env, PATH: empty });
    expectNoCrash('install without systemd', r);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: systemctl was not found: .*\nhint: run them from cron instead, e\.g\.: 0 9 \* \* \* /m);
    expect(existsSync(w.unitDir)).toBe(false);
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const none = await runCli(['service', 'install'], { ...sb.env, HOME: sb.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no config at .*\nhint: create one: airgap init/m);
  });
});

describe('airgap service print', () => {
  it('--platform darwin: two launchd agents, well-formed plists with the paths escaped', async () => {
    const w = await world();
    // A config path with XML's special characters, spaces and quotes.
    const config = join(w.sb.dir, `it's <mine> & "yours"`, 'config.json');
    await mkdir(join(w.sb.dir, `it's <mine> & "yours"`));
    await writeFile(config, await readFile(join(w.sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json')));
    const r = await runCli(['service', 'print', '--platform', 'darwin', '--at', '7:05', '--json', '--config', config], { ...w.sb.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { name: string; path: string; text: string }[] };
    expect(out.files.map((f) => f.path)).toEqual(['com.airgap.remind.plist', 'com.airgap.watch.plist'].map((n) => join(w.sb.env.HOME!, 'Library', 'LaunchAgents', n)));
    for (const f of out.files) expect(f.text).toContain('&lt;mine&gt; &amp; &quot;yours&quot;');
    const parsed = await plists(out.files.map((f) => f.text));
    if (!parsed) return;
    expect(parsed[0]).toEqual({ Label: 'com.airgap.remind', ProgramArguments: [process.execPath, join(import.meta.dirname, '../../bin/airgap.js'), 'remind', '--config', config], StartCalendarInterval: { Hour: 7, Minute: 5 } });
    expect(parsed[1]).toEqual({ Label: 'com.airgap.watch', ProgramArguments: [process.execPath, join(import.meta.dirname, '../../bin/airgap.js'), 'watch', '--config', config], RunAtLoad: true, KeepAlive: { SuccessfulExit: false } });
  });

  it('--platform win32: the schtasks commands; on Linux, install refuses --platform', async () => {
    const w = await world();
    const r = await w.run(['print', '--platform', 'win32']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^schtasks \/Create \/F \/TN "airgap remind" \/SC DAILY \/ST 09:00 \/TR "\\".*\\" \\".*airgap\.js\\" remind --config \\".*config\.json\\""$/);
    expect(lines[1]).toMatch(/^schtasks \/Create \/F \/TN "airgap watch" \/SC ONLOGON \/TR ".* watch --config .*"$/);
    const bad = await w.run(['install', '--platform', 'darwin']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --platform is for airgap service print only/m);
  });
});

/** The plists as Python's plistlib (Apple's format, strictly parsed) reads them; undefined (skipped, said) without python3. */
async function plists(texts: string[]): Promise<unknown[] | undefined> {
  const script = 'import plistlib, sys, json\nprint(json.dumps([plistlib.loads(t.encode()) for t in json.load(sys.stdin)]))';
  try {
    const child = execFile('python3', ['-c', script]);
    const out = new Promise<string>((resolve, reject) => {
      let s = '';
      child.stdout!.on('data', (d) => (s += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`plistlib exit ${code}`))));
    });
    child.stdin!.end(JSON.stringify(texts));
    return JSON.parse(await out) as unknown[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      console.log('skipped the plist parse: python3 is not installed');
      return undefined;
    }
    throw e;
  }
}
