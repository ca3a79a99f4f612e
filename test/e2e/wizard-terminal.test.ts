// The wizard in a real terminal: `airgap` with no arguments runs inside a detached tmux session
// (a real pseudo-terminal, so stdin/stdout are TTYs and @inquirer/prompts takes raw keys). The
// test reads the screen with `tmux capture-pane` and answers with `tmux send-keys`, like a user:
// setup → schedule → "Plug in drive A" → the drive folder appears → label it → menu → backup →
// no eject → "Unplug A and …; next: bring B on …". The final screen is kept as a transcript.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const TRANSCRIPT = '/tmp/airgap-wizard-transcript.txt';
// Caps for a loaded machine, not expectations: each wait ends when the screen shows the thing.
const TOTAL_MS = 540_000; // the whole conversation, under the test's cap
const STEP_MS = 120_000; // one prompt or message to appear
const POLL_MS = 100;

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = hasTmux ? '' : 'tmux is not installed (apt-get install tmux)';
if (skip) console.log(`skipping the real-terminal wizard test: ${skip}`);

// A private tmux server (its own socket, inside the sandbox and removed with it): nothing is
// shared with a tmux the user may be running, and its environment is the one given here.
let socket = '';
const session = `airgap-wizard-${process.pid}`;
const tmuxEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  USER: process.env.USER,
  SHELL: '/bin/sh', // runs the session's command line
  LANG: process.env.LANG || 'C.UTF-8',
  TERM: process.env.TERM && process.env.TERM !== 'dumb' ? process.env.TERM : 'xterm-256color',
  ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
};

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-S', socket, ...args], { env: tmuxEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** The visible screen, wrapped lines joined (so a long line matches as one). */
const screen = () => tmux('capture-pane', '-p', '-J', '-t', session);
/** Everything since the start, as it was displayed (scrollback included). */
const scrollback = () => tmux('capture-pane', '-p', '-S', '-', '-t', session).replace(/\s+$/, '') + '\n';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let deadline = 0;

/** Polls the screen until `re` matches; fails with what is on screen. */
async function waitFor(re: RegExp, what: string, ms = STEP_MS): Promise<string> {
  const until = Math.min(Date.now() + ms, deadline);
  let shown = '';
  for (;;) {
    shown = screen();
    const m = shown.match(re);
    if (m) return m[0];
    const exited = shown.match(/\[airgap exited with code (\d+)\]/);
    if (exited || Date.now() >= until) {
      const why = exited ? `the wizard exited (code ${exited[1]})` : `timed out after ${Math.round(ms / 1000)} s`;
      throw new Error(`waiting for ${what} (${re}): ${why}. Screen:\n${'-'.repeat(60)}\n${shown.replace(/\s+$/, '')}\n${'-'.repeat(60)}`);
    }
    await sleep(POLL_MS);
  }
}

/** inquirer shows `? question` while it waits and `✔ question answer` once answered. */
const pending = (q: string) => new RegExp(`^\\? ${esc(q)}`, 'm');
const answered = (q: string, answer = '') => new RegExp(`^[^?\\s]+ ${esc(q)}[^\\n]*${esc(answer)}`, 'm');

/** Waits for the question, types the keys, and checks the prompt took them. */
async function answer(q: string, keys: string[], shownAnswer: string, check?: RegExp): Promise<void> {
  await waitFor(pending(q), `the question "${q}"`);
  if (check) await waitFor(check, `the default of "${q}" (${check})`);
  tmux('send-keys', '-t', session, ...keys);
  await waitFor(answered(q, shownAnswer), `"${q}" to be answered with "${shownAnswer}" (keys ${JSON.stringify(keys)})`);
}

describe.skipIf(skip)('the wizard in a real terminal (tmux)', () => {
  let dir: string;
  let started = false;
  let transcript = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airgap-wizard-'));
    socket = join(dir, 'tmux.sock');
    await mkdir(join(dir, 'drives'));
    await mkdir(join(dir, 'src', 'letters'), { recursive: true });
    await writeFile(join(dir, 'src', 'notes.txt'), 'remember the milk\n');
    await writeFile(join(dir, 'src', 'budget.csv'), 'month,amount\njan,12\nfeb,15\n');
    await writeFile(join(dir, 'src', 'letters', 'to-grandma.md'), '# Dear grandma\n\nThe garden is fine.\n');
  });

  afterAll(async () => {
    if (started) spawnSync('tmux', ['-S', socket, 'kill-session', '-t', session], { env: tmuxEnv });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sets up, waits for drive A, labels it, backs up, and says which drive comes next', async () => {
    deadline = Date.now() + TOTAL_MS;
    const drives = join(dir, 'drives');
    const src = join(dir, 'src');
    const config = join(dir, 'config.json');
    const env = {
      AIRGAP_DRIVES_ROOT: drives,
      AIRGAP_STATE_DIR: join(dir, 'state'),
      AIRGAP_CONFIG: config,
      AIRGAP_WATCH_INTERVAL_MS: '200',
    };
    // Interactive only with TTYs and no CI: unset CI inside the session. After the wizard ends,
    // the exit code stays on screen and the shell sleeps, so the last screen can be read.
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = ['env', '-u', 'CI', ...Object.entries(env).map(([k, v]) => q(`${k}=${v}`)), q(process.execPath), q(BIN)].join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '60', '-c', dir, `${command}; echo "[airgap exited with code $?]"; sleep 600`);
    started = true;

    try {
      // Setup.
      await waitFor(/Welcome to airgap/, 'the welcome line');
      await answer('Folder to protect', [src, 'Enter'], src);
      await waitFor(new RegExp(`^  ${esc(src)}: 3 files, `, 'm'), 'the file count of the source folder');
      await answer('Another folder? (empty to finish)', ['Enter'], '');
      await answer('Anything to skip?', ['Enter'], '');
      await answer('Names of your backup drives (comma-separated; three is good)', ['A,B,C', 'Enter'], 'A,B,C');
      // Offsite: B is highlighted by default (the pointer is on B, not on A, C or none).
      await answer('Which drive lives away from home (at the office, with family)?', ['Enter'], 'B', /^[^\s?] B\s*$/m);
      await answer('How often will you back up?', ['Enter'], 'weekly', /^[^\s?] weekly \(from today\)\s*$/m);
      // Encryption: the offsite drive is the highlighted default; the passphrase is typed twice and
      // never shown (inquirer masks it), and a short one is asked again.
      await answer('Encrypt which drives?', ['Enter'], 'the offsite drive, B', /^[^\s?] the offsite drive, B \(recommended/m);
      await waitFor(pending('Passphrase for the drives'), 'the passphrase question');
      tmux('send-keys', '-t', session, 'short', 'Enter');
      await waitFor(/at least 8 characters\s*$/m, 'a short passphrase refused');
      tmux('send-keys', '-t', session, 'C-u', 'terminal secret', 'Enter');
      await answer('The same passphrase again:', ['terminal secret', 'Enter'], '*');

      // The config is written and the schedule shown, then the wizard waits for a drive.
      await waitFor(/^Wrote .*config\.json$/m, 'init to write the config');
      expect(screen()).not.toContain('terminal secret');
      await waitFor(/^ {2}encrypt: drives B, with age/m, 'init to say what is encrypted');
      await waitFor(/Your rotation for the coming weeks:/, 'the schedule heading');
      await waitFor(/^airgap rotation schedule: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}, 8 backups/m, 'the 8-week schedule');
      await waitFor(/Plug in drive A\. Waiting… \(Ctrl\+C to stop\)/, 'the "Plug in drive A" waiting message');

      // "Plug in" drive A: a new folder under the drives root.
      await mkdir(join(drives, 'A'));
      await waitFor(/A new disk is connected: .*mounted at .*drives\/A, holding 0 items/, 'the wizard to notice drive A');
      await answer('Use it as an airgap backup drive?', ['y', 'Enter'], 'Yes');
      await answer('Its name (write it on the drive too)', ['A', 'Enter'], 'A');
      await waitFor(/Labelled .*drives\/A as airgap drive "A"/, 'the label confirmation');

      // The drive's ledger and plan, then the menu with "Back up to A now" highlighted.
      await waitFor(/Drive A is connected at .*drives\/A \(home\)\./, 'the drive summary');
      await answer('What now?', ['Enter'], 'Back up to A now', /^[^\s?] Back up to A now\s*$/m);
      await answer("Write today's snapshot to A?", ['y', 'Enter'], 'Yes');
      const written = await waitFor(/Snapshot (\d{4}-\d{2}-\d{2}T\d{6}Z) written to drive A/, 'the backup summary');
      await waitFor(/verified: read back and checked against SHA256SUMS/, 'the read-back check');
      await answer('Eject A now?', ['n', 'Enter'], 'No');
      // Declined: the way to eject before unplugging is said (issue 17 §5).
      await waitFor(/^Before you unplug A, run: airgap eject A \(it finishes the writes and unmounts the drive\)\.$/m, 'the eject reminder');

      // The physical instruction, then a clean exit.
      const farewell = await waitFor(/^Unplug A and put it away, disconnected; next: bring B on \d{4}-\d{2}-\d{2}\.$/m, 'the final instruction');
      await waitFor(/\[airgap exited with code 0\]/, 'the wizard to exit with code 0');

      // What is on disk matches what the screen said.
      const id = written.match(/\d{4}-\d{2}-\d{2}T\d{6}Z/)![0];
      const snapshots = (await readdir(join(drives, 'A', 'airgap'))).filter((n) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(n));
      expect(snapshots).toEqual([id]);
      const sums = await readFile(join(drives, 'A', 'airgap', id, 'SHA256SUMS'), 'utf8');
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  ${esc(id)}\\.tar$`, 'm'));

      expect(existsSync(config)).toBe(true);
      const cfg = JSON.parse(await readFile(config, 'utf8')) as { sources: string[]; excludes: string[]; cadence: string; drives: { rotation: { name: string; role: string }[] } };
      expect(cfg.sources).toEqual([src]);
      expect(cfg.excludes).toEqual([]);
      expect(cfg.cadence).toBe('weekly');
      expect(cfg.drives.rotation.map((r) => `${r.name}:${r.role}`)).toEqual(['A:home', 'B:offsite', 'C:home']);

      expect(screen()).toContain(farewell);
    } finally {
      transcript = started ? scrollback() : '';
      await writeFile(TRANSCRIPT, transcript);
      console.log(`wizard transcript (${TRANSCRIPT}):\n${transcript}`);
    }
  }, 600_000);
});
