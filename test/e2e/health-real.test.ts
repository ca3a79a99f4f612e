// `airgap health` with the real smartctl, on a real mount: an ext4 image on a loop device,
// found with no --device (findmnt, then lsblk's disk), read by smartmontools itself. A loop
// device has no SMART, as this machine's virtual disk has none (fixtures/smartctl/vm-*.json):
// the answer is the `smart-unavailable` refusal, every -d type tried. Needs root, losetup,
// mkfs.ext4 and smartctl; skipped (the reason printed) otherwise.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoCrash, runCli } from '../helpers/cli.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['losetup', 'mount', 'umount', 'mkfs.ext4', 'findmnt', 'lsblk', 'smartctl']) if (!has(tool)) return `${tool} missing`;
  if (spawnSync('losetup', ['-f']).status !== 0) return 'no free loop device';
  return undefined;
}
const reason = skipReason();
if (reason) console.log(`skipping the real smartctl test: ${reason}`);

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const undo: (() => void)[] = [];
afterEach(async () => { for (const f of undo.splice(0).reverse()) { try { f(); } catch { /* already gone */ } } });

describe.skipIf(reason !== undefined)('airgap health with the real smartctl', () => {
  it('a drive on a loop device: its disk found by itself, smartctl tries every type, no SMART: exit 4, error and hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-health-real-'));
    undo.push(() => spawnSync('rm', ['-rf', dir]));
    const img = join(dir, 'a.img');
    sh('truncate', ['-s', '64M', img]);
    sh('mkfs.ext4', ['-q', '-L', 'HEALTH', img]);
    const loop = sh('losetup', ['-f', '--show', img]).trim();
    undo.push(() => sh('losetup', ['-d', loop]));
    const mnt = join(dir, 'mnt', 'A');
    await mkdir(mnt, { recursive: true });
    sh('mount', [loop, mnt]);
    undo.push(() => sh('umount', [mnt]));
    const env = { AIRGAP_STATE_DIR: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'), AIRGAP_MOUNT_ROOTS: join(dir, 'mnt') };
    expect((await runCli(['label', mnt, '--name', 'A', '--yes'], env)).code).toBe(0);
    const r = await runCli(['health', 'A'], env);
    expectNoCrash('health', r);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^error: smartctl read no SMART data from ${loop} \\(drive A\\): tried smartctl -d auto, sat, usbjmicron, usbprolific, usbcypress, usbsunplus, sntjmicron, sntasmedia, sntrealtek; smartctl said: ${loop}: Unable to detect device type`, 'm'));
    expect(r.stderr).toMatch(/^hint: a virtual disk, a card reader or a RAID volume has none/m);
  });
});
