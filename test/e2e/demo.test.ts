// The README's demo must run on a fresh machine and show the main job working.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('airgap demo', () => {
  it('labels, backs up, lists, verifies, and catches a flipped byte', async () => {
    const r = await runCli(['demo', '--clean']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const s of ['$ airgap label', 'Snapshot ', '$ airgap list A', 'OK: 1 snapshot verified', 'SHA256SUMS', ': OK', '"Documents/Photos/beach.raw": content does not match', '(exit code 3)']) {
      expect(r.stdout).toContain(s);
    }
  });
});
