// Ctrl+C in a real terminal (tmux): what docs/cli.md promises — exit 130, the unfinished work
// (`.partial-*` of a backup, the staging folder of a restore) and the drive lock removed.
// `kill -INT <pid>` from a test (test/e2e/interrupt.test.ts) is not the same thing: in a
// terminal the spinner is live (ora, which installs signal-exit through restore-cursor), and the
// terminal sends SIGINT to the whole foreground process group.
//
// Each run is frozen at a stop-failpoint (AIRGAP_FAILPOINT_ACTION=stop: airgap SIGSTOPs itself
// in the middle of the work), Ctrl+C is typed into the terminal, the test waits until the
// terminal's SIGINT is pending on the frozen process, then lets it continue (SIGCONT): the
// signal lands mid-write on every machine, however fast or slow.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, runCli, type Sandbox } from '../helpers/cli.js';
import { allThreadsStopped, procState } from '../helpers/proc.js';
import { Terminal, noTmux, until } from '../helpers/terminal.js';

if (noTmux) console.log(`skipping the Ctrl+C terminal tests: ${noTmux}`);

const STOP = (point: string) => ({ AIRGAP_FAILPOINT: point, AIRGAP_FAILPOINT_ACTION: 'stop' });
const SIGINT_BIT = 1n << 1n; // signal 2 in /proc/<pid>/status pending masks

/** Whether SIGINT is pending on the (stopped) process: the terminal's Ctrl+C has reached it. */
function sigintPending(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return ['SigPnd', 'ShdPnd'].some((k) => (BigInt('0x' + (status.match(new RegExp(`^${k}:\\s*([0-9a-f]+)`, 'm'))?.[1] ?? '0')) & SIGINT_BIT) !== 0n);
}

/** The airgap process (node running bin/airgap.js; not the shell whose command line names it). */
function airgapPid(): number | undefined {
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] === process.execPath && argv[1] === BIN && readFileSync(`/proc/${d}/environ`, 'utf8').includes(sandbox.dir)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Waits for airgap to freeze at its failpoint, types Ctrl+C, and lets it go on once the SIGINT is pending. */
async function ctrlCWhileFrozen(what: string): Promise<number> {
  const pid = await until(() => {
    const p = airgapPid();
    return p !== undefined && procState(p) === 'T' && allThreadsStopped(p) ? p : undefined;
  }, `airgap to stop at its failpoint (${what})`);
  term.keys('C-c');
  await until(() => (sigintPending(pid) ? true : undefined), 'the terminal\'s SIGINT to reach airgap');
  process.kill(pid, 'SIGCONT');
  return pid;
}

let sandbox: Sandbox;
let term: Terminal;
let drive: string;
let src: string;

beforeEach(async () => {
  sandbox = await makeSandbox();
  term = new Terminal(sandbox.dir);
  drive = await labelledDrive(sandbox, 'A');
  src = await mkdtemp(join(sandbox.dir, 'src-'));
  // Big enough for several 4 MiB flushes of the tarball writer (write:chunk).
  for (let i = 0; i < 3; i++) await writeFile(join(src, `bulk-${i}.bin`), randomBytes(8 << 20));
  await mkdir(join(src, 'many'));
  for (let i = 0; i < 40; i++) await writeFile(join(src, 'many', `f${i}.txt`), `file ${i}\n`);
});

afterEach(async () => {
  term?.close();
  await sandbox?.cleanup();
});

const airgapEntries = () => readdir(join(drive, 'airgap'));

// Each step waits up to STEP_MS; the whole test is capped far above what a loaded machine needs.
describe.skipIf(noTmux)('Ctrl+C in a real terminal', { timeout: 600_000 }, () => {
  it('during a backup: exit 130, the .partial- folder and the lock removed', async () => {
    term.start(['backup', '--drive', 'A', '--source', src], { ...sandbox.env, ...STOP('write:chunk@2') }, sandbox.dir);
    await until(async () => ((await airgapEntries()).some((n) => n.startsWith('.partial-')) ? true : undefined), 'the .partial- folder');
    await ctrlCWhileFrozen('backup, mid-tarball');
    const code = await term.exitCode();
    const shown = term.scrollback();
    expect(code, shown).toBe(130);
    expect(shown).toMatch(/^error: .*cancel/im);
    expect(shown).not.toContain('    at ');
    const left = await airgapEntries();
    expect(left.filter((n) => n.startsWith('.partial-')), 'the unfinished snapshot was left behind').toEqual([]);
    expect(left, 'the lock was left behind').not.toContain('.lock');
    expect(left.filter((n) => /^\d{4}-/.test(n)), 'a snapshot-like folder was left').toEqual([]);
  });

  it('during a restore: exit 130, the staging folder (and the new target folder) removed', async () => {
    const b = await sandbox.run('backup', '--drive', 'A', '--source', src);
    expect(b.code, b.stderr).toBe(0);
    const target = join(sandbox.dir, 'restored');
    term.start(['restore', 'A', '--to', target], { ...sandbox.env, ...STOP('restore:file@5') }, sandbox.dir);
    await ctrlCWhileFrozen('restore, mid-extraction');
    const code = await term.exitCode();
    const shown = term.scrollback();
    expect(code, shown).toBe(130);
    expect(shown).toMatch(/^error: .*cancel/im);
    expect(shown).not.toContain('    at ');
    // The target did not exist before: nothing of it (above all no .airgap-restore-* staging) is left.
    const left = await readdir(target).catch(() => 'gone');
    expect(left, 'the restore left files or its staging folder behind').toBe('gone');
  });

  it('during a backup started from the wizard: exit 130, nothing left behind', async () => {
    const config = join(sandbox.dir, 'config.json');
    const env = { ...sandbox.env, AIRGAP_CONFIG: config };
    const init = await runCli(['init', '--source', src, '--drives', 'A,B', '--cadence', 'daily', '--yes'], env);
    expect(init.code, init.stderr).toBe(0);
    term.start([], { ...env, ...STOP('write:chunk@2') }, sandbox.dir);
    await term.waitFor(/^\? What now\?/m, 'the wizard\'s menu');
    await term.waitFor(/^[^\s?] Back up to A now\s*$/m, '"Back up to A now" highlighted');
    term.keys('Enter');
    await term.waitFor(/^\? Write today's snapshot to A\?/m, 'the confirmation');
    term.keys('y', 'Enter');
    await ctrlCWhileFrozen('wizard backup, mid-tarball');
    const code = await term.exitCode();
    const shown = term.scrollback();
    expect(code, shown).toBe(130);
    expect(shown).not.toContain('    at ');
    const left = await airgapEntries();
    expect(left.filter((n) => n.startsWith('.partial-')), 'the unfinished snapshot was left behind').toEqual([]);
    expect(left, 'the lock was left behind').not.toContain('.lock');
    expect(JSON.parse(await readFile(join(drive, 'airgap', 'drive.json'), 'utf8'))).toMatchObject({ name: 'A' });
  });
});
