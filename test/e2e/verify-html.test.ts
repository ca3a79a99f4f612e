// verify.html end to end: drives written by the built CLI, damaged the way a failing disk or a
// forger would, checked by the page the CLI wrote on the drive, in headless Chromium from a
// file:// URL (tests/helpers/browser.ts), offline. The page's verdicts per snapshot and per
// file must be the ones `airgap verify --json` gives on the same drive: nothing falsely OK.
import { describe, expect, it } from 'vitest';
import { lstat, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { flipByte } from '../helpers/damage.js';
import { chromiumPerFile, hasChromium, verifyInPage, type PageVerdicts } from '../helpers/browser.js';
import type { DriveReport } from '../../src/core/findings.js';
import { ageKeygen, noAgeTools } from '../helpers/encrypted.js';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';

const chrome = chromiumPerFile();
const sandboxes = chrome.sandboxes;

/** A drive with two snapshots (format 2: a full, then an increment on it), written by the built CLI. */
async function twoSnapshotDrive(): Promise<{ sb: Sandbox; drive: string; older: string; newer: string }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'src');
  await makeTree(src, { 'a.txt': 'hello, airgap\n', 'big.bin': noise(300_000, 'big'), nested: { dir: { 'n.txt': 'nested\n' } } });
  const drive = await labelledDrive(sb, 'A');
  const ids: string[] = [];
  for (const [i, now] of ['2031-03-01T10:00:00Z', '2031-03-02T10:00:00Z'].entries()) {
    if (i === 1) await writeFile(join(src, 'a.txt'), 'changed\n');
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--json'], { AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
    ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  return { sb, drive, older: ids[0]!, newer: ids[1]! };
}

async function cliVerify(sb: Sandbox): Promise<{ code: number; report: DriveReport }> {
  const r = await runChecked(sb, ['verify', 'A', '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

/** The page and the CLI agree: each snapshot's verdict, and which files are not OK, by name. */
function expectAgreement(page: PageVerdicts, report: DriveReport, code: number): void {
  const cli = Object.fromEntries(report.snapshots.map((s) => [s.id, s.status.toUpperCase()]));
  expect(Object.fromEntries(Object.entries(page.snapshots).map(([id, s]) => [id, s.verdict]))).toEqual(cli);
  for (const s of report.snapshots) {
    const cliBad = [...new Set(s.findings.filter((f) => f.severity === 'damage' && f.file).map((f) => f.file!))].sort();
    const pageBad = Object.entries(page.snapshots[s.id]!.files).filter(([, v]) => v !== 'OK').map(([n]) => n).sort();
    expect(pageBad, `snapshot ${s.id}: files not OK`).toEqual(cliBad);
  }
  expect(page.summary).toBe(code === 0 ? 'OK' : 'DAMAGED');
}

async function resum(dir: string, name: string): Promise<void> {
  const sums = join(dir, 'SHA256SUMS');
  const lines = (await readFile(sums, 'utf8')).split('\n');
  const i = lines.findIndex((l) => l.endsWith(`  ${name}`));
  expect(i).toBeGreaterThanOrEqual(0);
  lines[i] = `${sha256(await readFile(join(dir, name)))}  ${name}`;
  await writeFile(sums, lines.join('\n'));
}

describe.skipIf(!hasChromium)('verify.html in headless Chromium agrees with airgap verify', () => {
  it('a clean drive: every snapshot and every file OK, offline', async () => {
    const { sb, drive, older, newer } = await twoSnapshotDrive();
    const page = await verifyInPage(chrome.browser, drive, { screenshot: process.env.AIRGAP_SCREENSHOT });
    expect(page.offline).toEqual([]);
    expect(page.snapshots[older]!.verdict).toBe('OK');
    expect(page.snapshots[newer]!.verdict).toBe('OK');
    expect(Object.values(page.snapshots[newer]!.files)).toContain('OK');
    expect(Object.keys(page.snapshots[older]!.files)).toEqual(expect.arrayContaining([`${older}.tar`, 'snapshot.json', 'MANIFEST.tsv.gz']));
    expect(Object.values(page.snapshots[older]!.files).every((v) => v === 'OK')).toBe(true);
    const { code, report } = await cliVerify(sb);
    expect(code).toBe(0);
    expectAgreement(page, report, code);
    // The drive's top folder picked instead of its airgap folder: the same answer.
    const fromTop = await verifyInPage(chrome.browser, drive, { pick: drive });
    expect(fromTop.snapshots).toEqual(page.snapshots);
  });

  it('a flipped byte in a tarball: that file and its snapshot DAMAGED, the other OK', async () => {
    const { sb, drive, older, newer } = await twoSnapshotDrive();
    await flipByte(join(drive, 'airgap', newer, `${newer}.tar`), 700);
    const page = await verifyInPage(chrome.browser, drive);
    expect(page.snapshots[newer]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[newer]!.files[`${newer}.tar`]).toBe('DAMAGED');
    expect(page.snapshots[older]!.verdict).toBe('OK');
    const { code, report } = await cliVerify(sb);
    expect(code).toBe(3);
    expectAgreement(page, report, code);
  });

  it('a missing file: MISSING by name, its snapshot DAMAGED, and the increment on it too', async () => {
    const { sb, drive, older, newer } = await twoSnapshotDrive();
    await rm(join(drive, 'airgap', older, 'FILES.sha256.gz'));
    const page = await verifyInPage(chrome.browser, drive);
    expect(page.snapshots[older]!.files['FILES.sha256.gz']).toBe('MISSING');
    expect(page.snapshots[older]!.verdict).toBe('DAMAGED');
    // The increment cannot be restored without its base: damaged through its chain.
    expect(page.snapshots[newer]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[newer]!.problems.join('\n')).toContain(`needs snapshot ${older}`);
    const { code, report } = await cliVerify(sb);
    expectAgreement(page, report, code);
  });

  it('a broken chain: the older snapshot rewritten consistently checks out alone; the newer says the chain is broken', async () => {
    const { sb, drive, older, newer } = await twoSnapshotDrive();
    const dir = join(drive, 'airgap', older);
    const meta = JSON.parse(await readFile(join(dir, 'snapshot.json'), 'utf8')) as { host: string };
    meta.host = `${meta.host}-forged`;
    await writeFile(join(dir, 'snapshot.json'), JSON.stringify(meta, null, 2) + '\n');
    await resum(dir, 'snapshot.json');
    const page = await verifyInPage(chrome.browser, drive, { screenshot: process.env.AIRGAP_SCREENSHOT_DAMAGED });
    expect(page.snapshots[older]!.verdict).toBe('OK');
    expect(page.snapshots[newer]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[newer]!.problems.join('\n')).toContain(`chain broken: previous snapshot ${older}`);
    const { code, report } = await cliVerify(sb);
    expect(report.snapshots.find((s) => s.id === newer)!.findings.map((f) => f.code)).toContain('chain-broken');
    expectAgreement(page, report, code);
  });

  // An encrypted drive (issue 18): SHA256SUMS lists the stored .age files, so the page checks
  // them with no key; it says that the content inside needs the passphrase and airgap.
  it.skipIf(noAgeTools)('an encrypted drive: the stored .age files checked without a key, a flipped byte found', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const src = join(sb.dir, 'src');
    await makeTree(src, { 'a.txt': 'secret\n', 'b.bin': noise(100_000, 'b') });
    const [keyFile, pub] = ageKeygen(sb.dir);
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A', '--encrypt', '--recipient', pub, '--yes'])).code).toBe(0);
    await mkdir(sb.drive('A'));
    expect((await runChecked(sb, ['label', sb.drive('A'), '--name', 'A', '--yes'])).code).toBe(0);
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--json', '--identity', keyFile], { AIRGAP_NOW: '2031-03-01T10:00:00Z' });
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
    const clean = await verifyInPage(chrome.browser, sb.drive('A'));
    expect(clean.snapshots[id]!.verdict).toBe('OK');
    expect(clean.snapshots[id]!.files[`${id}.tar.age`]).toBe('OK');
    expect(clean.snapshots[id]!.text).toContain('needs the passphrase and airgap');
    await flipByte(join(sb.drive('A'), 'airgap', id, `${id}.tar.age`), 300);
    const page = await verifyInPage(chrome.browser, sb.drive('A'));
    expect(page.snapshots[id]!.files[`${id}.tar.age`]).toBe('DAMAGED');
    const { code, report } = await cliVerify(sb);
    expect(code).toBe(3);
    expectAgreement(page, report, code);
  });
});

// Not a browser test: the page is on every drive, durably, and follows the installed airgap.
describe('verify.html on the drive', () => {
  const built = resolve(import.meta.dirname, '../../dist/verify.html');

  it('label writes it; the next backup replaces an old one or a link (never written through), and verify counts it as airgap\'s own', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const drive = await labelledDrive(sb, 'A');
    const page = join(drive, 'airgap', 'verify.html');
    expect(await readFile(page)).toEqual(await readFile(built));
    const src = join(sb.dir, 'src');
    await makeTree(src, { 'a.txt': 'a\n' });
    const backup = () => runChecked(sb, ['backup', '--drive', 'A', '--source', src]);
    await writeFile(page, 'an older page\n');
    expect((await backup()).code).toBe(0);
    expect(await readFile(page)).toEqual(await readFile(built));
    const outside = join(sb.dir, 'outside.html');
    await writeFile(outside, 'not on the drive\n');
    await rm(page);
    await symlink(outside, page);
    expect((await backup()).code).toBe(0);
    expect((await lstat(page)).isFile()).toBe(true);
    expect(await readFile(page)).toEqual(await readFile(built));
    expect(await readFile(outside, 'utf8')).toBe('not on the drive\n');
    const v = await runChecked(sb, ['verify', 'A', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect((JSON.parse(v.stdout) as DriveReport).driveFindings).toEqual([]);
  });

  it('is one file that can load and send nothing: its CSP, no URL, no script or style from elsewhere', async () => {
    const html = await readFile(built, 'utf8');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)=/i);
    expect(html).not.toMatch(/\b(fetch|XMLHttpRequest|WebSocket|sendBeacon)\b/);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});
