// The explicit switch of io/hash-thread.ts: a tarball of HASH_THREAD_MIN_BYTES or more is hashed
// on a thread of its own during verify --deep and restore, a smaller one on the calling thread.
// Both sides run here on every `npm test` (most other tests use small tarballs: the in-thread
// side), through the built CLI as a user runs it, with a damaged byte that must be named. On an
// encrypted drive the thread also opens the age chunks (io/age-feed.ts ThreadAgeFeed).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HASH_THREAD_MIN_BYTES, openHashThread } from '../../src/io/hash-thread.js';
import { labelledDrive, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { flipByte } from '../helpers/damage.js';
import { passphraseFlags } from '../helpers/encrypted.js';

const digest = async (hasher: ReturnType<typeof openHashThread>['hasher'], data: Buffer) => {
  const buf = hasher.alloc(data.length);
  data.copy(buf);
  const h = hasher.create();
  await h.update(buf);
  return h.digest();
};

describe('hash thread switch', () => {
  it('below the threshold hashes here, from it on a thread; both give the SHA-256', async () => {
    const data = randomBytes(1024);
    const want = createHash('sha256').update(data).digest('hex');
    for (const [bytes, threaded] of [[HASH_THREAD_MIN_BYTES - 1, false], [HASH_THREAD_MIN_BYTES, true]] as const) {
      const t = openHashThread(bytes);
      try {
        expect(t.threaded).toBe(threaded);
        expect(await digest(t.hasher, data)).toBe(want);
      } finally {
        await t.close();
      }
    }
  });

  describe('verify --deep and restore of a tarball past the threshold (the threaded side)', () => {
    let sb: Sandbox;
    let drive: string;
    const big = randomBytes(HASH_THREAD_MIN_BYTES + 1024 * 1024);
    beforeAll(async () => {
      sb = await makeSandbox();
      drive = await labelledDrive(sb, 'A');
      const src = join(sb.dir, 'src');
      await mkdir(src);
      await writeFile(join(src, 'big.bin'), big);
      await writeFile(join(src, 'small.txt'), 'small\n');
      const r = await sb.run('backup', '--drive', 'A', '--source', src, '--no-prune');
      expect(r.code, r.stderr).toBe(0);
    });
    afterAll(() => sb.cleanup());

    it('verifies deep, restores byte-identical, and names the member after a flipped byte', async () => {
      const ok = await sb.run('verify', 'A', '--deep');
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      const out = join(sb.dir, 'restored');
      const restored = await sb.run('restore', 'A', '--to', out);
      expect(restored.code, restored.stderr + restored.stdout).toBe(0);
      const files = await readdir(out, { recursive: true });
      const bigPath = files.find((f) => String(f).endsWith('big.bin'))!;
      expect((await readFile(join(out, String(bigPath)))).equals(big)).toBe(true);

      const [id] = (await readdir(join(drive, 'airgap'))).filter((n) => /^\d{4}-/.test(n));
      const tar = join(drive, 'airgap', id!, `${id}.tar`);
      await flipByte(tar, 512 * 8 + 4096); // inside the data of the first large member
      const bad = await sb.run('verify', 'A', '--deep');
      expect(bad.code).toBe(3);
      expect(bad.stdout + bad.stderr).toMatch(/big\.bin/);
    });
  });

  describe('an encrypted tarball past the threshold: opened on the thread', () => {
    let sb: Sandbox;
    let drive: string;
    let pass: string[];
    const big = randomBytes(HASH_THREAD_MIN_BYTES + 1024 * 1024);
    beforeAll(async () => {
      sb = await makeSandbox();
      const src = join(sb.dir, 'src');
      await mkdir(src);
      await writeFile(join(src, 'small.txt'), 'small\n'); // first in the tarball: before the damage
      await writeFile(join(src, 'z-big.bin'), big);
      pass = await passphraseFlags(sb);
      expect((await sb.run('init', '--source', src, '--drives', 'A', '--encrypt', ...pass, '--yes')).code).toBe(0);
      drive = sb.drive('A');
      await mkdir(drive);
      expect((await sb.run('label', drive, '--name', 'A', '--yes')).code).toBe(0);
      const r = await sb.run('backup', '--drive', 'A', ...pass);
      expect(r.code, r.stderr).toBe(0);
    });
    afterAll(() => sb.cleanup());

    it('restores byte-identical; a changed byte is refused as damage, --salvage keeps what came before, deep verify names the member', async () => {
      const out = join(sb.dir, 'restored');
      const restored = await sb.run('restore', 'A', '--to', out, ...pass);
      expect(restored.code, restored.stderr + restored.stdout).toBe(0);
      expect((await readFile(join(out, 'src', 'z-big.bin'))).equals(big)).toBe(true);

      const [id] = (await readdir(join(drive, 'airgap'))).filter((n) => /^\d{4}-/.test(n));
      await flipByte(join(drive, 'airgap', id!, `${id}.tar.age`), 8 * 1024 * 1024);
      const refused = await sb.run('restore', 'A', '--to', join(sb.dir, 'refused'), ...pass);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/tar\.age fails decryption \(damaged; the archive breaks off at byte \d+\); nothing was restored/);
      const salvaged = await sb.run('restore', 'A', '--to', join(sb.dir, 'salvaged'), '--salvage', ...pass);
      expect(salvaged.code).toBe(3);
      expect(await readFile(join(sb.dir, 'salvaged', 'src', 'small.txt'), 'utf8')).toBe('small\n');
      expect(salvaged.stdout + salvaged.stderr).toMatch(/z-big\.bin/);
      const bad = await sb.run('verify', 'A', '--deep', ...pass);
      expect(bad.code).toBe(3);
      expect(bad.stdout + bad.stderr).toMatch(/z-big\.bin/);
    });
  });
});
