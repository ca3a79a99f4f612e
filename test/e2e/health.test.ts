// `airgap health` as a user runs it, with a fake `smartctl` first on PATH (there is no USB disk
// on a test machine): it prints the fixture chosen for each -d type (fixtures/smartctl), exits
// with that fixture's own exit code, and records every call's arguments, so that the order of
// the -d fallback is asserted. A simulated drive has no disk under it: the disk is named with
// --device (the documented option for a disk airgap cannot find itself; lsblk does not list
// /dev/sdz here, so the CLI warns it cannot check it, and reads it).
import { chmod, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoCrash, labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/smartctl');
const DAY0 = Date.parse('2026-11-21T10:00:00Z');
const day = (n: number) => new Date(DAY0 + n * 86_400_000).toISOString();
const ALL_TYPES = ['auto', 'sat', 'usbjmicron', 'usbprolific', 'usbcypress', 'usbsunplus', 'sntjmicron', 'sntasmedia', 'sntrealtek'];

// Answers per -d type from $FAKE_SMART/<type>.json (else default.json); the exit code is the fixture's smartctl.exit_status.
const FAKE = `#!/bin/sh
printf '%s ' "$@" >> "$FAKE_SMART/calls"; echo >> "$FAKE_SMART/calls"
t=auto; prev=
for a in "$@"; do [ "$prev" = "-d" ] && t=$a; prev=$a; done
f="$FAKE_SMART/$t.json"; [ -f "$f" ] || f="$FAKE_SMART/default.json"
cat "$f"
exit $(sed -n 's/^ *"exit_status": *\\([0-9]*\\).*/\\1/p' "$f" | head -n 1)
`;

interface World {
  sb: Sandbox;
  /** Makes smartctl answer `fixture` to -d `type` ('default' for every type not set). */
  answer(type: string, fixture: string): Promise<void>;
  health(n: number, args?: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  run(n: number, args: string[]): ReturnType<typeof runCli>;
  /** Drive A leaves the drives root: unplugged and put away (a connected drive is an alert of its own). */
  unplug(): Promise<void>;
  /** The -d type of each smartctl call so far, in order ('auto' when none), and clears the record. */
  calls(): Promise<string[]>;
}

const sandboxes: Sandbox[] = [];
afterEach(async () => { for (const sb of sandboxes.splice(0)) await sb.cleanup(); });

/** Drives A, B, C weekly; A labelled and written on day 0 (nothing due or overdue that day), B labelled. */
async function world(): Promise<World> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'Documents');
  await mkdir(src);
  await writeFile(join(src, 'letter.txt'), 'dear drawer\n');
  sb.env.AIRGAP_NOW = day(0);
  expect((await sb.run('init', '--source', src, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes')).code).toBe(0);
  await labelledDrive(sb, 'A');
  expect((await sb.run('backup', '--drive', 'A')).code).toBe(0);
  const bin = join(sb.dir, 'bin');
  const fake = join(sb.dir, 'smart');
  await mkdir(bin);
  await mkdir(fake);
  await writeFile(join(bin, 'smartctl'), FAKE);
  await chmod(join(bin, 'smartctl'), 0o755);
  await copyFile(join(FIXTURES, 'usb-bridge-sat-refused.json'), join(fake, 'default.json'));
  const env = (n: number) => ({ ...sb.env, AIRGAP_NOW: day(n), PATH: `${bin}:${process.env.PATH}`, FAKE_SMART: fake });
  return {
    sb,
    answer: (type, fixture) => copyFile(join(FIXTURES, fixture), join(fake, `${type}.json`)),
    health: (n, args = ['A', '--device', '/dev/sdz'], extra = {}) => runCli(['health', ...args], { ...env(n), ...extra }),
    run: (n, args) => runCli(args, env(n)),
    unplug: () => rename(sb.drive('A'), join(sb.dir, 'away-A')),
    calls: async () => {
      const text = await readFile(join(fake, 'calls'), 'utf8').catch(() => '');
      await writeFile(join(fake, 'calls'), '');
      return text.split('\n').filter(Boolean).map((l) => { const a = l.trim().split(' '); const i = a.indexOf('-d'); expect(a.slice(0, 2)).toEqual(['-j', '-a']); expect(a.at(-1)).toBe('/dev/sdz'); return i < 0 ? 'auto' : a[i + 1]!; });
    },
  };
}

const alerts = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('ALERT: '));

describe('airgap health', () => {
  it('a healthy disk behind a SAT bridge: smartctl\'s own guess first, then -d sat; exit 0; recorded; status and remind quiet', async () => {
    const w = await world();
    await w.answer('auto', 'usb-unknown-bridge.json');
    await w.answer('sat', 'ata-healthy.json');
    const r = await w.health(0);
    expectNoCrash('health', r);
    expect(r.code, r.stderr).toBe(0);
    expect(await w.calls()).toEqual(['auto', 'sat']);
    expect(r.stdout).toContain('Drive A: /dev/sdz (smartctl -d sat), WDC WD40NDZW-11BHJS0, serial WD-WX12A3456789\n  SMART overall health: PASSED\n  reallocated sectors (ATA 5): 0\n');
    expect(r.stdout).toContain('Health: OK\n');
    expect(r.stderr).toMatch(/cannot check that \/dev\/sdz holds drive A/);
    const catalog = JSON.parse(await readFile(join(w.sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')) as { drives: { name: string; health?: { at: string; type: string; passed: boolean }[] }[] };
    expect(catalog.drives.find((d) => d.name === 'A')!.health).toMatchObject([{ at: day(0), type: 'sat', passed: true }]);
    await w.unplug();
    expect(alerts((await w.run(0, ['status'])).stdout)).toEqual([]);
    expect((await w.run(0, ['remind', '--no-notify'])).code).toBe(0);
  });

  it('counters that grow between two readings: exit 3, each named; status alerts it, remind exits 40 (bit 8)', async () => {
    const w = await world();
    await w.answer('default', 'ata-sectors-before.json');
    expect((await w.health(0)).code).toBe(0);
    expect(await w.calls()).toEqual(['auto']);
    await w.answer('default', 'ata-sectors-grown.json');
    const r = await w.health(3);
    expectNoCrash('health', r);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('  reallocated sectors (ATA 5): 8 (was 0 on 2026-11-21)\n');
    expect(r.stdout).toContain('Health: MAY BE FAILING\n  reallocated sectors (ATA 5) grew from 0 to 8 since 2026-11-21\n');
    expect(r.stdout).toContain('  copy its role to a new drive before it fails: airgap replace A <new-drive>\n');
    expect(r.stdout).toContain('  smartctl exit 64: bit 6, the device error log has records of errors\n');
    // --json: the reading, the one it is judged against (the first: read again, a grown counter stays grown) and the judgement.
    const json = await w.health(3, ['A', '--device', '/dev/sdz', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ drive: { name: 'A' }, device: '/dev/sdz', reading: { type: 'auto', counters: { reallocated: 8 } }, previous: { at: day(0) }, judgement: { verdict: 'warning' }, recorded: true });
    await w.unplug();
    const line = "drive A's health (2026-11-24): it may be failing: reallocated sectors (ATA 5) grew from 0 to 8 since 2026-11-21; reported uncorrectable errors (ATA 187) grew from 0 to 3 since 2026-11-21; pending sectors (ATA 197) grew from 0 to 16 since 2026-11-21; offline uncorrectable sectors (ATA 198) grew from 0 to 16 since 2026-11-21; copy its role to a new drive before it fails: airgap replace A <new-drive>";
    expect(alerts((await w.run(3, ['status'])).stdout)).toEqual([`ALERT: ${line}`]);
    const remind = await w.run(3, ['remind', '--no-notify', '--json']);
    expect(remind.code).toBe(40);
    expect(JSON.parse(remind.stdout).reminders).toEqual([{ kind: 'drive-health', message: line }]);
    // Each reading is in the run history (airgap log), newest first, with why it is not ok.
    const log = JSON.parse((await w.run(3, ['log', '--json'])).stdout) as { command: string; drive?: string; outcome: string; exitCode: number; error?: { code: string; message: string } }[];
    const healthRuns = log.filter((x) => x.command === 'health');
    expect(healthRuns.map((x) => [x.outcome, x.exitCode])).toEqual([['damaged', 3], ['damaged', 3], ['ok', 0]]);
    expect(healthRuns[0]).toMatchObject({ drive: 'A', error: { code: 'drive-may-be-failing', message: expect.stringContaining('reallocated sectors (ATA 5) grew from 0 to 8') } });
  });

  it('SMART failing (NVMe critical warning behind a JMicron bridge): every type tried in order up to sntjmicron; exit 3, FAILING', async () => {
    const w = await world();
    await w.answer('sntjmicron', 'nvme-critical.json');
    const r = await w.health(0);
    expect(r.code).toBe(3);
    expect(await w.calls()).toEqual(ALL_TYPES.slice(0, 7));
    expect(r.stdout).toContain('Health: FAILING\n  SMART overall-health self-assessment: FAILED\n');
    expect(r.stdout).toContain('NVMe critical warning 0x4: reliability degraded by media or internal errors');
    await w.unplug();
    expect((await w.run(0, ['remind', '--no-notify'])).code).toBe(40);
  });

  it('a bridge that hides SMART: every type tried, in order; exit 4 with error and hint; nothing recorded', async () => {
    const w = await world();
    await w.answer('default', 'usb-unknown-bridge.json');
    const r = await w.health(0);
    expectNoCrash('health', r);
    expect(r.code).toBe(4);
    expect(await w.calls()).toEqual(ALL_TYPES);
    expect(r.stderr).toMatch(/^error: the USB bridge of drive A's enclosure hides SMART from smartctl: \/dev\/sdz \(drive A\): tried smartctl -d auto, sat, usbjmicron, .*Unknown USB bridge/m);
    expect(r.stderr).toMatch(/^hint: try another enclosure or dock .*airgap health A --device-type <type>/m);
    const log = JSON.parse((await w.run(0, ['log', '--json'])).stdout) as { command: string; outcome: string; error?: { code: string } }[];
    expect(log.filter((x) => x.command === 'health')).toMatchObject([{ outcome: 'refused', error: { code: 'smart-hidden' } }]);
    await w.unplug();
    expect((await w.run(0, ['remind', '--no-notify'])).code).toBe(0);
  });

  it('--device-type: that one type only', async () => {
    const w = await world();
    await w.answer('usbprolific', 'ata-healthy.json');
    const r = await w.health(0, ['A', '--device', '/dev/sdz', '--device-type', 'usbprolific']);
    expect(r.code, r.stderr).toBe(0);
    expect(await w.calls()).toEqual(['usbprolific']);
    const bad = await w.health(0, ['A', '--device', '/dev/sdz', '--device-type', '-x']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^error: --device-type "-x" is not a smartctl -d type\nhint: /)]);
    const dev = await w.health(0, ['A', '--device', 'sdz']);
    expect([dev.code, dev.stderr]).toEqual([2, expect.stringMatching(/^error: --device "sdz" is not a device path under \/dev\nhint: /)]);
    expect(await w.calls()).toEqual([]);
  });

  it('a simulated drive with no --device: exit 4, it has no disk; the hint names --device; smartctl never run', async () => {
    const w = await world();
    const r = await w.health(0, ['A']);
    expectNoCrash('health', r);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: drive A at .* has no disk of its own to read SMART from \(a simulated drive, a folder, or not a mountpoint\)\nhint: give the disk it is on, if it has one: airgap health A --device \/dev\/sdX/m);
    expect(await w.calls()).toEqual([]);
  });

  it('smartctl not installed: exit 4, how to install it', async () => {
    const w = await world();
    const empty = join(w.sb.dir, 'empty-bin');
    await mkdir(empty);
    const r = await w.health(0, ['A', '--device', '/dev/sdz'], { PATH: empty });
    expectNoCrash('health', r);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: smartctl \(smartmontools\) is not installed/m);
    expect(r.stderr).toMatch(/^hint: install smartmontools: sudo apt-get install smartmontools \(Debian, Ubuntu\), sudo dnf install smartmontools \(Fedora\), brew install smartmontools \(macOS\)$/m);
  });
});

describe('read errors met by verify', () => {
  it('recorded per verify; the last one with errors is a drive-health alert until a whole-drive verify meets none', async () => {
    const w = await world();
    const file = join(w.sb.env.AIRGAP_STATE_DIR!, 'catalog.json');
    type Cat = { drives: { name: string; readErrors?: { at: string; count: number }[] }[] };
    const readErrors = async () => (JSON.parse(await readFile(file, 'utf8')) as Cat).drives.find((d) => d.name === 'A')!.readErrors;
    expect((await w.run(1, ['verify', 'A'])).code).toBe(0);
    expect(await readErrors()).toEqual([{ at: day(1), count: 0 }]);
    // No EIO can be made on a test machine's folders: the catalog gets what a verify of a
    // failing drive records (verify-snapshot's findings carry the errno; readErrorCount counts EIO).
    const cat = JSON.parse(await readFile(file, 'utf8')) as Cat;
    cat.drives.find((d) => d.name === 'A')!.readErrors!.push({ at: day(2), count: 2 });
    await writeFile(file, JSON.stringify(cat));
    const line = 'drive A had 2 read errors (EIO) in its verify of 2026-11-23 (2 in all): check its health (airgap health A) and copy its role to a new drive before it fails: airgap replace A <new-drive>';
    const drive = join(w.sb.dir, 'away-A');
    await w.unplug();
    expect(alerts((await w.run(2, ['status'])).stdout)).toEqual([`ALERT: ${line}`]);
    expect((await w.run(2, ['remind', '--no-notify'])).code).toBe(40);
    // A sampled verify (it reads too little to clear it) records nothing; a whole one, none met.
    expect((await w.run(3, ['verify', drive, '--sample', '50%'])).code).toBe(0);
    expect((await readErrors())!.map((r) => r.count)).toEqual([0, 2]);
    expect((await w.run(3, ['verify', drive])).code).toBe(0);
    expect((await readErrors())!.map((r) => r.count)).toEqual([0, 2, 0]);
    // (A, verified at its new place, now counts as connected: the air gap alert, bit 16; bit 8 is gone.)
    const after = await w.run(3, ['remind', '--no-notify', '--json']);
    expect(after.code & 8).toBe(0);
    expect((JSON.parse(after.stdout) as { reminders: { kind: string }[] }).reminders.map((r) => r.kind)).not.toContain('drive-health');
  });
});
