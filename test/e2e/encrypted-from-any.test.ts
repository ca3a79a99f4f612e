// `restore --from-any` over a rotation whose offsite drive is encrypted (`init --encrypt B`) and
// whose other drive is plain: a copy the key given does not open (or with no key at all) is
// passed over like a damaged one, and said so, because the plain drive's copy restores without
// any key; with the right key the newest (encrypted) copy is taken. When only keys stood in the
// way, the error is the key's (exit 2 or 4), never "damaged". The built CLI against real folders.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/age-keys.js';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';
import { readTree, type Snapshot } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
let right: string;
let wrong: string;
let onA: { id: string; tree: Snapshot };
let onB: { id: string; tree: Snapshot };
let n = 0;
const to = () => join(sb.dir, 'targets', `t${++n}`);
const show = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const chosen = (r: CliResult) => (JSON.parse(r.stdout) as { fromAny: { drive: string; snapshot: string; passedOver: { drive: string; reason: string }[] } }).fromAny;

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  const [key, other] = [await generateKeyPair(), await generateKeyPair()];
  right = join(sb.dir, 'right.txt');
  wrong = join(sb.dir, 'wrong.txt');
  await writeFile(right, key.identity + '\n', { mode: 0o600 });
  await writeFile(wrong, other.identity + '\n', { mode: 0o600 });
  expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A,B', '--encrypt', 'B', '--recipient', key.recipient, '--yes'])).code).toBe(0);
  await labelledDrive(sb, 'A');
  await labelledDrive(sb, 'B');
  const backup = async (drive: string, day: number) => {
    await writeFile(join(src, 'note.txt'), `written on day ${day}\n`);
    const r = await runChecked(sb, ['backup', '--drive', drive, '--allow-connected', '--json'], { AIRGAP_NOW: `2026-12-0${day}T10:00:00Z` });
    expect(r.code, show(r)).toBe(0);
    return { id: JSON.parse(r.stdout).snapshot as string, tree: await readTree(src) };
  };
  onA = await backup('A', 1);
  onB = await backup('B', 2); // newer, encrypted
}, 120_000);

afterAll(() => sb?.cleanup());

describe('restore --from-any with an encrypted drive in the rotation', () => {
  it('with the right key takes the newest copy, the encrypted one', async () => {
    const out = to();
    const r = await runChecked(sb, ['restore', '--from-any', '--to', out, '--identity', right, '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(chosen(r)).toMatchObject({ drive: 'B', snapshot: onB.id, passedOver: [] });
    expect(await readTree(join(out, 'work'))).toEqual(onB.tree);
  });

  it('with no key, or a key that does not open B, falls back to the plain drive and says why', async () => {
    for (const flags of [[], ['--identity', wrong]]) {
      const out = to();
      const r = await runChecked(sb, ['restore', '--from-any', '--to', out, '--json', ...flags]);
      expect(r.code, show(r)).toBe(0);
      const c = chosen(r);
      expect(c).toMatchObject({ drive: 'A', snapshot: onA.id });
      expect(c.passedOver).toHaveLength(1);
      expect(c.passedOver[0]!.drive).toBe('B');
      expect(c.passedOver[0]!.reason).toMatch(flags.length ? /no key given opens/ : /encrypted, and no key or passphrase was given/);
      expect(await readTree(join(out, 'work'))).toEqual(onA.tree);
    }
  });

  it('with the plain drive gone, the key error itself: no key exit 2, a wrong key exit 4, never damaged', async () => {
    await rename(sb.drive('A'), join(sb.dir, 'A-in-the-drawer'));
    try {
      const none = await runChecked(sb, ['restore', '--from-any', '--to', to()]);
      expect(none.code, show(none)).toBe(2);
      expect(none.stderr).toMatch(/^error: .*encrypted, and no key or passphrase was given/m);
      expect(none.stderr).toMatch(/^hint: /m);
      const bad = await runChecked(sb, ['restore', '--from-any', '--to', to(), '--identity', wrong]);
      expect(bad.code, show(bad)).toBe(4);
      expect(bad.stderr).toMatch(/^error: no key given opens .*MANIFEST\.tsv\.gz\.age/m);
      expect(bad.stderr).not.toMatch(/^error: .*damaged/m);
    } finally {
      await rename(join(sb.dir, 'A-in-the-drawer'), sb.drive('A'));
    }
  });
});
