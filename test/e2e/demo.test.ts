// The README's demo must run on a fresh machine and show the main job working.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('airgap demo', () => {
  it('labels, backs up, keeps history, verifies, and catches a flipped byte and what depends on it', async () => {
    const r = await runCli(['demo', '--clean']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const s of ['$ airgap label', 'Snapshot ', '$ airgap list A', 'OK: 1 snapshot verified', 'SHA256SUMS', ': OK', '"Documents/Photos/beach.raw": content does not match', '(exit code 3)',
      // format 2, the default: the second backup onto A stores only the edited note, and the
      // damaged full names the increment that builds on it
      'format 2, FULL', 'format 2, INCREMENTAL on', '1 stored', 'increment on ', '1 later snapshot builds on',
      '1 of their files has its content in what is damaged here']) {
      expect(r.stdout).toContain(s);
    }
  });
});
