// Format 3's tarball cut into parts (`--part-size`, as on FAT32 drives: the `.tar.gz` bytes in
// `<ID>.tar.gz.000`, `.001`, …) and sealed (an encrypted rotation: compressed first, then sealed,
// `<ID>.tar.gz.age` and `<ID>.tar.gz.idx.age`), each written by the CLI as a full and an
// increment: the stored files agree with the index and snapshot.json (helpers/format3.ts), and
// every snapshot's RESTORE.txt, run literally (`cat … | tar -xzpf -`, `age -d … | tar -xzpf -`),
// gives the day back with GNU tar, bsdtar and busybox tar.
import { createCipheriv } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { ageKeygen, noAgeTools, runEncryptedRestore } from '../helpers/encrypted.js';
import { checkFormat3Folder, missingTar, type Format3Meta } from '../helpers/format3.js';
import { restoreScript, runScript, STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';

const MiB = 1 << 20;
const noise = (seed: number, n: number): Buffer => createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
const text = (seed: number, n: number): string => Array.from({ length: n }, (_, k) => `line ${k} of file ${seed}`).join('\n');

interface Day { id: string; meta: Format3Meta; expected: Snapshot }

let sb: Sandbox;
let src: string;
let keyFile = '';
const parts: Day[] = [];
const sealed: Day[] = [];

/** Two days of a folder: a full, then an increment with a change, an addition and a deletion. */
async function twoDays(driveName: string, days: Day[], args: string[], env: Record<string, string> = {}): Promise<void> {
  for (let n = 0; n < 2; n++) {
    if (n === 1) {
      await writeFile(join(src, 'a.txt'), text(7, 5000));
      await writeFile(join(src, 'sub', 'new.bin'), noise(8, 2 * MiB));
      await rm(join(src, 'gone.txt'));
    }
    const r = await runChecked(sb, ['backup', '--source', src, '--drive', driveName, '--json', '--format', '3', ...args],
      { AIRGAP_NOW: `2026-07-0${n + 1}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0', ...env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    days.push({ id: out.snapshot, meta: out.meta, expected: await readTree(src, { hashContent: true }) });
  }
}

async function seed(): Promise<void> {
  await rm(src, { recursive: true, force: true });
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'a.txt'), text(1, 20000));
  await writeFile(join(src, 'gone.txt'), text(2, 100));
  await writeFile(join(src, 'sub', 'big.bin'), noise(3, 3 * MiB + 5)); // a stored block or three: parts of 1 MiB
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await seed();
  await labelledDrive(sb, 'P');
  await twoDays('P', parts, ['--part-size', '1MiB']);
  if (noAgeTools) return;
  // An encrypted rotation to a key of the user's own (no passphrase): init writes the config.
  let pub: string;
  [keyFile, pub] = ageKeygen(sb.dir);
  expect((await runChecked(sb, ['init', '--source', src, '--drives', 'E', '--encrypt', '--recipient', pub, '--yes'])).code).toBe(0);
  await seed();
  await mkdir(sb.drive('E'));
  expect((await runChecked(sb, ['label', sb.drive('E'), '--name', 'E', '--yes'])).code).toBe(0);
  await twoDays('E', sealed, ['--identity', keyFile]);
}, 300_000);

afterAll(() => sb?.cleanup());

const folder = (drive: string, id: string) => join(sb.drive(drive), 'airgap', id);

describe('format 3 in parts (--part-size 1MiB)', () => {
  it('the .tar.gz is cut into .tar.gz.000, .001, …; joined, it agrees with its index and snapshot.json', async () => {
    expect(parts.map((d) => d.meta.kind)).toEqual(['full', 'incremental']);
    for (const d of parts) {
      expect(d.meta.tarball.parts!.length, d.id).toBeGreaterThan(1);
      await checkFormat3Folder(folder('P', d.id), d.id, d.meta);
      expect(await readFile(join(folder('P', d.id), RESTORE_FILE), 'utf8')).toContain(`cat "$DRIVE/airgap/${d.id}/${d.id}.tar.gz".[0-9][0-9][0-9] | tar -xzpf - -C "$TARGET"`);
    }
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it.skipIf(missingTar(label))(`RESTORE.txt run literally (${label}) joins the parts and gives each day back`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of parts) {
        const home = await mkdtemp(join(sb.dir, 'home-'));
        const out = runScript(shell, await restoreScript(join(folder('P', d.id), RESTORE_FILE), sb.drive('P')), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        expect(await readTree(join(home, `restored-${d.id}`, 'work'), { hashContent: true }), `${label}: ${d.id}`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 120_000);
  }
});

describe.skipIf(noAgeTools)('format 3, encrypted (compressed, then sealed)', () => {
  it('<ID>.tar.gz.age and <ID>.tar.gz.idx.age: decrypted, they agree with each other and snapshot.json; nothing plain is left', async () => {
    expect(sealed.map((d) => d.meta.kind)).toEqual(['full', 'incremental']);
    for (const d of sealed) {
      await checkFormat3Folder(folder('E', d.id), d.id, d.meta, keyFile);
      // The index names no file, but it is sealed as the other files are (docs/FORMAT.md).
      const idx = await readFile(join(folder('E', d.id), `${d.id}.tar.gz.idx.age`));
      expect(idx.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(await readFile(join(folder('E', d.id), RESTORE_FILE), 'utf8')).toContain(`age -d -i "$WORK/key.txt" "$DRIVE/airgap/${d.id}/${d.id}.tar.gz.age" | tar -xzpf - -C "$TARGET"`);
    }
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it.skipIf(missingTar(label))(`RESTORE.txt run literally with the key file (${label}) gives each day back`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of sealed) {
        const home = await mkdtemp(join(sb.dir, 'home-'));
        await runEncryptedRestore(join(folder('E', d.id), RESTORE_FILE), sb.drive('E'), { shell, env: { PATH: path, HOME: home }, keyFile, workDir: sb.dir });
        expect(await readTree(join(home, `restored-${d.id}`, 'work'), { hashContent: true }), `${label}: ${d.id}`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
