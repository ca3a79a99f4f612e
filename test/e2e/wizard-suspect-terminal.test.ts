// The wizard in a real terminal (tmux) after the mass-change gate tripped (issue 17 §1): the
// SUSPECT snapshot is shown beside the drive with the two answers in words, and a restore from the
// menu says which snapshot it takes, passes over the SUSPECT one and brings back the good files.
// Its own tmux server and folder (test/helpers/terminal.ts): nothing shared with other runs.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Terminal, esc, noTmux } from '../helpers/terminal.js';

if (noTmux) console.log(`skipping the SUSPECT wizard terminal test: ${noTmux}`);

let dir: string;
let term: Terminal;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-wizsuspect-'));
  term = new Terminal(dir);
  env = { AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_CONFIG: join(dir, 'config.json'), AIRGAP_DRIVES_ROOT: join(dir, 'drives') };
});
afterEach(async () => {
  term.close();
  await rm(dir, { recursive: true, force: true });
});

const must = (...args: string[]) => runCli(args, env);
const snapshots = async () => (await readdir(join(dir, 'drives', 'A', 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();
/** inquirer shows `? question` while it waits and `✔ question answer` once answered. */
const pending = (q: string) => new RegExp(`^\\? ${esc(q)}`, 'm');
const answered = (q: string, a: string) => new RegExp(`^[^?\\s]+ ${esc(q)}[^\\n]*${esc(a)}`, 'm');

describe.skipIf(noTmux)('the wizard in a real terminal, with a SUSPECT snapshot', () => {
  it('shows it with airgap accept / reject in words; a restore passes over it and brings back the good files', async () => {
    const src = join(dir, 'src');
    for (let f = 0; f < 40; f++) {
      await mkdir(join(src, `d${f % 5}`), { recursive: true });
      await writeFile(join(src, `d${f % 5}`, `f${f}.txt`), `plain text ${f}\n`.repeat(200));
    }
    await mkdir(join(dir, 'drives', 'A'), { recursive: true });
    for (const args of [['init', '--source', src, '--drives', 'A', '--yes'], ['label', join(dir, 'drives', 'A'), '--name', 'A', '--yes'], ['backup', '--drive', 'A']]) {
      const r = await must(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // Ransomware: every file overwritten with random bytes; the gate trips (exit 4).
    for (let f = 0; f < 40; f++) await writeFile(join(src, `d${f % 5}`, `f${f}.txt`), randomBytes(3000));
    expect((await must('backup', '--drive', 'A')).code).toBe(4);
    const [good, suspect] = await snapshots() as [string, string];

    try {
      term.start([], env, dir);
      await term.waitFor(new RegExp(`^  SUSPECT: ${esc(suspect)} on A: mass changes that look like ransomware or a broken sync, not accepted\\.`, 'm'), 'the SUSPECT line beside drive A');
      await term.waitFor(new RegExp(`^    if the changes are yours: +airgap accept A ${esc(suspect)}$`, 'm'), 'the accept command');
      await term.waitFor(new RegExp(`^    once your files are recovered: airgap reject A ${esc(suspect)} +\\(kept as evidence; --delete removes it\\)$`, 'm'), 'the reject command');

      // Nothing is due (A was written today): the menu starts on "Verify"; two down is "Restore".
      await term.waitFor(pending('What now?'), 'the menu');
      await term.waitFor(/^❯ Verify A \(checksums\)\s*$/m, 'the menu on "Verify A"');
      term.keys('Down', 'Down');
      await term.waitFor(/^❯ Restore files from A\s*$/m, 'the menu on "Restore files from A"');
      term.keys('Enter');
      await term.waitFor(new RegExp(`Restore takes ${esc(good)}, the newest snapshot on A that is not SUSPECT; 1 SUSPECT snapshot \\(${esc(suspect)}\\) may hold the damaged files`), 'what the restore takes');
      const to = join(dir, 'restored');
      await term.waitFor(pending('Restore into which folder?'), 'the folder question');
      term.keys('C-u', to, 'Enter');
      await term.waitFor(answered('Restore into which folder?', to), 'the folder answered');
      await term.waitFor(pending('Which file or folder?'), 'the paths question');
      term.keys('Enter');
      await term.waitFor(new RegExp(`Restored snapshot ${esc(good)} from drive A into ${esc(to)}`), 'the restore summary');
      await term.waitFor(pending('What now?'), 'the menu again');
      term.keys('C-c'); // Ctrl+C at a question: exit 130, nothing half-done
      expect(await term.exitCode()).toBe(130);
      expect(await readFile(join(to, 'src', 'd0', 'f0.txt'), 'utf8')).toBe('plain text 0\n'.repeat(200));
    } catch (e) {
      console.log(`screen so far:\n${term.scrollback()}`);
      throw e;
    }
  }, 600_000);
});
