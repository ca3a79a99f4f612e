// The setup's questions about what to back up: the folders, one per answer, and the patterns to
// skip, one per answer. One per answer because a comma is an ordinary character in a folder name
// ("Letters, 2024") and inside a pattern (`*.{jpg,png}`): splitting on it broke both. Each answer
// is checked in the prompt's own validate, so a folder that is not one is asked again with the
// reason instead of ending the wizard. `airgap init` on a terminal asks the same way.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { expandHome, isSystemRoot, overlap } from '../core/source-folders.js';
import { plural } from '../core/plural.js';
import { scanSources } from '../snapshot/scan.js';
import { globProblem } from '../state/config.js';
import type { Prompter } from '../ui/prompter.js';
import { bytes } from '../ui/render.js';

/** What asking needs: the wizard, or `airgap init` on a terminal. */
export interface Asker {
  prompter: Prompter;
  say(text: string): void;
}

export const FOLDER_QUESTIONS = {
  first: 'Folder to protect',
  more: 'Another folder? (empty to finish)',
} as const;

export const SKIP_QUESTIONS = {
  first: 'Anything to skip? (one pattern at a time, like *.tmp or node_modules; empty for nothing)',
  more: 'Anything else to skip? (empty to finish)',
} as const;

/** Why a typed folder cannot be protected, or true. `chosen`: the folders taken so far (absolute). */
export async function folderProblem(typed: string, chosen: readonly string[], home = homedir()): Promise<string | true> {
  const expanded = expandHome(typed, home);
  if (!expanded) return 'name a folder';
  const path = resolve(expanded);
  if (isSystemRoot(path)) return `${path} is the whole system: name the folders that hold your files, like ${join(home, 'Documents')}`;
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) return st.code === 'ENOENT' || st.code === 'ENOTDIR' ? `${path} does not exist` : `${path} cannot be read (${st.code ?? st.message})`;
  if (!st.isDirectory()) return `${path} is not a folder`;
  if (!(await access(path, constants.R_OK | constants.X_OK).then(() => true, () => false))) return `${path} cannot be read by you`;
  const o = overlap(path, chosen);
  if (o?.kind === 'same') return `${path} is chosen already`;
  if (o?.kind === 'inside') return `${path} is inside ${o.other}, chosen already (it is backed up with it)`;
  return true;
}

/** The folders to protect, each shown with its file count and size once taken. */
export async function askFolders(w: Asker): Promise<string[]> {
  const home = homedir();
  const chosen: string[] = [];
  for (;;) {
    const first = chosen.length === 0;
    const typed = await w.prompter.input(
      first ? FOLDER_QUESTIONS.first : FOLDER_QUESTIONS.more,
      first ? join(home, 'Documents') : '',
      (v) => (!first && !v.trim() ? true : folderProblem(v, chosen, home)),
    );
    if (!typed.trim()) return chosen;
    const path = resolve(expandHome(typed, home));
    // A folder that holds ones chosen before takes their place (backing them up twice is no use).
    const o = overlap(path, chosen);
    if (o?.kind === 'holds') {
      for (const inner of o.others) chosen.splice(chosen.indexOf(inner), 1);
      w.say(`  ${path} holds ${o.others.join(', ')}: it takes ${o.others.length === 1 ? 'its' : 'their'} place.`);
    }
    chosen.push(path);
    const scan = await scanSources([{ path, root: 'x' }], { excludes: [] });
    w.say(`  ${path}: ${plural(scan.files, 'file')}, ${bytes(scan.bytes)}`);
  }
}

/** Patterns to skip (a name anywhere, or a path with `/`), as typed: a comma is part of a pattern. */
export async function askExcludes(w: Asker): Promise<string[]> {
  const patterns: string[] = [];
  for (;;) {
    const typed = (await w.prompter.input(patterns.length ? SKIP_QUESTIONS.more : SKIP_QUESTIONS.first, '', (v) => {
      const problem = v.trim() ? globProblem(v.trim()) : undefined;
      return problem ? `${v.trim()}: ${problem}` : true;
    })).trim();
    if (!typed) return patterns;
    if (!patterns.includes(typed)) patterns.push(typed);
  }
}
