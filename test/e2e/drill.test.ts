// `airgap drill` as a user runs it (issue 19, the "0 errors" of 3-2-1-1-0): the built CLI against
// simulated drives. A good drill exits 0 and is in the log and the catalog; a flipped byte in a
// stored file is named and exits 3 (format 2, read at its offset; format 1, read whole); a drive
// with no complete snapshot is an error with a hint; `remind` says a drill is overdue with bit 4;
// an encrypted drive is drilled with the restore's key options; and whatever happens, the
// temporary folder (under TMPDIR, pointed into the sandbox) is gone afterwards, Ctrl+C included.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/age-keys.js';
import { BIN, expectNoCrash, labelledDrive, makeSandbox, runCli, type CliResult, type Sandbox } from '../helpers/cli.js';
import { flipByte, offsetOfMember } from '../helpers/damage.js';
import { allThreadsStopped, procState } from '../helpers/proc.js';
import { until } from '../helpers/terminal.js';

const DAY0 = Date.parse('2026-11-21T10:00:00Z');
const day = (n: number) => new Date(DAY0 + n * 86_400_000).toISOString();
const show = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

interface World {
  sb: Sandbox;
  src: string;
  tmp: string;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** The folders left under TMPDIR (a drill's workspace must never be among them afterwards). */
  leftInTmp(): Promise<string[]>;
  catalogEntry(): Promise<Record<string, unknown> & { lastDrill?: Record<string, unknown>; lastRestoreDrillAt?: string }>;
}

const sandboxes: Sandbox[] = [];
afterEach(async () => { for (const sb of sandboxes.splice(0)) await sb.cleanup(); });

/** Drives A and B in the config, A labelled and written on day 0 (three files: a drill takes them all). */
async function world(opts: { format?: 1 | 2; alerts?: Record<string, number>; init?: string[] } = {}): Promise<World> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const tmp = join(sb.dir, 'tmp');
  await mkdir(tmp);
  sb.env.TMPDIR = tmp;
  sb.env.AIRGAP_NOW = day(0);
  const src = join(sb.dir, 'Documents');
  await mkdir(join(src, 'letters'), { recursive: true });
  await writeFile(join(src, 'letters', 'to the bank.txt'), 'dear bank\n'.repeat(2000));
  await writeFile(join(src, 'photo.raw'), Buffer.alloc(300_000, 7));
  await writeFile(join(src, 'empty.txt'), '');
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const r = await runCli(args, { ...sb.env, ...env });
    expectNoCrash(`airgap ${args.join(' ')}`, r);
    return r;
  };
  expect((await run(['init', '--source', src, '--drives', 'A,B', '--yes', ...(opts.init ?? [])])).code).toBe(0);
  const configFile = join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { policy: Record<string, unknown>; format?: number };
  if (opts.alerts) config.policy.alerts = opts.alerts;
  if (opts.format) config.format = opts.format;
  await writeFile(configFile, JSON.stringify(config, null, 2));
  await labelledDrive(sb, 'A');
  return {
    sb, src, tmp, run,
    leftInTmp: () => readdir(tmp),
    catalogEntry: async () => (JSON.parse(await readFile(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')) as { drives: never[] }).drives[0]!,
  };
}

async function backup(w: World, env: Record<string, string> = {}): Promise<string> {
  const r = await w.run(['backup', '--drive', 'A', '--allow-connected', '--json'], env);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout).snapshot as string;
}

/** Flips a byte in the middle of `member`'s content in the snapshot's tarball. */
async function damageMember(w: World, id: string, member: string): Promise<void> {
  const tar = join(w.sb.drive('A'), 'airgap', id, `${id}.tar`);
  const at = await offsetOfMember(tar, member);
  expect(at, `${member} in ${tar}`).toBeGreaterThan(0);
  await flipByte(tar, at + 1000);
}

describe('airgap drill', () => {
  it('no drive named: drills the connected drive, exits 0, and the log and the catalog record it; the temporary folder is gone', async () => {
    const w = await world();
    const id = await backup(w);
    const r = await w.run(['drill'], { AIRGAP_NOW: day(3) });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^note: drilling drive A: the only connected drive of this config \(last good drill: never\)$/m);
    expect(r.stdout).toContain(`Restore drill of drive A: snapshot ${id} (drawn from 1 snapshot a restore could take), seed `);
    expect(r.stdout).toMatch(/^ {2}sample: 3 files, 320 kB of 3 files, 320 kB; 3 restored and checked against their SHA-256$/m);
    expect(r.stdout).toMatch(/^OK: every file of the sample came back as it was backed up\. \(airgap drill --seed \d+ repeats this drill\)$/m);
    expect(await w.leftInTmp()).toEqual([]);

    const log = JSON.parse((await w.run(['log', '--json'])).stdout) as Record<string, unknown>[];
    expect(log[0]).toMatchObject({ at: day(3), command: 'drill', drive: 'A', snapshot: id, outcome: 'ok', exitCode: 0, figures: { files: 3, bytes: 320_000 } });
    expect((await w.run(['log'])).stdout).toMatch(/drill {4}A {6}ok {10}0 {2}3 files, 320 kB/);
    const entry = await w.catalogEntry();
    expect(entry.lastRestoreDrillAt).toBe(day(3));
    expect(entry.lastDrill).toMatchObject({ at: day(3), snapshot: id, files: 3, bytes: 320_000, ok: true, failures: [], failureCount: 0 });
    const status = await w.run(['status', '--json'], { AIRGAP_NOW: day(3) });
    expect((JSON.parse(status.stdout) as { drives: unknown[] }).drives[0]).toMatchObject({ name: 'A', lastDrill: day(3), lastDrillOk: true });
    expect((await w.run(['status'], { AIRGAP_NOW: day(3) })).stdout).toMatch(/^A .*\n.*\n {2}restore drill 2026-11-24 \(0 d ago\)$/m);
  });

  it('no drive named, several connected: a drive with snapshots before an empty one, then the most overdue (never drilled first)', async () => {
    const w = await world();
    await labelledDrive(w.sb, 'B');
    await backup(w);
    const drilled = async (n: number) => JSON.parse((await w.run(['drill', '--json'], { AIRGAP_NOW: day(n) })).stdout) as { ok: boolean; drive: string; why: string };
    expect(await drilled(1)).toMatchObject({ ok: true, drive: 'A', why: 'the only connected drive of this config that holds snapshots (last good drill: never)' });
    const b = await w.run(['backup', '--drive', 'B', '--allow-connected'], { AIRGAP_NOW: day(2) });
    expect(b.code, show(b)).toBe(0);
    expect(await drilled(3)).toMatchObject({ ok: true, drive: 'B', why: 'the connected drive whose last good drill is the oldest (B: never, A: 2026-11-22)' });
    expect(await drilled(4)).toMatchObject({ ok: true, drive: 'A', why: 'the connected drive whose last good drill is the oldest (A: 2026-11-22, B: 2026-11-24)' });
  });

  it('--seed repeats a drill: the same snapshot and the same files; --json has the seed and the sample', async () => {
    const w = await world();
    await backup(w, { AIRGAP_NOW: day(0) });
    await writeFile(join(w.src, 'photo.raw'), Buffer.alloc(300_000, 8));
    await backup(w, { AIRGAP_NOW: day(1) });
    const runs = await Promise.all([1, 2].map(() => w.run(['drill', 'A', '--seed', '4242', '--files', '1', '--json'])));
    const [a, b] = runs.map((r) => JSON.parse(r.stdout) as { ok: boolean; seed: number; snapshot: string; snapshotsEligible: number; sample: unknown });
    expect(a).toMatchObject({ ok: true, seed: 4242, snapshotsEligible: 2, sample: { files: 1, paths: [expect.stringMatching(/^Documents\//)] } });
    expect(b!.snapshot).toBe(a!.snapshot);
    expect(b!.sample).toEqual(a!.sample);
  });

  it('format 2: a flipped byte in a stored file is named, exit 3, recorded as a failed drill in the log, the catalog and status', async () => {
    const w = await world();
    const id = await backup(w);
    await damageMember(w, id, 'Documents/photo.raw');
    const r = await w.run(['drill', 'A'], { AIRGAP_NOW: day(2) });
    expect(r.code, show(r)).toBe(3);
    expect(r.stdout).toMatch(/^ {2}FAILED "Documents\/photo\.raw": /m);
    expect(r.stdout.match(/^ {2}FAILED /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/^DRILL FAILED: 1 file of 3 did not come back as backed up\. Check the drive: airgap verify A --deep/m);
    expect(await w.leftInTmp()).toEqual([]);
    const log = JSON.parse((await w.run(['log', '--json'])).stdout) as { command: string; outcome: string; exitCode: number; error?: { code: string; message: string } }[];
    expect(log[0]).toMatchObject({ command: 'drill', outcome: 'damaged', exitCode: 3, error: { code: 'drill-failed' } });
    expect(log[0]!.error!.message).toContain('"Documents/photo.raw"');
    const entry = await w.catalogEntry();
    expect(entry.lastDrill).toMatchObject({ ok: false, snapshot: id, failureCount: 1, failures: [{ path: 'Documents/photo.raw' }] });
    expect(entry.lastRestoreDrillAt).toBeUndefined(); // a failed drill is no good drill
    const status = await w.run(['status'], { AIRGAP_NOW: day(2) });
    expect(status.stdout).toMatch(/^ {2}restore drill 2026-11-23 \(0 d ago\) FAILED$/m);
    expect(status.stdout).toContain(`ALERT: A failed its last restore drill (2026-11-23, snapshot ${id}: "Documents/photo.raw"): run airgap verify A --deep and replace what is damaged`);
  });

  it('format 1 (the tarball read whole): the damaged file named, and the snapshot said to fail its verification', async () => {
    const w = await world({ format: 1 });
    const id = await backup(w);
    await damageMember(w, id, 'Documents/letters/to the bank.txt');
    const r = await w.run(['drill', 'A', '--json']);
    expect(r.code, show(r)).toBe(3);
    const j = JSON.parse(r.stdout) as { ok: boolean; checked: number; failures: { path: string }[]; problem?: string };
    expect(j.ok).toBe(false);
    expect(j.checked).toBe(2);
    expect(j.failures.map((f) => f.path)).toEqual(['Documents/letters/to the bank.txt']);
    expect(j.problem).toMatch(/failed verification while it was read/);
    expect(await w.leftInTmp()).toEqual([]);
  });

  it('a drive with no complete snapshot: error and hint, exit 2, nothing recorded as a drill', async () => {
    const w = await world();
    const r = await w.run(['drill', 'A']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: drive A holds no complete snapshot a drill can restore$/m);
    expect(r.stderr).toMatch(/^hint: back up to A first, or drill another drive: airgap drill <drive>$/m);
    const j = await w.run(['drill', 'A', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'no-snapshot-to-drill', exitCode: 2 } });
    expect((await w.catalogEntry()).lastDrill).toBeUndefined();
    expect(await w.leftInTmp()).toEqual([]);
  });

  it('no drive of the config connected: refused with a hint (exit 4); bad flags are usage errors', async () => {
    const w = await world();
    await rename(w.sb.drive('A'), join(w.sb.dir, 'away-A'));
    const r = await w.run(['drill']);
    expect(r.code, show(r)).toBe(4);
    expect(r.stderr).toMatch(/^error: no drive of this config is connected: nothing to drill$/m);
    expect(r.stderr).toMatch(/^hint: plug in a drive of the rotation/m);
    for (const flags of [['--seed', '-1'], ['--seed', '4294967296'], ['--files', '0'], ['--percent', '101']]) {
      const bad = await w.run(['drill', ...flags]);
      expect(bad.code, `${flags.join(' ')}: ${show(bad)}`).toBe(2);
      expect(bad.stderr).toMatch(/^hint: /m);
    }
  });

  it('remind: a drill overdue after drillDays is bit 4 (exit 36) and says so; a drill quiets it; drillDays is validated', async () => {
    const w = await world({ alerts: { rotationDays: 1000, verifyDays: 1000, drillDays: 30 } });
    await backup(w);
    const away = join(w.sb.dir, 'away-A');
    await rename(w.sb.drive('A'), away);
    const remind = (n: number) => w.run(['remind', '--no-notify'], { AIRGAP_NOW: day(n) });
    expect((await remind(30)).code).toBe(0);
    const late = await remind(31);
    expect(late.code, show(late)).toBe(36);
    expect(late.stdout).toBe('A has had no restore drill in the 31 days since it was labelled (alert after 30 days): run airgap drill A\n');
    const json = JSON.parse((await w.run(['remind', '--no-notify', '--json'], { AIRGAP_NOW: day(31) })).stdout) as { reminders: { kind: string }[] };
    expect(json.reminders.map((x) => x.kind)).toEqual(['drill-overdue']);
    await rename(away, w.sb.drive('A'));
    expect((await w.run(['drill', 'A'], { AIRGAP_NOW: day(31) })).code).toBe(0);
    await rename(w.sb.drive('A'), away);
    expect((await remind(31)).code).toBe(0);
    const again = await remind(62);
    expect(again.code).toBe(36);
    expect(again.stdout).toBe('A had its last good restore drill 31 days ago (alert after 30 days): run airgap drill A\n');

    const configFile = join(w.sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as { policy: { alerts: Record<string, unknown> } };
    config.policy.alerts.drillDays = 0;
    await writeFile(configFile, JSON.stringify(config));
    const bad = await remind(62);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: config .*: policy\.alerts\.drillDays: /m);
  });

  it('an encrypted drive: drilled with --identity as restore takes it; without a key, the key error (exit 2), never "damaged"', async () => {
    const key = await generateKeyPair();
    const w = await world({ init: ['--encrypt', 'A', '--recipient', key.recipient] });
    const keyFile = join(w.sb.dir, 'key.txt');
    await writeFile(keyFile, key.identity + '\n', { mode: 0o600 });
    const id = await backup(w);
    const r = await w.run(['drill', 'A', '--identity', keyFile, '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, snapshot: id, encrypted: true, checked: 3, failures: [] });
    const none = await w.run(['drill', 'A']);
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toMatch(/^error: .*encrypted, and no key or passphrase was given/m);
    expect(await w.leftInTmp()).toEqual([]);
  });

  it('Ctrl+C mid-restore: exit 130, the temporary folder removed', async () => {
    const w = await world();
    await backup(w);
    const child = spawn(process.execPath, [BIN, 'drill', 'A'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...w.sb.env, AIRGAP_FAILPOINT: 'drill:file@2', AIRGAP_FAILPOINT_ACTION: 'stop' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Frozen by its failpoint in the middle of the restore, the workspace there: then Ctrl+C.
    await until(() => (procState(child.pid!) === 'T' && allThreadsStopped(child.pid!) ? true : undefined), 'the drill to stop at its failpoint');
    expect((await w.leftInTmp()).filter((n) => n.startsWith('airgap-drill-'))).toHaveLength(1);
    process.kill(child.pid!, 'SIGINT');
    process.kill(child.pid!, 'SIGCONT');
    expect(await exited, out).toBe(130);
    expect(out).toMatch(/^error: .*cancelled/m);
    expect(await w.leftInTmp()).toEqual([]);
  });
});
