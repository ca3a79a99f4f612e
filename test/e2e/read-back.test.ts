// Backup reads its tarball back before it commits the snapshot: a byte that reaches the drive
// wrong (simulated by flipping one in the unfinished tarball at the right moment) ends the run
// with exit 3, leaves no snapshot behind, prunes nothing and leaves older snapshots as they were.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { allThreadsStopped } from '../helpers/proc.js';
import { flipByte } from '../helpers/damage.js';
import { makeTree } from '../helpers/tree.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(() => sb.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a backup that stops once the tarball is written, calls `meddle`, then lets it finish. */
async function backupWithMeddling(args: string[], meddle: (partialDir: string) => void | Promise<void>) {
  const child = spawn(process.execPath, [BIN, 'backup', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...sb.env, AIRGAP_FAILPOINT: 'write:tar-written', AIRGAP_FAILPOINT_ACTION: 'stop' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until = Date.now() + 120_000; // a cap for a loaded machine
  while (!allThreadsStopped(child.pid!)) {
    if (Date.now() > until) throw new Error(`the backup did not stop at write:tar-written within 120 s:\n${stderr}`);
    await sleep(10);
  }
  const airgap = join(sb.drive('A'), 'airgap');
  const partial = (await readdir(airgap)).find((n) => n.startsWith('.partial-'));
  expect(partial, 'the unfinished snapshot while frozen').toBeDefined();
  await meddle(join(airgap, partial!));
  process.kill(child.pid!, 'SIGCONT');
  return { code: await done, stdout, stderr };
}

describe('backup reads its tarball back before committing it', () => {
  for (const parts of [false, true]) {
    it(`a byte changed on the drive after it was written: exit 3, nothing kept, older snapshot intact${parts ? ' (tarball in parts)' : ''}`, async () => {
      await labelledDrive(sb, 'A');
      const src = join(sb.dir, 'src');
      await makeTree(src, { 'a.txt': 'hello', big: Buffer.alloc(3 << 20, 9), sub: { dir: { 'b.txt': 'b'.repeat(5000) } } });
      const first = await sb.run('backup', '--drive', 'A', '--source', src);
      expect(first.code, first.stderr).toBe(0);
      const airgap = join(sb.drive('A'), 'airgap');
      const before = (await readdir(airgap)).sort();
      // The second backup is a format 2 increment (the default): it stores what is new, so a new
      // 3 MiB file makes it big enough for four 1 MiB parts.
      await makeTree(join(src, 'new'), { 'c.txt': 'c', 'big2': Buffer.alloc(3 << 20, 5) });

      const extra = parts ? ['--part-size', '1M'] : [];
      const r = await backupWithMeddling(['--drive', 'A', '--source', src, ...extra], async (dir) => {
        const tars = readdirSync(dir).filter((n) => /\.tar(\.\d{3})?$/.test(n)).sort();
        expect(tars.length, `tarball files: ${tars.join(', ')}`).toBe(parts ? 4 : 1);
        const tar = join(dir, tars[parts ? 1 : 0]!);
        await flipByte(tar, Math.floor(statSync(tar).size / 2));
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^error: the tarball read back from drive A differs from what was written/m);
      expect(r.stderr).toMatch(/^hint: .*nothing was pruned/m);
      expect((await readdir(airgap)).sort(), 'no new snapshot and no leftover').toEqual(before);
      const v = await sb.run('verify', 'A', '--deep');
      expect(v.code, v.stdout + v.stderr).toBe(0);
    });
  }

  it('without meddling the same stop-and-resume run commits a snapshot that verifies deep', async () => {
    await labelledDrive(sb, 'A');
    const src = join(sb.dir, 'src');
    await makeTree(src, { 'a.txt': 'hello', big: Buffer.alloc(3 << 20, 9) });
    const r = await backupWithMeddling(['--drive', 'A', '--source', src, '--part-size', '1M'], () => {});
    expect(r.code, r.stderr).toBe(0);
    const v = await sb.run('verify', 'A', '--deep');
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
