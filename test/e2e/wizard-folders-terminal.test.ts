// The setup's folder questions in a real terminal (tmux; issue 17 §5): a folder that does not
// exist, then a file, are each asked again with the reason (the wizard used to end there); a
// folder whose name holds a comma ("Letters, 2024") is one folder, not two; a folder inside it
// is refused; an exclude pattern with a comma in braces stays one pattern. The config written
// names exactly those. Its own tmux server and folder (test/helpers/terminal.ts).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Terminal, esc, noTmux } from '../helpers/terminal.js';

if (noTmux) console.log(`skipping the wizard folder terminal test: ${noTmux}`);

let dir: string;
let term: Terminal;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-wizfold-'));
  term = new Terminal(dir);
});
afterEach(async () => {
  term.close();
  await rm(dir, { recursive: true, force: true });
});

/** inquirer shows `? question` while it waits, `> reason` under it when an answer is refused, `✔ question answer` once answered. */
const pending = (q: string) => new RegExp(`^\\? ${esc(q)}`, 'm');
// inquirer breaks a long line at a space itself (a hard newline, which capture-pane -J keeps): any space may be one.
const refused = (reason: string) => new RegExp(`^> ${esc(reason).replace(/ /g, '\\s+')}\\s*$`, 'm');
const answered = (q: string, a: string) => new RegExp(`^[^?\\s]+ ${esc(q)} ${esc(a)}\\s*$`, 'm');

describe.skipIf(noTmux)('the wizard in a real terminal: which folders to protect', () => {
  it('asks again after a bad folder, and takes a folder whose name has a comma', async () => {
    const letters = join(dir, 'Letters, 2024');
    await mkdir(join(letters, 'sub'), { recursive: true });
    await writeFile(join(letters, 'to-grandma.md'), '# Dear grandma\n');
    await writeFile(join(letters, 'sub', 'draft.md'), 'draft\n');
    await writeFile(join(dir, 'notes.txt'), 'a file, not a folder\n');
    const config = join(dir, 'config.json');
    const env = { AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_CONFIG: config, AIRGAP_DRIVES_ROOT: join(dir, 'drives') };
    await mkdir(env.AIRGAP_DRIVES_ROOT);

    try {
      term.start([], env, dir);
      await term.waitFor(/Welcome to airgap/, 'the welcome line');
      await term.waitFor(pending('Folder to protect'), 'the first folder question');
      term.keys(join(dir, 'nope'), 'Enter');
      await term.waitFor(refused(`${join(dir, 'nope')} does not exist`), 'the missing folder refused');
      term.keys('C-u', join(dir, 'notes.txt'), 'Enter');
      await term.waitFor(refused(`${join(dir, 'notes.txt')} is not a folder`), 'the file refused');
      term.keys('C-u', letters, 'Enter');
      await term.waitFor(answered('Folder to protect', letters), 'the comma folder taken');
      await term.waitFor(new RegExp(`^  ${esc(letters)}: 2 files, `, 'm'), 'the file count of the comma folder');

      await term.waitFor(pending('Another folder? (empty to finish)'), 'the next folder question');
      term.keys(join(letters, 'sub'), 'Enter');
      await term.waitFor(refused(`${join(letters, 'sub')} is inside ${letters}, chosen already (it is backed up with it)`), 'the folder inside refused');
      term.keys('C-u', 'Enter');
      await term.waitFor(new RegExp(`^[^?\\s]+ ${esc('Another folder? (empty to finish)')}\\s*$`, 'm'), 'no more folders');

      await term.waitFor(pending('Anything to skip?'), 'the exclude question');
      term.keys('*.{tmp,bak}', 'Enter');
      await term.waitFor(pending('Anything else to skip? (empty to finish)'), 'the next exclude question');
      term.keys('Enter');
      for (const q of ['Names of your backup drives', 'Which drive lives away from home', 'How often will you back up?']) {
        await term.waitFor(pending(q), `"${q}"`);
        term.keys('Enter');
      }
      // No encryption here (the third choice): the wizard-terminal test types a passphrase.
      await term.waitFor(pending('Encrypt which drives?'), 'the encryption question');
      term.keys('Down', 'Down', 'Enter');
      await term.waitFor(/^Wrote .*config\.json$/m, 'init to write the config');
      await term.waitFor(/Plug in drive A\. Waiting…/, 'the wizard to go on to the drives');

      const cfg = JSON.parse(await readFile(config, 'utf8')) as { sources: string[]; excludes: string[] };
      expect(cfg.sources).toEqual([letters]);
      expect(cfg.excludes).toEqual(['*.{tmp,bak}']);
    } catch (e) {
      console.log(`screen so far:\n${term.scrollback()}`);
      throw e;
    }
  }, 600_000);
});
