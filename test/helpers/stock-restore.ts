// Running a snapshot's RESTORE.txt literally (docs/FORMAT.md): its Linux commands are the
// lines indented by exactly four spaces; only `DRIVE=` is filled in. A shim folder puts another
// tar (bsdtar, busybox tar) first on PATH under the name `tar`.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { README_DRIVE_PLACEHOLDER } from '../../src/layout/drive-readme.js';

/** RESTORE.txt's sh commands, under `set -e`, with the drive's real place. */
export async function restoreScript(restoreTxt: string, drive: string): Promise<string> {
  const text = await readFile(restoreTxt, 'utf8');
  const linux = /\nLinux and macOS\n-+\n([^]*?)\nWindows /.exec(text)![1]!;
  const lines = linux.split('\n').filter((l) => /^ {4}\S/.test(l)).map((l) => l.slice(4));
  return ['set -e', ...lines.map((l) => l.replace(`DRIVE=${README_DRIVE_PLACEHOLDER}`, `DRIVE='${drive}'`))].join('\n') + '\n';
}

/** A folder whose `tar` is another tar (the rest of PATH stays as it is). */
export async function tarShim(root: string, name: string, tarCommand: string): Promise<string> {
  const bin = join(root, `bin-${name}`);
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'tar'), `#!/bin/sh\nexec ${tarCommand} "$@"\n`, { mode: 0o755 });
  return bin;
}

/** The three ways the tests follow RESTORE.txt: [label, shell argv, tar command or undefined for GNU tar]. */
export const STOCK_RUNS: [string, string[], string | undefined][] = [
  ['sh + GNU tar', ['sh'], undefined],
  ['sh + bsdtar', ['sh'], 'bsdtar'],
  ['busybox sh + busybox tar', ['busybox', 'sh'], 'busybox tar'],
];

/** Runs a script with `shell`, HOME set (RESTORE.txt restores into ~/restored-<ID>), a UTF-8 locale for bsdtar. */
export function runScript(shell: string[], script: string, env: { PATH: string; HOME: string }): string {
  return execFileSync(shell[0]!, [...shell.slice(1), '-c', script], {
    env: { ...process.env, LANG: process.env.LANG || 'C.UTF-8', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}
