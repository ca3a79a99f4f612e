// Setting encryption up, as a user does, and what the CLI refuses (issue 18's bad inputs on the
// writing side), each with one error and one hint and nothing lost:
// - init --encrypt with a passphrase file: config with public keys only, key.age private beside it;
// - the recovery sheet: a self-contained page whose key opens the drive's files with stock age;
// - a drive labelled before encryption, and an encrypted drive met by a config that writes plain:
//   both refused before anything is written;
// - --recipient that is not an age key, a post-quantum key, an empty passphrase file.
import { execFileSync } from 'node:child_process';
import { readdir, mkdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { ageKeygen, noAgeTools, passphraseFlags } from '../helpers/encrypted.js';

let sb: Sandbox;
let src: string;
let pass: string[];
const configDir = () => join(sb.dir, 'config', 'airgap');

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'work');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'a.txt'), 'a\n');
  pass = await passphraseFlags(sb);
});
afterAll(() => sb.cleanup());

describe.skipIf(noAgeTools)('encryption set up by the CLI', () => {
  it('init --encrypt writes only public keys in the config, the wrapped drive key beside it (private), and says what it means', async () => {
    const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B', '--encrypt', ...pass, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/encrypt: every drive, with age; restoring needs the passphrase/);
    expect(r.stdout).toMatch(/recovery-sheet/);
    const config = JSON.parse(await readFile(join(configDir(), 'config.json'), 'utf8'));
    expect(config.encryption.recipients).toHaveLength(1);
    expect(config.encryption.driveKey).toBe(config.encryption.recipients[0]);
    expect(JSON.stringify(config)).not.toMatch(/AGE-SECRET-KEY/i);
    expect((await stat(join(configDir(), 'key.age'))).mode & 0o777).toBe(0o600);
  });

  it('a second init --encrypt --force never replaces the drive key (drives may need it)', async () => {
    const before = await readFile(join(configDir(), 'key.age'));
    const r = await runChecked(sb, ['init', '--source', src, '--drives', 'A,B', '--encrypt', ...pass, '--yes', '--force']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: a drive key exists already/m);
    expect(r.stderr).toMatch(/^hint: /m);
    expect((await readFile(join(configDir(), 'key.age'))).equals(before)).toBe(true);
  });

  it('label puts KEY.age on the drive and marks it encrypted; the first backup needs no passphrase', async () => {
    await mkdir(sb.drive('A'));
    expect((await runChecked(sb, ['label', sb.drive('A'), '--name', 'A', '--yes'])).code).toBe(0);
    const id = JSON.parse(await readFile(join(sb.drive('A'), 'airgap', 'drive.json'), 'utf8'));
    expect(id.encryption.recipients).toHaveLength(1);
    expect(id.host).toBe('');
    expect((await readFile(join(sb.drive('A'), 'airgap', 'KEY.age'))).equals(await readFile(join(configDir(), 'key.age')))).toBe(true);
    expect(await readFile(join(sb.drive('A'), 'airgap', 'README.txt'), 'utf8')).toMatch(/THIS DRIVE IS ENCRYPTED/);
    const b = await runChecked(sb, ['backup', '--drive', 'A'], { AIRGAP_NOW: '2026-12-01T10:00:00Z' });
    expect(b.code, b.stderr).toBe(0);
  });

  it('the recovery sheet is one self-contained page whose key opens the snapshot with stock age', async () => {
    const out = join(sb.dir, 'sheet.html');
    const r = await runChecked(sb, ['recovery-sheet', '--output', out, ...pass]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SECRET/);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/SECRET/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!age-encryption)|src=/i);
    const secret = /AGE-SECRET-KEY-1[0-9A-Z]+/.exec(html)![0];
    await writeFile(join(sb.dir, 'key.txt'), secret + '\n');
    const [id] = await readdir(join(sb.drive('A'), 'airgap')).then((n) => n.filter((x) => /^\d{4}-/.test(x)));
    const tar = execFileSync('sh', ['-c', `age -d -i '${join(sb.dir, 'key.txt')}' '${join(sb.drive('A'), 'airgap', id!, `${id}.tar.age`)}' | tar -tf -`], { encoding: 'utf8' });
    expect(tar).toMatch(/work\/a\.txt/);
    expect((await runChecked(sb, ['recovery-sheet', '--output', out, ...pass])).code).toBe(4); // never over an existing file
  });

  it('a drive labelled before encryption was set up is refused, and the hint marks it', async () => {
    const cfg = join(configDir(), 'config.json');
    const config = JSON.parse(await readFile(cfg, 'utf8'));
    await writeFile(cfg, JSON.stringify({ ...config, encryption: undefined }));
    await mkdir(sb.drive('B'));
    expect((await runChecked(sb, ['label', sb.drive('B'), '--name', 'B', '--yes'])).code).toBe(0);
    await writeFile(cfg, JSON.stringify(config));
    const r = await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected'], { AIRGAP_NOW: '2026-12-02T10:00:00Z' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: the config encrypts drive B, but the drive is marked plain/m);
    expect(r.stderr).toMatch(/^hint: .*airgap label .* --name B --force --encrypt/m);
    expect((await readdir(join(sb.drive('B'), 'airgap'))).filter((n) => /^\d{4}-/.test(n))).toEqual([]);
    const fix = await runChecked(sb, ['label', sb.drive('B'), '--name', 'B', '--force', '--encrypt', '--yes']);
    expect(fix.code, fix.stderr).toBe(0);
    expect((await runChecked(sb, ['backup', '--drive', 'B', '--allow-connected'], { AIRGAP_NOW: '2026-12-02T10:00:00Z' })).code).toBe(0);
  });

  it('an encrypted drive met by a config that writes plain is refused: nothing is written in the clear', async () => {
    const cfg = join(configDir(), 'config.json');
    const config = JSON.parse(await readFile(cfg, 'utf8'));
    await rename(cfg, cfg + '.enc');
    await writeFile(cfg, JSON.stringify({ ...config, encryption: undefined }));
    const before = await readdir(join(sb.drive('A'), 'airgap'));
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--allow-connected'], { AIRGAP_NOW: '2026-12-03T10:00:00Z' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: drive A is encrypted .* does not encrypt it/m);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(await readdir(join(sb.drive('A'), 'airgap'))).toEqual(before);
    await rename(cfg + '.enc', cfg);
  });

  it("a damaged KEY.age on the drive falls back to the host's key.age; with both unusable it is a refusal, never damage", async () => {
    const onDrive = join(sb.drive('A'), 'airgap', 'KEY.age');
    const good = await readFile(onDrive);
    await writeFile(onDrive, Buffer.concat([good.subarray(0, good.length - 3), Buffer.from('xyz')]));
    try {
      const ok = await runChecked(sb, ['verify', 'A', '--deep', ...pass]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const hostKey = join(configDir(), 'key.age');
      const saved = await readFile(hostKey);
      await writeFile(hostKey, Buffer.from('not an age file'));
      try {
        const bad = await runChecked(sb, ['verify', 'A', '--deep', ...pass]);
        expect(bad.code, bad.stdout + bad.stderr).toBe(4);
        expect(bad.stderr).toMatch(/^error: the drive key cannot be opened/m);
        expect(bad.stdout).not.toMatch(/DAMAGED/);
      } finally {
        await writeFile(hostKey, saved);
      }
    } finally {
      await writeFile(onDrive, good);
    }
  });

  it('label --encrypt that is refused leaves the config and key.age as they were', async () => {
    const other = await makeSandbox();
    try {
      expect((await runChecked(other, ['init', '--source', src, '--drives', 'A,B', '--yes'])).code).toBe(0);
      const cfg = join(other.dir, 'config', 'airgap', 'config.json');
      const before = await readFile(cfg, 'utf8');
      const r = await runChecked(other, ['label', join(other.dir, 'no-such-disk'), '--name', 'B', '--encrypt', '--yes', ...pass]);
      expect(r.code).toBe(2);
      expect(await readFile(cfg, 'utf8')).toBe(before);
      await expect(stat(join(other.dir, 'config', 'airgap', 'key.age'))).rejects.toThrow();
    } finally {
      await other.cleanup();
    }
  });

  it('bad keys and passphrases are usage errors that say what is wrong', async () => {
    const other = await makeSandbox();
    try {
      const [, pub] = ageKeygen(other.dir);
      const cases: [string[], RegExp][] = [
        [['--encrypt', '--recipient', 'age1notakey'], /is not an age recipient/],
        [['--encrypt', '--recipient', pub.replace(/.$/, pub.endsWith('q') ? 'p' : 'q')], /not a valid age recipient/],
        [['--recipient', pub], /--recipient is for --encrypt/],
        [['--encrypt'], /encryption needs a passphrase or a key of your own/],
      ];
      await writeFile(join(other.dir, 'empty'), '');
      cases.push([['--encrypt', '--passphrase-file', join(other.dir, 'empty')], /passphrase file .* is empty/]);
      cases.push([['--encrypt', '--passphrase-env', 'AIRGAP_TEST_UNSET_VAR'], /AIRGAP_TEST_UNSET_VAR .* is not set/]);
      await writeFile(join(other.dir, 'short'), 'short\n');
      cases.push([['--encrypt', '--passphrase-file', join(other.dir, 'short')], /fewer than 8 characters/]);
      cases.push([['--encrypt', 'offsite', ...pass], /no drive of the rotation is kept offsite/]);
      await writeFile(join(other.dir, 'tab'), 'pass\tword long\n');
      cases.push([['--encrypt', '--passphrase-file', join(other.dir, 'tab')], /control character/]);
      for (const [flags, message] of cases) {
        const r = await runChecked(other, ['init', '--source', src, '--drives', 'A,B', '--yes', ...flags]);
        expect(r.code, flags.join(' ')).toBe(2);
        expect(r.stderr, flags.join(' ')).toMatch(message);
        expect(r.stderr).toMatch(/^hint: /m);
      }
      // The passphrase file's first line is the passphrase: what follows it is not.
      const third = await makeSandbox();
      try {
        await writeFile(join(third.dir, 'p'), '\uFEFFfirst line only\r\n\n# a note\n');
        expect((await runChecked(third, ['init', '--source', src, '--drives', 'A', '--yes', '--encrypt', '--passphrase-file', join(third.dir, 'p')])).code).toBe(0);
        const sheet = await runChecked(third, ['recovery-sheet'], { AIRGAP_TEST_PASS: 'first line only' });
        expect(sheet.code).toBe(2); // no passphrase given, not a terminal
        const viaEnv = await runChecked(third, ['recovery-sheet', '--passphrase-env', 'AIRGAP_TEST_PASS'], { AIRGAP_TEST_PASS: 'first line only' });
        expect(viaEnv.code, viaEnv.stderr).toBe(0);
      } finally {
        await third.cleanup();
      }
      // Keys of one's own only: no passphrase, no key.age.
      const ok = await runChecked(other, ['init', '--source', src, '--drives', 'A,B', '--yes', '--encrypt', 'B', '--recipient', pub]);
      expect(ok.code, ok.stderr).toBe(0);
      const config = JSON.parse(await readFile(join(other.dir, 'config', 'airgap', 'config.json'), 'utf8'));
      expect(config.encryption).toEqual({ recipients: [pub], drives: ['B'] });
      await expect(stat(join(other.dir, 'config', 'airgap', 'key.age'))).rejects.toThrow();
    } finally {
      await other.cleanup();
    }
  });
});
