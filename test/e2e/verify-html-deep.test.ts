// verify.html's deep mode end to end: drives written by the built CLI, damaged the way a failing
// disk or a forger would, checked by the page the CLI wrote on the drive, in headless Chromium
// with "Deep check" ticked. Its verdicts per snapshot, per file and per tarball member must be
// the ones `airgap verify --deep --json` gives on the same drive: the page's own tar reader
// (src/page/tar-walk.ts) is compared with the CLI's here, on the same bytes.
import { describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';
import { noise, sha256 } from '../helpers/bytes.js';
import { chromiumPerFile, hasChromium, verifyInPage, type PageVerdicts } from '../helpers/browser.js';
import type { DriveReport } from '../../src/core/findings.js';
import { memberDataOffset, TarReader } from '../../src/layout/tar-reader.js';
import { ageKeygen, noAgeTools } from '../helpers/encrypted.js';
import { mkdir } from 'node:fs/promises';

const chrome = chromiumPerFile();
const sandboxes = chrome.sandboxes;

// A name longer than ustar's 100 bytes (a pax header), non-ASCII (pax too), a link, a nested folder.
const LONG = `${'long-name-'.repeat(12)}.txt`;
const TREE = {
  'a.txt': 'hello, airgap\n', 'big.bin': noise(300_000, 'big'), [LONG]: 'long\n', 'ünïcode.txt': 'u\n',
  nested: { dir: { 'n.txt': 'nested\n' } },
};

/** A drive written by the built CLI: one snapshot per time, a.txt changed before each one after the first. */
async function drive(times: string[], format: 1 | 2): Promise<{ sb: Sandbox; dir: string; ids: string[] }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'src');
  await makeTree(src, TREE);
  const dir = await labelledDrive(sb, 'A');
  const ids: string[] = [];
  for (const [i, now] of times.entries()) {
    if (i > 0) await writeFile(join(src, 'a.txt'), `changed ${i}\n`);
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--format', String(format), '--json'], { AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
    ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  return { sb, dir, ids };
}

const T1 = '2031-03-01T10:00:00Z';
const T2 = '2031-03-02T10:00:00Z';

async function cliDeep(sb: Sandbox): Promise<{ code: number; report: DriveReport }> {
  const r = await runChecked(sb, ['verify', 'A', '--deep', '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as DriveReport };
}

/** Codes of the walk's findings that name no member and no file (the page lists them under "Deep check"). */
const WALK_CODES = new Set(['archive-damaged', 'members-unchecked', 'trailing-garbage', 'manifest-invalid', 'carried-unchecked', 'more-members-damaged']);

/** The page and `verify --deep` agree: each snapshot's verdict, its files, its members, the walk's findings, the later files hit. */
function expectDeepAgreement(page: PageVerdicts, report: DriveReport, code: number): void {
  expect(Object.fromEntries(Object.entries(page.snapshots).map(([id, s]) => [id, s.verdict])))
    .toEqual(Object.fromEntries(report.snapshots.map((s) => [s.id, s.status.toUpperCase()])));
  for (const s of report.snapshots) {
    const p = page.snapshots[s.id]!;
    const damage = s.findings.filter((f) => f.severity === 'damage');
    expect(Object.entries(p.files).filter(([, v]) => v !== 'OK').map(([n]) => n).sort(), `${s.id}: files not OK`)
      .toEqual([...new Set(damage.filter((f) => f.file).map((f) => f.file!))].sort());
    expect(p.members.sort(), `${s.id}: members`).toEqual(damage.filter((f) => f.member !== undefined && !WALK_CODES.has(f.code)).map((f) => `${f.code} ${f.member}`).sort());
    expect(p.deepCodes.sort(), `${s.id}: the walk's findings`).toEqual(damage.filter((f) => WALK_CODES.has(f.code)).map((f) => f.code).sort());
    expect(p.membersChecked, `${s.id}: members read`).toBe(s.membersChecked);
    const deps = s.findings.find((f) => f.code === 'chain-dependants')?.dependantFiles ?? [];
    expect(p.dependants.sort(), `${s.id}: later files hit`).toEqual(deps.map((d) => `${d.snapshot} ${d.path}`).sort());
  }
  expect(page.summary).toBe(code === 0 ? 'OK' : 'DAMAGED');
}

/** Rewrites a snapshot's records after its tarball was changed, as a forger would: snapshot.json and SHA256SUMS agree with it again. */
async function reseal(snapshot: string, id: string): Promise<void> {
  const tar = await readFile(join(snapshot, `${id}.tar`));
  const metaPath = join(snapshot, 'snapshot.json');
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { tarball: { size: number; sha256: string }; bytes: { tarball: number } };
  meta.tarball.size = tar.length;
  meta.tarball.sha256 = sha256(tar);
  meta.bytes.tarball = tar.length;
  await writeFile(metaPath, JSON.stringify(meta, null, 2) + '\n');
  const sums = join(snapshot, 'SHA256SUMS');
  const lines = (await readFile(sums, 'utf8')).split('\n').map((l) => {
    const name = l.slice(66);
    return name === `${id}.tar` || name === 'snapshot.json' ? `${sha256(name === 'snapshot.json' ? JSON.stringify(meta, null, 2) + '\n' : tar)}  ${name}` : l;
  });
  await writeFile(sums, lines.join('\n'));
}

/** Changes one byte of a member's content in place. */
async function damageMember(tarPath: string, member: string, at: number): Promise<void> {
  const tar = await readFile(tarPath);
  const data = memberDataOffset(tar, member);
  expect(data).toBeGreaterThan(0);
  tar[data + at]! ^= 0x20;
  await writeFile(tarPath, tar);
}

/** A format 2 drive of two snapshots whose 17 MiB src/large.bin changed 16 bytes at 5 MiB: the newer one stores it as changed blocks. */
async function deltaDrive(extra: string[] = []): Promise<{ sb: Sandbox; dir: string; ids: [string, string] }> {
  const sb = await makeSandbox();
  sandboxes.push(sb);
  const src = join(sb.dir, 'src');
  const MiB = 1 << 20;
  await makeTree(src, { 'a.txt': 'a\n', 'large.bin': noise(17 * MiB, 'large') });
  const dir = await labelledDrive(sb, 'A');
  const ids: string[] = [];
  for (const [i, now] of [T1, T2].entries()) {
    if (i === 1) {
      const large = await readFile(join(src, 'large.bin'));
      noise(16, 'changed').copy(large, 5 * MiB);
      await writeFile(join(src, 'large.bin'), large);
    }
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--json', ...extra], { AIRGAP_NOW: now });
    expect(r.code, r.stderr).toBe(0);
    ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  // The newer manifest must store it as changed blocks, or these cases test nothing.
  const snap = join(dir, 'airgap', ids[1]!);
  const names = (await readdir(snap)).filter((n) => n.startsWith(`${ids[1]}.tar`)).sort();
  const tar = Buffer.concat(await Promise.all(names.map((n) => readFile(join(snap, n)))));
  const paths: string[] = [];
  new TarReader({ entry: (e) => paths.push(e.path), data: () => {}, entryEnd: () => {} }).write(tar);
  expect(paths.filter((p) => p.startsWith('.airgap-delta/'))).toHaveLength(1);
  expect(paths).not.toContain('src/large.bin');
  return { sb, dir, ids: ids as [string, string] };
}

describe.skipIf(!hasChromium)('verify.html deep mode in headless Chromium agrees with airgap verify --deep', () => {
  it('a clean format 1 drive: every member read and as the manifest says, OK', async () => {
    const { sb, dir, ids } = await drive([T1, T2], 1);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.offline).toEqual([]);
    for (const id of ids) {
      expect(page.snapshots[id]!.verdict).toBe('OK');
      expect(page.snapshots[id]!.membersChecked).toBeGreaterThanOrEqual(7);
    }
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(0);
    expectDeepAgreement(page, report, code);
  });

  it('a clean format 2 chain: the full and the increment (its carried files checked against the full) OK', async () => {
    const { sb, dir, ids } = await drive([T1, T2], 2);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    for (const id of ids) expect(page.snapshots[id]!.verdict).toBe('OK');
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(0);
    expectDeepAgreement(page, report, code);
  });

  it('a forger: a member changed and SHA256SUMS rewritten to match: only deep mode finds it, and names the member', async () => {
    const { sb, dir, ids } = await drive([T1], 2);
    const id = ids[0]!;
    const snap = join(dir, 'airgap', id);
    await damageMember(join(snap, `${id}.tar`), 'src/big.bin', 1000);
    await reseal(snap, id);
    // Without deep mode the page (like plain verify) finds nothing: every file matches SHA256SUMS.
    const shallow = await verifyInPage(chrome.browser, dir);
    expect(shallow.snapshots[id]!.verdict).toBe('OK');
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[id]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[id]!.members).toEqual(['member-damaged src/big.bin']);
    expect(page.snapshots[id]!.text).toContain('content does not match its SHA-256');
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a member missing from a format 1 tarball (cut out, the records rewritten): MISSING by name', async () => {
    const { sb, dir, ids } = await drive([T1], 1);
    const id = ids[0]!;
    const snap = join(dir, 'airgap', id);
    const tarPath = join(snap, `${id}.tar`);
    const tar = await readFile(tarPath);
    // The last member (in archive order) runs from its header to the end marker.
    const entries: { path: string; offset: number }[] = [];
    const r = new TarReader({ entry: (e) => entries.push(e), data: () => {}, entryEnd: () => {} });
    r.write(tar);
    const last = entries.at(-1)!;
    expect(last.path).toBe('src/ünïcode.txt');
    await writeFile(tarPath, Buffer.concat([tar.subarray(0, last.offset), tar.subarray(r.endAt)]));
    await reseal(snap, id);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[id]!.members).toEqual(['member-missing src/ünïcode.txt']);
    expect(page.snapshots[id]!.verdict).toBe('DAMAGED');
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a format 2 chain damaged in the base\'s tarball: the member named, and the increment\'s file carried from it', async () => {
    const { sb, dir, ids } = await drive([T1, T2], 2);
    const [older, newer] = ids as [string, string];
    await damageMember(join(dir, 'airgap', older, `${older}.tar`), 'src/big.bin', 5000);
    const page = await verifyInPage(chrome.browser, dir, { deep: true, screenshot: process.env.AIRGAP_SCREENSHOT_DEEP });
    expect(page.snapshots[older]!.files[`${older}.tar`]).toBe('DAMAGED');
    expect(page.snapshots[older]!.members).toEqual(['member-damaged src/big.bin']);
    // big.bin did not change: the increment carries it from the base, where it is damaged.
    expect(page.snapshots[older]!.dependants).toEqual([`${newer} src/big.bin`]);
    expect(page.snapshots[newer]!.verdict).toBe('DAMAGED');
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a damaged header: the walk stops there, as the CLI\'s does, and the members after it are counted unchecked', async () => {
    const { sb, dir, ids } = await drive([T1], 2);
    const id = ids[0]!;
    const tarPath = join(dir, 'airgap', id, `${id}.tar`);
    const tar = await readFile(tarPath);
    const entries: { path: string; offset: number }[] = [];
    new TarReader({ entry: (e) => entries.push(e), data: () => {}, entryEnd: () => {} }).write(tar);
    const hit = entries.find((e) => e.path === 'src/big.bin')!;
    tar[hit.offset + 3]! ^= 0x01; // in the name field: only the header checksum tells
    await writeFile(tarPath, tar);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[id]!.deepCodes.sort()).toEqual(['archive-damaged', 'members-unchecked']);
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a large file stored as changed blocks: the page rebuilds it over the chain and hashes it, OK as the CLI says', async () => {
    const { sb, dir, ids } = await deltaDrive();
    const [older, newer] = ids;
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(0); // the CLI rebuilt it from the chain: OK
    expect(page.snapshots[older]!.verdict).toBe('OK');
    expect(page.snapshots[newer]!.verdict).toBe('OK');
    expect(page.snapshots[newer]!.members).toEqual([]);
    expect(page.summary).toBe('OK');
    expectDeepAgreement(page, report, code);
  });

  it('a delta\'d file in tarballs of 1 MiB parts: its base and blocks read at offsets running across the parts, OK as the CLI says', async () => {
    const { sb, dir, ids } = await deltaDrive(['--part-size', '1M']);
    const [older, newer] = ids;
    expect((await readdir(join(dir, 'airgap', older))).filter((n) => n.startsWith(`${older}.tar.`)).length).toBeGreaterThan(17);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(0);
    expect(page.snapshots[newer]!.verdict).toBe('OK');
    expectDeepAgreement(page, report, code);
  });

  it('a forger changed a byte of a delta member (SHA256SUMS rewritten to match): the rebuilt file does not match, the page names it as the CLI does', async () => {
    const { sb, dir, ids } = await deltaDrive();
    const [, newer] = ids;
    const snap = join(dir, 'airgap', newer);
    const tarPath = join(snap, `${newer}.tar`);
    const entries: { path: string }[] = [];
    new TarReader({ entry: (e) => entries.push(e), data: () => {}, entryEnd: () => {} }).write(await readFile(tarPath));
    const member = entries.find((e) => e.path.startsWith(`.airgap-delta/${newer}/`))!;
    expect(member).toBeDefined();
    await damageMember(tarPath, member.path, 7);
    await reseal(snap, newer);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    const cli = report.snapshots.find((s) => s.id === newer)!.findings.filter((f) => f.member === 'src/large.bin');
    expect(cli.map((f) => f.code)).toEqual(['member-damaged']);
    expect(cli[0]!.message).toContain('its content does not match its SHA-256');
    expect(page.snapshots[newer]!.text).toContain(cli[0]!.message); // the same words
    expect(page.snapshots[newer]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[newer]!.members).toEqual(['member-damaged src/large.bin']);
    expect(page.snapshots[newer]!.files[`${newer}.tar`]).toBe('OK'); // the forger's SHA256SUMS holds: only the rebuild tells
    expectDeepAgreement(page, report, code);
  });

  it("the delta'd file's base copy damaged in the earlier tarball: both snapshots DAMAGED, the rebuilt file named, as the CLI says", async () => {
    const { sb, dir, ids } = await deltaDrive();
    const [older, newer] = ids;
    // A block the newer snapshot did not change (it changed bytes at 5 MiB): only the base gives it.
    await damageMember(join(dir, 'airgap', older, `${older}.tar`), 'src/large.bin', 12 * (1 << 20) + 3);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expect(page.snapshots[older]!.verdict).toBe('DAMAGED');
    expect(page.snapshots[newer]!.members).toEqual(['member-damaged src/large.bin']);
    expectDeepAgreement(page, report, code);
  });

  it('FILES.sha256 rewritten to disagree with the manifest (SHA256SUMS to match): the first disagreement named', async () => {
    const { sb, dir, ids } = await drive([T1], 1);
    const id = ids[0]!;
    const snap = join(dir, 'airgap', id);
    const sumsOfFiles = join(snap, 'FILES.sha256');
    const text = await readFile(sumsOfFiles, 'utf8');
    const line = text.split('\n').find((l) => l.endsWith('  src/a.txt'))!;
    await writeFile(sumsOfFiles, text.replace(line, `${'0'.repeat(64)}  src/a.txt`));
    const sums = join(snap, 'SHA256SUMS');
    await writeFile(sums, (await readFile(sums, 'utf8')).replace(/^[0-9a-f]{64}  FILES\.sha256$/m, `${sha256(await readFile(sumsOfFiles))}  FILES.sha256`));
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[id]!.files['FILES.sha256']).toBe('DAMAGED');
    expect(page.snapshots[id]!.members).toEqual(['file-sums-mismatch src/a.txt']);
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a manifest line past the cap (64 KiB, counted in UTF-8 bytes): the manifest is unreadable, as the CLI says', async () => {
    const { sb, dir, ids } = await drive([T1], 1);
    const id = ids[0]!;
    const snap = join(dir, 'airgap', id);
    const lines = (await readFile(join(snap, 'MANIFEST.tsv'), 'utf8')).split('\n');
    lines.splice(2, 0, `# ${'é'.repeat(33_000)}`); // 66,002 bytes in 33,002 characters
    await writeFile(join(snap, 'MANIFEST.tsv'), lines.join('\n'));
    const sums = join(snap, 'SHA256SUMS');
    await writeFile(sums, (await readFile(sums, 'utf8')).replace(/^[0-9a-f]{64}  MANIFEST\.tsv$/m, `${sha256(await readFile(join(snap, 'MANIFEST.tsv')))}  MANIFEST.tsv`));
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[id]!.deepCodes).toEqual(['manifest-invalid']);
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  it('a tarball in parts (--part-size 1M), damaged in its middle part: the parts walked as one stream, the member named', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const src = join(sb.dir, 'src');
    await makeTree(src, { 'a.txt': 'a\n', 'huge.bin': noise(2_500_000, 'huge'), 'z.txt': 'z\n' });
    const dir = await labelledDrive(sb, 'A');
    const ids: string[] = [];
    for (const [i, now] of [T1, T2].entries()) {
      if (i === 1) await writeFile(join(src, 'a.txt'), 'b\n');
      const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--part-size', '1M', '--json'], { AIRGAP_NOW: now });
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
    }
    const [older, newer] = ids as [string, string];
    const snap = join(dir, 'airgap', older);
    const parts = [0, 1, 2].map((i) => join(snap, `${older}.tar.00${i}`));
    const whole = Buffer.concat(await Promise.all(parts.map((p) => readFile(p))));
    const at = memberDataOffset(whole, 'src/huge.bin') + 1_500_000; // inside part .001
    const partSize = (await readFile(parts[0]!)).length;
    expect(Math.floor(at / partSize)).toBe(1);
    const middle = await readFile(parts[1]!);
    middle[at - partSize]! ^= 0x01;
    await writeFile(parts[1]!, middle);
    const page = await verifyInPage(chrome.browser, dir, { deep: true });
    expect(page.snapshots[older]!.files[`${older}.tar.001`]).toBe('DAMAGED');
    expect(page.snapshots[older]!.members).toEqual(['member-damaged src/huge.bin']);
    expect(page.snapshots[older]!.dependants).toEqual([`${newer} src/huge.bin`]);
    const { code, report } = await cliDeep(sb);
    expect(code).toBe(3);
    expectDeepAgreement(page, report, code);
  });

  // Encrypted (issue 18): the page has no key, and never claims to have looked inside.
  it.skipIf(noAgeTools)('an encrypted drive: the stored files checked, the deep check says it needs the key', async () => {
    const sb = await makeSandbox();
    sandboxes.push(sb);
    const src = join(sb.dir, 'src');
    await makeTree(src, { 'a.txt': 'secret\n' });
    const [keyFile, pub] = ageKeygen(sb.dir);
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A', '--encrypt', '--recipient', pub, '--yes'])).code).toBe(0);
    await mkdir(sb.drive('A'));
    expect((await runChecked(sb, ['label', sb.drive('A'), '--name', 'A', '--yes'])).code).toBe(0);
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--json', '--identity', keyFile], { AIRGAP_NOW: T1 });
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { snapshot: string }).snapshot;
    const page = await verifyInPage(chrome.browser, sb.drive('A'), { deep: true });
    expect(page.snapshots[id]!.verdict).toBe('OK');
    expect(page.snapshots[id]!.text).toContain('Deep check not done: encrypted');
    expect(page.snapshots[id]!.membersChecked).toBeUndefined();
  });
});
