// An encrypted drive, written by the CLI as a user sets it up (issue 18's "Done when"):
// `init --encrypt` with a passphrase, `label`, a week of backups of a changing folder (a full and
// increments; the tarball in parts), then:
// - nothing on the drive names a file, a folder, the source path or the host;
// - `sha256sum -c SHA256SUMS` and `airgap verify` pass WITHOUT any key; `verify --deep` with it;
// - every snapshot's RESTORE.txt, run literally with the stock age (the passphrase typed at its
//   prompt) and GNU tar, bsdtar and busybox tar, gives that day's folder back;
// - `airgap restore` with the passphrase gives it back too, and one named file alone.
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_FILE } from '../../src/layout/restore-text.js';
import { makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { allBytes, noAgeTools, passphraseFlags, runEncryptedRestore } from '../helpers/encrypted.js';
import { STOCK_RUNS, tarShim } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { noise } from '../helpers/bytes.js';

interface Day { id: string; expected: Snapshot; kind: string }

let sb: Sandbox;
let src: string;
let drive: string;
let pass: string[];
const days: Day[] = [];
const SECRET_NAME = 'salaries-confidential';

async function change(n: number): Promise<void> {
  if (n === 0) {
    await mkdir(join(src, 'docs', SECRET_NAME), { recursive: true });
    await writeFile(join(src, 'docs', SECRET_NAME, 'alice.txt'), 'alice: 100\n');
    await writeFile(join(src, 'docs', 'notes.txt'), 'notes\n');
    // Past the 16 MiB where a plain chain stores a file changed in place as its changed blocks.
    await writeFile(join(src, 'big-mailbox.mbox'), noise(17 * 1024 * 1024 + 5, 'big'));
  } else if (n === 1) {
    await writeFile(join(src, 'docs', 'notes.txt'), 'notes, edited\n');
    await writeFile(join(src, 'docs', 'added.txt'), 'added on day 1\n');
  } else if (n === 2) {
    await rm(join(src, 'docs', 'added.txt'));
    await writeFile(join(src, 'docs', SECRET_NAME, 'bob.txt'), 'bob: 90\n');
    // Changed in place: a dd line in RESTORE.txt would name it; an encrypted chain stores it whole.
    const fh = await open(join(src, 'big-mailbox.mbox'), 'r+');
    await fh.write(Buffer.from('new mail'), 0, 8, 5 * 1024 * 1024);
    await fh.close();
  }
}

beforeAll(async () => {
  if (noAgeTools) return;
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  pass = await passphraseFlags(sb);
  await runChecked(sb, ['init', '--source', src, '--drives', 'A', '--encrypt', ...pass, '--yes']);
  drive = sb.drive('A');
  await mkdir(drive);
  const l = await runChecked(sb, ['label', drive, '--name', 'A', '--yes']);
  expect(l.code, l.stderr).toBe(0);
  for (let n = 0; n < 3; n++) {
    await change(n);
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--part-size', '1M', '--json', ...pass],
      { AIRGAP_NOW: `2026-12-0${n + 1}T10:00:00Z`, AIRGAP_RACY_SECONDS: '0' });
    expect(r.code, `day ${n}: ${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout);
    days.push({ id: out.snapshot, expected: await readTree(src), kind: out.meta.kind });
  }
}, 240_000);

afterAll(() => sb?.cleanup());

describe.skipIf(noAgeTools)('an encrypted drive written by the CLI', () => {
  it('holds a full and increments, encrypted, with the drive key under the passphrase', async () => {
    expect(days.map((d) => d.kind)).toEqual(['full', 'incremental', 'incremental']);
    const full = execFileSync('ls', [join(drive, 'airgap', days[0]!.id)], { encoding: 'utf8' });
    expect(full).toMatch(/\.tar\.age\.000/);
    expect(full).toMatch(/MANIFEST\.tsv\.gz\.age/);
    expect(full).not.toMatch(/^MANIFEST\.tsv\.gz$/m);
    execFileSync('test', ['-f', join(drive, 'airgap', 'KEY.age')]);
  });

  it('names no file, folder, source path or host anywhere on the drive', async () => {
    // Long words anywhere (a short one turns up in random ciphertext by chance: this host is "vm");
    // the host, however short, in every file that is not an age file.
    const bytes = await allBytes(drive);
    for (const word of [SECRET_NAME, 'alice.txt', 'notes.txt', 'big-mailbox', src]) expect(bytes.includes(Buffer.from(word)), word).toBe(false);
    const plain = await allBytes(drive, (f) => !f.endsWith('.age'));
    expect(plain.includes(Buffer.from(`"${hostname()}"`)), hostname()).toBe(false);
    expect(plain.toString()).not.toMatch(/work\/docs/);
  });

  it('sha256sum -c SHA256SUMS and airgap verify pass without any key', async () => {
    for (const d of days) execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: join(drive, 'airgap', d.id) });
    const r = await runChecked(sb, ['verify', 'A']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/warning|not something airgap wrote/); // KEY.age is airgap's own
  });

  it('verify --deep with the passphrase checks every member', async () => {
    const r = await runChecked(sb, ['verify', 'A', '--deep', ...pass]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    it(`RESTORE.txt run literally with age (${label}) gives every day back`, async () => {
      const path = tarCommand ? `${await tarShim(sb.dir, label.replace(/\W+/g, '-'), tarCommand)}:${process.env.PATH}` : process.env.PATH!;
      for (const d of days) {
        const home = await mkdtemp(join(sb.dir, 'home-'));
        await runEncryptedRestore(join(drive, 'airgap', d.id, RESTORE_FILE), drive, { shell, env: { PATH: path, HOME: home }, workDir: sb.dir });
        expect(await readTree(join(home, `restored-${d.id}`, 'work')), `${label}: ${d.id}`).toEqual(d.expected);
        await rm(home, { recursive: true, force: true });
      }
    }, 180_000);
  }

  it('airgap restore with the passphrase gives an older day back, and one named file alone', async () => {
    const to = join(sb.dir, 'restored-by-airgap');
    const r = await runChecked(sb, ['restore', 'A', '--snapshot', days[1]!.id, '--to', to, ...pass]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readTree(join(to, 'work'))).toEqual(days[1]!.expected);
    const one = join(sb.dir, 'one-file');
    const f = await runChecked(sb, ['restore', 'A', `work/docs/${SECRET_NAME}/bob.txt`, '--to', one, ...pass]);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    expect(execFileSync('cat', [join(one, 'work', 'docs', SECRET_NAME, 'bob.txt')], { encoding: 'utf8' })).toBe('bob: 90\n');
  });
});
