// Format 3's write keeps format 2's protocol (docs/FORMAT.md "When is a snapshot complete?"):
// the read-back compares the STORED `.tar.gz` bytes with what was written (a byte flipped on the
// drive while the backup is frozen after the tarball, whole or in parts: exit 3, nothing kept);
// a run killed while writing the gzip blocks or right after the index leaves only a `.partial-`
// folder that the next run removes; a folder that vanishes mid-write (a pulled drive) ends the
// run with an error while blocks are still being compressed, without a hang or a stack trace.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, expectNoCrash, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { flipByte } from '../helpers/damage.js';
import { allThreadsStopped } from '../helpers/proc.js';
import { makeTree } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  // Text compresses, noise does not: 12 MiB of noise makes several 4 MiB chunks of .tar.gz.
  const noise = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16)).update(Buffer.alloc(12 << 20));
  await makeTree(src, { 'a.txt': 'hello\n'.repeat(50_000), noise, sub: { dir: { 'b.txt': 'b'.repeat(5000) } } });
  await labelledDrive(sb, 'A');
});
afterEach(() => sb.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const airgapDir = () => join(sb.drive('A'), 'airgap');

/** A backup --format 3 run with a failpoint: stopped there (then `meddle`, then resumed), or killed there. */
async function backupAt(failpoint: string, action: 'stop' | 'kill', args: string[] = [], meddle: (partialDir: string) => void | Promise<void> = () => {}) {
  const child = spawn(process.execPath, [BIN, 'backup', '--drive', 'A', '--source', src, '--format', '3', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...sb.env, AIRGAP_FAILPOINT: failpoint, ...(action === 'stop' ? { AIRGAP_FAILPOINT_ACTION: 'stop' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  if (action === 'stop') {
    const until = Date.now() + 120_000; // a cap for a loaded machine
    while (!allThreadsStopped(child.pid!)) {
      if (Date.now() > until) throw new Error(`the backup did not stop at ${failpoint} within 120 s:\n${stderr}`);
      await sleep(10);
    }
    const partial = (await readdir(airgapDir())).find((n) => n.startsWith('.partial-'));
    expect(partial, 'the unfinished snapshot while frozen').toBeDefined();
    await meddle(join(airgapDir(), partial!));
    process.kill(child.pid!, 'SIGCONT');
  }
  return { code: await done, stderr };
}

describe('backup --format 3: the write protocol', () => {
  for (const parts of [false, true]) {
    it(`a byte of the .tar.gz changed on the drive after it was written: exit 3, nothing kept${parts ? ' (in parts)' : ''}`, async () => {
      const first = await sb.run('backup', '--drive', 'A', '--source', src, '--format', '3');
      expect(first.code, first.stderr).toBe(0);
      const before = (await readdir(airgapDir())).sort();
      await makeTree(join(src, 'new'), { 'c.txt': 'c'.repeat(3 << 20) }); // the increment's own bytes
      const r = await backupAt('write:tar-written', 'stop', [...(parts ? ['--part-size', '1M'] : []), '--full'], async (dir) => {
        const gz = readdirSync(dir).filter((n) => /\.tar\.gz(\.\d{3})?$/.test(n)).sort();
        if (parts) expect(gz.length, `tarball files: ${gz.join(', ')}`).toBeGreaterThan(4);
        else expect(gz).toHaveLength(1);
        const target = join(dir, gz[parts ? 4 : 0]!);
        await flipByte(target, Math.floor(statSync(target).size / 2));
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^error: the tarball read back from drive A differs from what was written/m);
      expect((await readdir(airgapDir())).sort(), 'no new snapshot and no leftover').toEqual(before);
    });
  }

  for (const point of ['write:chunk@2', 'write:gzip-index-written']) {
    it(`killed at ${point}: only a .partial- folder is left, and the next run clears it and writes a snapshot that verifies`, async () => {
      const r = await backupAt(point, 'kill');
      expect(r.code).not.toBe(0);
      expect((await readdir(airgapDir())).filter((n) => /^\d{4}-/.test(n)), 'no snapshot').toEqual([]);
      expect((await readdir(airgapDir())).some((n) => n.startsWith('.partial-'))).toBe(true);
      const next = await sb.run('backup', '--drive', 'A', '--source', src, '--format', '3');
      expect(next.code, next.stderr).toBe(0);
      expect((await readdir(airgapDir())).filter((n) => n.startsWith('.partial-'))).toEqual([]);
      const v = await sb.run('verify', 'A', '--deep');
      expect(v.code, v.stdout + v.stderr).toBe(0);
    });
  }

  it('the folder vanishes mid-write (a pulled drive): an error, not a hang or a stack trace; nothing is committed', async () => {
    let moved = '';
    const r = await backupAt('write:chunk', 'stop', [], async (dir) => {
      moved = `${dir}-moved`;
      await rename(dir, moved);
    });
    expect(r.code).not.toBe(0);
    expectNoCrash('backup', r);
    expect((await readdir(airgapDir())).filter((n) => /^\d{4}-/.test(n)), 'no snapshot').toEqual([]);
  });
});
