// io/durable.ts writes airgap's own small files on a drive (drive.json, README.txt) and the
// host's config: a drive is untrusted input, so a link planted under the temporary name must
// not be written through, and a FIFO where a folder is expected must not block the fsync.
import { execFileSync } from 'node:child_process';
import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDir, writeFileAtomic } from '../../src/io/durable.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-durable-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('never writes through a link planted under its temporary name', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'keep me\n');
    const target = join(dir, 'README.txt');
    await symlink(outside, join(dir, `.README.txt.tmp-${process.pid}`));
    await writeFileAtomic(target, 'new text\n');
    expect(await readFile(outside, 'utf8')).toBe('keep me\n');
    expect((await lstat(target)).isFile()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new text\n');
  });

  it('keeps the permissions of the file it replaces (a private config stays private)', async () => {
    const target = join(dir, 'config.json');
    await writeFile(target, '{}\n');
    await chmod(target, 0o600);
    await writeFileAtomic(target, '{"a":1}\n');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });
});

describe('fsyncDir', () => {
  it('refuses a FIFO where a folder is expected, without blocking', async () => {
    const fifo = join(dir, 'airgap');
    execFileSync('mkfifo', [fifo]);
    await expect(fsyncDir(fifo)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
