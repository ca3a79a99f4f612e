// Whether this run may mount a tmpfs (a real small drive for the full-drive tests): root, and a
// kernel that lets it. The tests that need it are skipped, with this reason, where it cannot.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why tmpfs cannot be mounted here, or undefined when it can. */
export function whyNoMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const dir = mkdtempSync(join(tmpdir(), 'airgap-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `mount does not work here: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
