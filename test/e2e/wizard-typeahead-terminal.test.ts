// Keys typed while the wizard is busy must not answer the next question that writes (issue 17
// §5). In a real terminal (tmux), a drive that has been away is verified before "Write today's
// snapshot to A?"; the verify is frozen at a stop-failpoint (AIRGAP_FAILPOINT_ACTION=stop:
// airgap SIGSTOPs itself as it starts on a snapshot), `y` and Enter are typed into the terminal,
// and only once the terminal has echoed them (so they sit in its input buffer) is airgap let go
// on (SIGCONT). The question must then wait on screen, and take the `n` typed after it appeared.
// No sleeps: every step waits for the screen or for /proc to show the thing awaited.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { allThreadsStopped, procState } from '../helpers/proc.js';
import { Terminal, esc, noTmux, until } from '../helpers/terminal.js';

if (noTmux) console.log(`skipping the type-ahead wizard terminal test: ${noTmux}`);

let dir: string;
let term: Terminal;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-wiztype-'));
  term = new Terminal(dir);
  env = { AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_CONFIG: join(dir, 'config.json'), AIRGAP_DRIVES_ROOT: join(dir, 'drives') };
});
afterEach(async () => {
  term.close();
  await rm(dir, { recursive: true, force: true });
});

/** The user's local calendar date, `days` from today, at noon (AIRGAP_NOW: far from any midnight). */
function noonOf(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T12:00:00`;
}

/** The airgap process of this test (node running bin/airgap.js with this test's folder in its environment). */
function airgapPid(): number | undefined {
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0] === process.execPath && argv[1] === BIN && readFileSync(`/proc/${d}/environ`, 'utf8').includes(dir)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** inquirer shows `? question` while it waits and `✔ question answer` once answered. */
const pending = (q: string) => new RegExp(`^\\? ${esc(q)}`, 'm');
const answered = (q: string) => new RegExp(`^[^?\\s]+ ${esc(q)}[^\\n]*$`, 'm');

describe.skipIf(noTmux)('the wizard in a real terminal: keys typed while it is busy', () => {
  it('an Enter typed during the verification does not answer "Write today\'s snapshot?"', async () => {
    // Weekly A, B, C from three weeks ago: A took backup #1 then and is due again today; it has
    // been away, so the wizard verifies it before asking to write.
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'notes.txt'), 'remember the milk\n');
    await mkdir(join(dir, 'drives', 'A'), { recursive: true });
    const then = { ...env, AIRGAP_NOW: noonOf(-21) };
    for (const args of [['init', '--source', src, '--drives', 'A,B,C', '--offsite', 'B', '--cadence', 'weekly', '--yes'], ['label', join(dir, 'drives', 'A'), '--name', 'A', '--yes'], ['backup', '--drive', 'A']]) {
      const r = await runCli(args, then);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const before = (await readdir(join(dir, 'drives', 'A', 'airgap'))).filter((n) => /^\d{4}-/.test(n));
    expect(before).toHaveLength(1);

    const q = "Write today's snapshot to A?";
    try {
      term.start([], { ...env, AIRGAP_FAILPOINT: 'verify:snapshot', AIRGAP_FAILPOINT_ACTION: 'stop' }, dir);
      await term.waitFor(pending('What now?'), 'the menu');
      await term.waitFor(/^❯ Back up to A now\s*$/m, 'the menu on "Back up to A now"');
      term.keys('Enter');
      await term.waitFor(/^A has been away: verifying it before anything on it changes\.$/m, 'the verification to start');
      const pid = await until(() => {
        const p = airgapPid();
        return p !== undefined && procState(p) === 'T' && allThreadsStopped(p) ? p : undefined;
      }, 'airgap to stop in the middle of the verification');

      // Typed while airgap is busy: the terminal echoes it, so it is in the input buffer now.
      term.keys('y', 'Enter');
      await term.waitFor(/^y\s*$/m, 'the terminal to echo the keys typed ahead');
      process.kill(pid, 'SIGCONT');

      await term.waitFor(/OK: 1 snapshot verified/, 'the verification to end');
      // The question waits: the keys typed ahead were dropped, not taken as its answer.
      const shown = await term.waitFor(new RegExp(`^(\\?|[^?\\s]+) ${esc(q)}.*$`, 'm'), 'the write question');
      expect(shown, 'the question was answered by keys typed before it appeared').toMatch(pending(q));
      // Keys typed once it is shown are its answer: nothing is written.
      term.keys('n', 'Enter');
      const answer = await term.waitFor(answered(q), 'the write question to be answered');
      expect(answer).toMatch(/No\s*$/);
      expect(await term.exitCode()).toBe(0);
      expect((await readdir(join(dir, 'drives', 'A', 'airgap'))).filter((n) => /^\d{4}-/.test(n))).toEqual(before);
    } catch (e) {
      console.log(`screen so far:\n${term.scrollback()}`);
      throw e;
    }
  }, 600_000);
});
