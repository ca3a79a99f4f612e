// An encrypted rotation with a key of the user's own and no passphrase (`init --encrypt
// --recipient age1…`, the key made by the stock age-keygen): no drive key, no KEY.age; backups
// need no secret but to build an increment (`--identity`); every snapshot's RESTORE.txt, run
// literally with only DRIVE= and KEYFILE= filled in, gives the day back with the stock age and
// GNU tar; `airgap restore --identity` too; another key is refused (exit 4), never "damaged".
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';
import { makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { ageKeygen, noAgeTools, runEncryptedRestore } from '../helpers/encrypted.js';
import { readTree, type Snapshot } from '../helpers/tree.js';

let sb: Sandbox;
let src: string;
let keyFile: string;
const days: { id: string; expected: Snapshot }[] = [];

beforeAll(async () => {
  if (noAgeTools) return;
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  let pub: string;
  [keyFile, pub] = ageKeygen(sb.dir);
  expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A', '--encrypt', '--recipient', pub, '--yes'])).code).toBe(0);
  await mkdir(sb.drive('A'));
  expect((await runChecked(sb, ['label', sb.drive('A'), '--name', 'A', '--yes'])).code).toBe(0);
  for (let n = 0; n < 2; n++) {
    await writeFile(join(src, `day-${n}.txt`), `written on day ${n}\n`);
    if (n === 1) await rm(join(src, 'day-0.txt'));
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--json', '--identity', keyFile], { AIRGAP_NOW: `2026-12-0${n + 1}T10:00:00Z`, AIRGAP_RACY_SECONDS: '0' });
    expect(r.code, r.stderr).toBe(0);
    days.push({ id: JSON.parse(r.stdout).snapshot, expected: await readTree(src) });
  }
}, 120_000);

afterAll(() => sb?.cleanup());

describe.skipIf(noAgeTools)('encrypted to a key of your own', () => {
  it('has no drive key: nothing on the drive opens with a passphrase', async () => {
    expect(await readdir(join(sb.drive('A'), 'airgap'))).not.toContain('KEY.age');
  });

  it("every snapshot's RESTORE.txt, run literally with the key file, gives the day back", async () => {
    for (const d of days) {
      const home = await mkdtemp(join(sb.dir, 'home-'));
      await runEncryptedRestore(join(sb.drive('A'), 'airgap', d.id, RESTORE_FILE), sb.drive('A'), { shell: ['sh'], env: { PATH: process.env.PATH!, HOME: home }, keyFile, workDir: sb.dir });
      expect(await readTree(join(home, `restored-${d.id}`, 'work')), d.id).toEqual(d.expected);
    }
  });

  it('airgap restore --identity gives it back; another key is a refusal, not damage', async () => {
    const to = join(sb.dir, 'restored');
    const r = await runChecked(sb, ['restore', 'A', '--to', to, '--identity', keyFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readTree(join(to, 'work'))).toEqual(days[1]!.expected);
    const [other] = ageKeygen(sb.dir, 'other-key.txt');
    const bad = await runChecked(sb, ['restore', 'A', '--to', join(sb.dir, 'nope'), '--identity', other]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/^error: no key given opens .*\(encrypted to 1 recipient: X25519\)/m);
    expect(bad.stderr).toMatch(/^hint: give the key file used for this drive/m);
    const deep = await runChecked(sb, ['verify', 'A', '--deep']);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toMatch(/^error: .* is encrypted, and no key or passphrase was given/m);
  });
});
