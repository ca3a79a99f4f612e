// What the age tests share: whole buffers through the encrypt/decrypt streams (fed in uneven
// pieces, as a tar stream would be), and the stock age CLI, also where it wants a terminal.
import { spawnSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptStream, encryptStream } from '../../src/crypto/age-file.js';
import type { AgeIdentity, AgeRecipient } from '../../src/crypto/age-keys.js';

export const KiB64 = 64 * 1024;

/** `buf` cut into pieces of the given sizes, cycling (a size of 0 gives an empty piece). */
export function pieces(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < buf.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(buf.subarray(off, off + n));
    off += n;
  }
  return out;
}

async function through(input: Buffer[], t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input, { objectMode: false }), t, new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

export async function encrypt(plain: Buffer, recipients: AgeRecipient[], sizes = [1 << 20]): Promise<Buffer> {
  return through(pieces(plain, sizes), await encryptStream(recipients));
}

export async function decrypt(cipher: Buffer, identities: AgeIdentity[], sizes = [1 << 20]): Promise<Buffer> {
  return through(pieces(cipher, sizes), decryptStream(identities, 'test.age'));
}

/** Why the stock-age tests cannot run here, or '' when /usr/bin/age is installed. */
export const noAge = spawnSync('age', ['--version']).status === 0 ? '' : 'the age CLI is not installed (apt-get install age)';

export function age(args: string[], opts: { cwd: string; input?: Buffer }): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('age', args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/**
 * Runs `age <args>` on a pseudo-terminal, where age reads passphrases (it opens /dev/tty; there
 * is no environment variable or flag for them in age 1.1.1). util-linux `script` gives it one
 * and copies our stdin into it: the lines wait in the terminal's input queue until age reads them.
 */
export function ageOnTerminal(args: string[], lines: string[], cwd: string): { status: number | null; screen: string } {
  const command = ['age', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, input: lines.map((l) => `${l}\n`).join(''), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, screen: r.stdout };
}
