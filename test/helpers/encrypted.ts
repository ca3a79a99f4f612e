// What the encrypted-drive tests share: a sandbox whose config encrypts (a passphrase, or a key of
// the user's own made by age-keygen), and RESTORE.txt run literally where age asks for the
// passphrase on a terminal (util-linux `script` gives it one; the passphrase waits in its input).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { restoreScript } from './stock-restore.js';
import type { Sandbox } from './cli.js';

export const PASSPHRASE = 'a long and careful passphrase';

/** Why these tests cannot run here, or '' (the stock age CLI and util-linux script are needed). */
export const noAgeTools = spawnSync('age', ['--version']).status !== 0 ? 'the age CLI is not installed (apt-get install age)'
  : spawnSync('script', ['--version']).status !== 0 ? 'util-linux script is not installed' : '';

/** Writes the passphrase file and returns the flags that give it. */
export async function passphraseFlags(sb: Sandbox): Promise<string[]> {
  const file = join(sb.dir, 'passphrase.txt');
  await writeFile(file, PASSPHRASE + '\n', { mode: 0o600 });
  return ['--passphrase-file', file];
}

/** A key pair made by the stock age-keygen: [key file path, public key]. */
export function ageKeygen(dir: string, name = 'own-key.txt'): [string, string] {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const pub = execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  return [file, pub];
}

/**
 * Runs a snapshot's RESTORE.txt literally (its four-space lines, DRIVE= and, for a key of one's
 * own, KEYFILE= filled in) in `shell` on a pseudo-terminal, the passphrase typed when age asks.
 */
export async function runEncryptedRestore(restoreTxt: string, drive: string, opts: { shell: string[]; env: { PATH: string; HOME: string }; keyFile?: string; workDir: string }): Promise<string> {
  let script = await restoreScript(restoreTxt, drive);
  if (opts.keyFile) script = script.replace('KEYFILE=/path/to/your-key.txt', `KEYFILE='${opts.keyFile}'`);
  const file = join(opts.workDir, `restore-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(file, script);
  const command = [...opts.shell, file].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    input: `${PASSPHRASE}\n`, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, LANG: process.env.LANG || 'C.UTF-8', ...opts.env },
  });
  expect(r.status, `${restoreTxt} run literally:\n${r.stdout}\n${r.stderr}\n--- script:\n${script}`).toBe(0);
  return r.stdout;
}

/** Every byte of every file under `root` (names included), to look for what must not be there. */
export async function allBytes(root: string, keep: (file: string) => boolean = () => true): Promise<Buffer> {
  const files = execFileSync('find', [root, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean).filter(keep);
  return Buffer.concat([Buffer.from(files.join('\n')), ...(await Promise.all(files.map((f) => readFile(f))))]);
}
