// restore/recheck.ts: a drill's read-back of what it restored, each file against its manifest
// size and SHA-256, every failure named with why (and the restore's own reasons kept).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recheckRestored } from '../../src/restore/recheck.js';
import type { ExtractReport } from '../../src/restore/extract.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const dirs: string[] = [];
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }); });

const REPORT: ExtractReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, damaged: [], refused: [], kept: [], missing: [], selectedFiles: 0, outsideLinks: [] };

describe('recheckRestored', () => {
  it('counts the files that read back as the manifest says, and names each one that does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-recheck-'));
    dirs.push(dir);
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'good.txt'), 'good\n');
    await writeFile(join(dir, 'bitrot.txt'), 'bitrot\n');
    await writeFile(join(dir, 'short.txt'), 'short');
    await writeFile(join(dir, 'elsewhere'), 'x');
    await symlink('elsewhere', join(dir, 'link.txt'));
    const r = await recheckRestored(dir, [
      { path: 'docs/good.txt', size: 5, sha256: sha('good\n') },
      { path: 'bitrot.txt', size: 7, sha256: sha('bitrot?') },
      { path: 'short.txt', size: 9, sha256: sha('short....') },
      { path: 'gone.txt', size: 1, sha256: sha('g') },
      { path: 'link.txt', size: 1, sha256: sha('x') },
      { path: 'refused.txt', size: 1, sha256: sha('r') },
    ], { ...REPORT, damaged: [{ path: 'refused.txt', reason: 'content does not match the manifest' }] });
    expect(r.checked).toBe(1);
    expect(r.bytes).toBe(5);
    expect(r.failures).toEqual([
      { path: 'bitrot.txt', reason: 'content does not match its SHA-256 in the manifest' },
      { path: 'short.txt', reason: 'restored with 5 bytes, the manifest says 9' },
      { path: 'gone.txt', reason: 'was not restored' },
      { path: 'link.txt', reason: 'restored as a symlink, not a file' },
      { path: 'refused.txt', reason: 'content does not match the manifest' },
    ]);
  });

  it('stops when cancelled (Ctrl+C), before reading on', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(recheckRestored(tmpdir(), [{ path: 'x', size: 0, sha256: sha('') }], undefined, controller.signal)).rejects.toMatchObject({ code: 'cancelled', exitCode: 130 });
  });
});
