// Key files and recipients as text: what we accept, what we refuse (with the line), and that our
// keys are the stock tool's (age-keygen -y derives the same recipient from our key file).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgeKeyError } from '../../src/crypto/age-errors.js';
import { generateKeyPair, keyFileText, parseIdentityFile, parseRecipient, passphraseRecipient, recipientOf } from '../../src/crypto/age-keys.js';
import { noAge } from './age-helpers.js';

// A fixed key pair, as age-keygen 1.1.1 printed it (a test key: it protects nothing).
const KEY = 'AGE-SECRET-KEY-1AEEFVWUA0M326VJFG4HL8G4L2F6PTV8X6K7F8U9WE4HWLCLKTG9SRMPRUH';
const RECIPIENT = 'age1cc7qxytxn9hmrt3x6tkw2m7swyf2yqmp6std2w74d3gpsjnz79jsheh0x3';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'airgap-agekeys-')); });
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('key files', () => {
  it('reads an age-keygen key file: comments, blank lines and CRLF skipped', async () => {
    const text = `# created: 2026-01-01T00:00:00Z\r\n# public key: ${RECIPIENT}\r\n\r\n${KEY}\r\n`;
    expect(await parseIdentityFile(text)).toEqual([{ kind: 'key', identity: KEY }]);
    expect(await recipientOf(KEY)).toBe(RECIPIENT);
  });

  it('reads several keys, one a line', async () => {
    const other = await generateKeyPair();
    expect(await parseIdentityFile(`${KEY}\n${other.identity}\n`)).toHaveLength(2);
  });

  it.each([
    ['an empty file', '', /holds no age secret key/],
    ['only comments', '# public key: age1…\n', /holds no age secret key/],
    ['a changed character (bech32 checksum)', KEY.replace(/H$/, 'J'), /line 1 is not a valid age secret key/],
    ['a recipient instead of a key', `# x\n${RECIPIENT}`, /line 2 is not an age secret key/],
    ['a post-quantum key', 'AGE-SECRET-KEY-PQ-1QQQQ', /line 1 is a post-quantum key: Debian's age 1\.1\.1 cannot use it/],
    ['a plugin key', 'AGE-PLUGIN-YUBIKEY-1QQQQ', /line 1 is an age plugin key/],
    ['an SSH key', '-----BEGIN OPENSSH PRIVATE KEY-----', /line 1 is not an age secret key/],
  ])('refuses %s with a usage error naming the line', async (_what, text, message) => {
    const e = await parseIdentityFile(text, 'key.txt').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgeKeyError);
    expect(e).toMatchObject({ code: 'age-key-invalid', exitCode: 2 });
    expect((e as Error).message).toMatch(message);
  });
});

describe('recipients', () => {
  it('accepts an age1 X25519 recipient', () => {
    expect(parseRecipient(` ${RECIPIENT}\n`)).toEqual({ kind: 'key', recipient: RECIPIENT });
  });

  it.each([
    ['a bad checksum', RECIPIENT.replace(/3$/, 'q'), /not a valid age recipient/],
    ['a post-quantum recipient', 'age1pq1' + 'q'.repeat(100), /post-quantum or tag recipient/],
    ['a tag recipient', 'age1tag1' + 'q'.repeat(50), /post-quantum or tag recipient/],
    ['an SSH key', 'ssh-ed25519 AAAAC3Nza', /is not an age recipient/],
    ['a secret key', KEY, /this is a secret key \(AGE-SECRET-KEY-…\), not a recipient/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseRecipient(text)).toThrow(AgeKeyError);
    expect(() => parseRecipient(text)).toThrow(message);
  });

  it('never echoes any of a secret key given as a recipient (it would reach stderr and the run log)', () => {
    const e = (() => { try { parseRecipient(KEY); } catch (x) { return x as AgeKeyError; } })()!;
    expect(`${e.message} ${e.hint}`).not.toContain(KEY.slice(16, 20));
  });

  it('passphrases: not empty, work factor 1 to 20, default 18', () => {
    expect(passphraseRecipient('p')).toEqual({ kind: 'passphrase', passphrase: 'p', workFactor: 18 });
    expect(() => passphraseRecipient('')).toThrow(AgeKeyError);
    expect(() => passphraseRecipient('p', 0)).toThrow(AgeKeyError);
    expect(() => passphraseRecipient('p', 21)).toThrow(AgeKeyError);
  });
});

describe('generated keys', () => {
  it.skipIf(noAge)('are native X25519 (AGE-SECRET-KEY-1, never PQ), and age-keygen -y derives the same recipient from our key file', async () => {
    const pair = await generateKeyPair();
    expect(pair.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(pair.recipient).toMatch(/^age1[0-9a-z]{58}$/);
    const text = keyFileText(pair, new Date('2026-12-04T10:11:12.345Z'));
    expect(text).toBe(`# created: 2026-12-04T10:11:12Z\n# public key: ${pair.recipient}\n${pair.identity}\n`);
    await writeFile(join(dir, 'key.txt'), text, { mode: 0o600 });
    const r = spawnSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(pair.recipient);
  });

  it.skipIf(noAge)('read back from age-keygen: its key file parses and gives the recipient it printed', async () => {
    const p = join(dir, 'keygen.txt');
    const r = spawnSync('age-keygen', ['-o', p], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const printed = /Public key: (age1\S+)/.exec(r.stderr)![1]!;
    const [id] = await parseIdentityFile(await readFile(p, 'utf8'));
    expect(id?.kind === 'key' && (await recipientOf(id.identity))).toBe(printed);
  });
});
