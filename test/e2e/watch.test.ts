// `airgap watch` as a user runs it: no USB bus here (as on CI), so it polls; a drive folder
// created while it waits is reported; --timeout ends it cleanly.
// No fixed waits: a drive is plugged in only once watch has shown its first look at the drives
// (the "present" events), and Ctrl+C is sent only once it says it is watching; on a slow
// machine a fixed wait could plug the drive in before that first look (then it is "present",
// never "arrived") or signal a process that has not started yet.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(() => sb.cleanup());

function watch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { env: { PATH: process.env.PATH, ...env, AIRGAP_WATCH_INTERVAL_MS: '100' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  let ended = false;
  void done.then(() => (ended = true));
  /** Polls stdout/stderr until `re` matches (cap: far above what a loaded machine needs). */
  const waitFor = async (stream: 'out' | 'err', re: RegExp) => {
    const until = Date.now() + 120_000;
    while (!re.test(stream === 'out' ? stdout : stderr)) {
      if (ended || Date.now() > until) throw new Error(`watch ${ended ? 'ended' : 'timed out'} before ${re} appeared:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, done, out: () => stdout, err: () => stderr, waitFor };
}

describe('airgap watch', () => {
  it('--once returns at the first arrival (a labelled drive), as JSON events', async () => {
    await mkdir(sb.drive('OLD')); // shown as "present" at the first look, so we know when that was
    const w = watch(['--once', '--timeout', '300', '--json'], sb.env);
    await w.waitFor('out', /"type":"present"/);
    await labelledDrive(sb, 'A');
    expect(await w.done).toBe(0);
    const events = w.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: 'arrived', drive: { kind: expect.stringMatching(/labelled|unlabelled/) } });
    expect(events.filter((e) => e.type === 'timeout')).toEqual([]);
  });

  it('reports an already connected drive as present, and an unlabelled one with a hint', async () => {
    await labelledDrive(sb, 'A');
    const w = watch(['--once', '--timeout', '300'], sb.env);
    await w.waitFor('out', /connected +airgap drive A at /);
    await mkdir(sb.drive('NEW'));
    expect(await w.done).toBe(0);
    expect(w.out()).toMatch(/connected +airgap drive A at /);
    expect(w.out()).toMatch(/arrived +disk sim:NEW .*\n +not an airgap drive yet: airgap label .*NEW --name <NAME>/);
  });

  it('--once --timeout ends cleanly when nothing arrives, mentioning the missing USB bus once at most', async () => {
    const w = watch(['--once', '--timeout', '1', '--json'], sb.env);
    expect(await w.done).toBe(0);
    expect(JSON.parse(w.out().trim().split('\n').at(-1)!)).toMatchObject({ type: 'timeout', seconds: 1 });
    expect(w.err().match(/USB/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(w.err()).not.toMatch(/\n\s+at /);
  });

  it('Ctrl+C stops it with exit 130', async () => {
    const w = watch([], sb.env);
    await w.waitFor('err', /Watching for drives/);
    w.child.kill('SIGINT');
    expect(await w.done).toBe(130);
  });

  it('rejects a bad --timeout with exit 2', async () => {
    const w = watch(['--timeout', 'soon'], sb.env);
    expect(await w.done).toBe(2);
    expect(w.err()).toMatch(/error: --timeout/);
  });
});
