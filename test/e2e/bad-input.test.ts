// Bad input and refusals, through the built CLI: every expected failure exits with its
// documented code (2 usage/config, 4 refused) and prints `error:` and `hint:` lines on stderr,
// never a stack trace; and a refused run leaves the drive as it was.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whyNoMount } from '../helpers/mount.js';
import { labelledDrive, makeSandbox, runCli, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const line = (r: CliResult, prefix: string) => r.stderr.split('\n').find((l) => l.startsWith(prefix)) ?? '';

/** Exit code, one `error:` line (matching `message`), one `hint:` line, no stack trace. */
function expectFailure(r: CliResult, code: number, message?: RegExp | string): void {
  expect(r.code, show(r)).toBe(code);
  expect(r.stderr, show(r)).toMatch(/^error: \S.*$/m);
  expect(r.stderr, show(r)).toMatch(/^hint: \S.*$/m);
  expect(r.stderr, show(r)).not.toMatch(/\n\s+at /);
  expect(r.stderr, show(r)).not.toMatch(/internal error/);
  if (typeof message === 'string') expect(line(r, 'error: '), show(r)).toContain(message);
  else if (message) expect(line(r, 'error: '), show(r)).toMatch(message);
}

function expectOk(r: CliResult): void {
  expect(r.code, show(r)).toBe(0);
  expect(r.stderr, show(r)).not.toMatch(/^error: /m);
}

const isSnapshotName = (n: string) => /^\d{4}-/.test(n);
const airgapEntries = (drive: string) => readdir(join(drive, 'airgap'));
const exists = (p: string) => stat(p).then(() => true, () => false);

let sb: Sandbox;
let src: string;
let configPath: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'docs');
  await makeTree(src, { 'a.txt': 'hello\n', sub: { dir: { 'b.txt': 'world\n' } } });
  // A valid config, so that only the input each test breaks is wrong.
  configPath = join(sb.dir, 'config.json');
  sb.env.AIRGAP_CONFIG = configPath;
  await writeFile(configPath, JSON.stringify({ version: 1, sources: [src] }));
});
afterEach(() => sb.cleanup());

describe('backup arguments', () => {
  it('a source folder that does not exist → 2', async () => {
    await labelledDrive(sb, 'A');
    const missing = join(sb.dir, 'no-such-folder');
    const r = await sb.run('backup', '--drive', 'A', '--source', missing);
    expectFailure(r, 2, missing);
    expect((await airgapEntries(sb.drive('A'))).filter(isSnapshotName)).toEqual([]);
  });

  it('no --drive → 2', async () => {
    await labelledDrive(sb, 'A');
    expectFailure(await sb.run('backup', '--source', src), 2, /--drive/);
  });

  it('no --source and no config at all → 2', async () => {
    await labelledDrive(sb, 'A');
    const env = { ...sb.env, AIRGAP_CONFIG: undefined, XDG_CONFIG_HOME: join(sb.dir, 'empty-xdg'), HOME: join(sb.dir, 'empty-home') };
    const r = await runCli(['backup', '--drive', 'A'], env);
    expectFailure(r, 2, /nothing to back up/);
    expect(line(r, 'hint: ')).toMatch(/--source/);
  });
});

describe('drive names and paths', () => {
  it('an unknown drive name → 2, and the hint lists the known drives', async () => {
    await labelledDrive(sb, 'A');
    await labelledDrive(sb, 'B');
    for (const args of [['verify', 'Nope'], ['backup', '--drive', 'Nope', '--source', src]]) {
      const r = await sb.run(...args);
      expectFailure(r, 2, /Nope/);
      expect(line(r, 'hint: '), show(r)).toMatch(/\bA\b.*\bB\b/);
    }
  });

  it('an unknown drive name with no drive labelled yet → 2, hint says to label one', async () => {
    const r = await sb.run('verify', 'Nope');
    expectFailure(r, 2, /Nope/);
    expect(line(r, 'hint: ')).toMatch(/label/);
  });

  it('a known drive that is not connected → 4 "not connected"', async () => {
    const path = await labelledDrive(sb, 'Gone');
    await rename(path, join(sb.dir, 'unplugged')); // neither under the drives root nor at its last path
    expectFailure(await sb.run('verify', 'Gone'), 4, /not connected/);
    expectFailure(await sb.run('backup', '--drive', 'Gone', '--source', src), 4, /not connected/);
    expectFailure(await sb.run('list', 'Gone'), 4, /not connected/);
  });

  it('a folder that is not an airgap drive → 4', async () => {
    const empty = join(sb.dir, 'empty');
    await mkdir(empty);
    expectFailure(await sb.run('verify', empty), 4, /not an airgap drive/);
    expectFailure(await sb.run('backup', '--drive', empty, '--source', src), 4, /not an airgap drive/);
    expect(await readdir(empty)).toEqual([]);
  });

  it('a path that does not exist → 2', async () => {
    const missing = join(sb.dir, 'nowhere', 'drive');
    expectFailure(await sb.run('verify', missing), 2, missing);
  });
});

describe('bad config', () => {
  const backupA = () => sb.run('backup', '--drive', 'A', '--source', src);
  beforeEach(async () => {
    await labelledDrive(sb, 'A');
  });

  it('invalid JSON → 2, naming the file', async () => {
    await writeFile(configPath, '{ "version": 1, "sources": [');
    expectFailure(await backupA(), 2, configPath);
  });

  it('a field of the wrong type → 2, naming the file and the field', async () => {
    await writeFile(configPath, JSON.stringify({ version: 1, sources: 5 }));
    const r = await backupA();
    expectFailure(r, 2, configPath);
    expect(line(r, 'error: ')).toMatch(/sources/);
  });

  it('an unknown field → 2, naming the file and the field', async () => {
    await writeFile(configPath, JSON.stringify({ version: 1, sources: [src], colour: 'blue' }));
    const r = await backupA();
    expectFailure(r, 2, configPath);
    expect(line(r, 'error: ')).toMatch(/colour/);
  });

  it('AIRGAP_CONFIG naming a file that does not exist, no --source → 2, naming the file', async () => {
    const missing = join(sb.dir, 'typo', 'config.json');
    const r = await runCli(['backup', '--drive', 'A'], { ...sb.env, AIRGAP_CONFIG: missing });
    expectFailure(r, 2, missing);
  });

  it('AIRGAP_CONFIG naming a file that does not exist, with --source → 2, not silently ignored', async () => {
    // A typo in AIRGAP_CONFIG must not silently drop the config's excludes (as for --config).
    const missing = join(sb.dir, 'typo', 'config.json');
    const r = await runCli(['backup', '--drive', 'A', '--source', src], { ...sb.env, AIRGAP_CONFIG: missing });
    expectFailure(r, 2, missing);
    expect((await airgapEntries(sb.drive('A'))).filter(isSnapshotName)).toEqual([]);
  });

  it('--config naming a file that does not exist → 2, naming the file', async () => {
    const missing = join(sb.dir, 'typo.json');
    expectFailure(await sb.run('--config', missing, 'backup', '--drive', 'A', '--source', src), 2, missing);
  });
});

describe('label', () => {
  it('an invalid name → 2', async () => {
    await mkdir(sb.drive('X'));
    expectFailure(await sb.run('label', sb.drive('X'), '--name', 'bad name!', '--yes'), 2, /bad name!/);
    expect(await exists(join(sb.drive('X'), 'airgap'))).toBe(false);
  });

  it('a name already used by another drive → 2', async () => {
    await labelledDrive(sb, 'A');
    await mkdir(sb.drive('B'));
    expectFailure(await sb.run('label', sb.drive('B'), '--name', 'A', '--yes'), 2, /already used/);
    expect(await exists(join(sb.drive('B'), 'airgap'))).toBe(false);
  });

  it('an already labelled drive → 4 without --force; --force relabels and keeps its snapshots', async () => {
    const path = await labelledDrive(sb, 'A');
    expectOk(await sb.run('backup', '--drive', 'A', '--source', src));
    const [id] = (await airgapEntries(path)).filter(isSnapshotName);
    expect(id).toBeDefined();

    expectFailure(await sb.run('label', path, '--name', 'A2', '--yes'), 4, /already/);
    expect(JSON.parse(await readFile(join(path, 'airgap', 'drive.json'), 'utf8')).name).toBe('A');

    expectOk(await sb.run('label', path, '--name', 'A2', '--yes', '--force'));
    expect(JSON.parse(await readFile(join(path, 'airgap', 'drive.json'), 'utf8')).name).toBe('A2');
    const list = await sb.run('list', 'A2');
    expectOk(list);
    expect(list.stdout).toContain(id!);
    expectOk(await sb.run('verify', 'A2'));
  });

  it('a folder on the system disk, outside the drives root → 4 "system disk" unless --force', async (ctx) => {
    const dir = await mkdtemp(join(tmpdir(), 'airgap-sysdisk-'));
    try {
      if ((await stat(dir)).dev !== (await stat('/')).dev) {
        console.log(`skipping: ${dir} is not on the same filesystem as /`);
        ctx.skip();
      }
      const r = await sb.run('label', dir, '--name', 'Sys', '--yes', '--json');
      expectFailure(r, 4, /same disk as the system/);
      expect(JSON.parse(r.stdout).error.code).toBe('system-disk');
      expect(await exists(join(dir, 'airgap'))).toBe(false);
      expectOk(await sb.run('label', dir, '--name', 'Sys', '--yes', '--force'));
      expect(await exists(join(dir, 'airgap', 'drive.json'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without --yes and without a terminal → 2, mentioning --yes', async () => {
    await mkdir(sb.drive('C'));
    const r = await sb.run('label', sb.drive('C'), '--name', 'C');
    expectFailure(r, 2);
    expect(r.stderr).toContain('--yes');
    expect(await exists(join(sb.drive('C'), 'airgap'))).toBe(false);
  });
});

describe('init', () => {
  beforeEach(async () => {
    await rm(configPath);
  });

  it('writes the config from --source/--drives/--cadence --yes', async () => {
    expectOk(await sb.run('init', '--source', src, '--drives', 'A,B', '--cadence', 'daily', '--yes'));
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    expect(config.sources).toEqual([src]);
    expect(config.drives.rotation.map((d: { name: string }) => d.name)).toEqual(['A', 'B']);
    expect(config.cadence).toBe('daily');
  });

  it('refuses to replace an existing config (4) unless --force', async () => {
    expectOk(await sb.run('init', '--source', src, '--drives', 'A', '--cadence', 'daily', '--yes'));
    const before = await readFile(configPath, 'utf8');
    const r = await sb.run('init', '--source', src, '--drives', 'B', '--cadence', 'weekly', '--yes');
    expectFailure(r, 4, configPath);
    expect(await readFile(configPath, 'utf8')).toBe(before);
    expectOk(await sb.run('init', '--source', src, '--drives', 'B', '--cadence', 'weekly', '--yes', '--force'));
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    expect(config.drives.rotation.map((d: { name: string }) => d.name)).toEqual(['B']);
    expect(config.cadence).toBe('weekly');
  });

  it('--yes without --source → 2', async () => {
    expectFailure(await sb.run('init', '--drives', 'A', '--yes'), 2);
    expect(await exists(configPath)).toBe(false);
  });

  it('--cadence hourly → 2', async () => {
    const r = await sb.run('init', '--source', src, '--cadence', 'hourly', '--yes');
    expectFailure(r, 2, /hourly/);
    expect(await exists(configPath)).toBe(false);
  });
});

describe('drive lock', () => {
  const writeLock = (drive: string, pid: number) =>
    writeFile(join(drive, 'airgap', '.lock'), JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString(), command: 'backup' }) + '\n');

  it('a lock held by a live process → 4 naming its pid; the lock and the drive are left alone', async () => {
    const drive = await labelledDrive(sb, 'A');
    await writeLock(drive, process.pid);
    const lockBefore = await readFile(join(drive, 'airgap', '.lock'), 'utf8');
    const r = await sb.run('backup', '--drive', 'A', '--source', src);
    expectFailure(r, 4, String(process.pid));
    expect(await readFile(join(drive, 'airgap', '.lock'), 'utf8')).toBe(lockBefore);
    expect((await airgapEntries(drive)).filter((n) => isSnapshotName(n) || n.startsWith('.partial-'))).toEqual([]);
  });

  it('a stale lock of a dead process is taken over; the backup succeeds and removes the lock', async () => {
    const drive = await labelledDrive(sb, 'A');
    const child = spawn('true');
    const deadPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    await writeLock(drive, deadPid);
    expectOk(await sb.run('backup', '--drive', 'A', '--source', src));
    const entries = await airgapEntries(drive);
    expect(entries).not.toContain('.lock');
    expect(entries.filter(isSnapshotName)).toHaveLength(1);
  });
});

describe('--json errors', () => {
  it('backup --drive Nope --json → a JSON object with ok:false and error.code unknown-drive', async () => {
    await labelledDrive(sb, 'A');
    const r = await sb.run('backup', '--drive', 'Nope', '--source', src, '--json');
    expectFailure(r, 2, /Nope/);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('unknown-drive');
    expect(out.error.exitCode).toBe(2);
  });
});

const noMount = whyNoMount();
if (noMount) console.log(`skipping the full and read-only drive tests: ${noMount}`);

describe('a real small drive (tmpfs)', () => {
  let mnt: string;
  let mounted = false;
  beforeEach(async () => {
    if (noMount) return;
    mnt = sb.drive('T');
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  });
  afterEach(() => {
    if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    mounted = false;
  });

  /** Labels the tmpfs drive and writes one tiny snapshot; returns its id. */
  async function labelWithTinySnapshot(): Promise<string> {
    await labelledDrive(sb, 'T');
    const tiny = join(sb.dir, 'tiny');
    await makeTree(tiny, { 'note.txt': 'small\n' });
    expectOk(await sb.run('backup', '--drive', 'T', '--source', tiny));
    const ids = (await airgapEntries(mnt)).filter(isSnapshotName);
    expect(ids).toHaveLength(1);
    return ids[0]!;
  }

  it.skipIf(noMount)('too little space → 4 "not enough space", nothing written, the older snapshot still verifies', async () => {
    const older = await labelWithTinySnapshot();
    const big = join(sb.dir, 'big');
    await makeTree(big, { 'photo.raw': randomBytes(5 << 20) });
    const r = await sb.run('backup', '--drive', 'T', '--source', big);
    expectFailure(r, 4, /not enough space/);
    const after = await airgapEntries(mnt);
    expect(after.filter(isSnapshotName)).toEqual([older]);
    expect(after.filter((n) => n.startsWith('.partial-'))).toEqual([]);
    expect(after).not.toContain('.lock');
    expectOk(await sb.run('verify', 'T'));
  });

  it.skipIf(noMount)('format 2: an increment fits where a second full copy would not (only what is not carried counts)', async () => {
    execFileSync('mount', ['-o', 'remount,size=8m', mnt], { stdio: 'pipe' });
    await labelledDrive(sb, 'T');
    const home = join(sb.dir, 'home');
    await makeTree(home, { 'photo.raw': randomBytes(5 << 20), 'note.txt': 'day 1\n' });
    // A racy window of 0: the photo written a moment ago is carried unread, as it would be after 3 s.
    const env = { AIRGAP_RACY_SECONDS: '0' };
    expectOk(await runCli(['backup', '--drive', 'T', '--source', home, '--format', '2'], { ...sb.env, ...env }));
    await writeFile(join(home, 'note.txt'), 'day 2, edited\n');
    const inc = await runCli(['backup', '--drive', 'T', '--source', home, '--format', '2', '--json'], { ...sb.env, ...env });
    expectOk(inc);
    expect(JSON.parse(inc.stdout).meta.kind).toBe('incremental');
    // A new full of the same tree does not fit beside the first: refused up front, nothing written.
    const full = await runCli(['backup', '--drive', 'T', '--source', home, '--format', '2', '--full'], { ...sb.env, ...env });
    expectFailure(full, 4, /not enough space/);
    expect((await airgapEntries(mnt)).filter(isSnapshotName)).toHaveLength(2);
    // The chain has reached the config's length, but a new full would not fit: the chain goes on, and says why.
    const config = join(sb.dir, 'short-chains.json');
    await writeFile(config, JSON.stringify({ version: 1, sources: [home], format: 2, chain: { maxLength: 2 } }));
    await writeFile(join(home, 'note.txt'), 'day 3, edited again\n');
    const more = await runCli(['backup', '--drive', 'T', '--json'], { ...sb.env, ...env, AIRGAP_CONFIG: config });
    expectOk(more);
    const out = JSON.parse(more.stdout) as { meta: { kind: string; chain: string[] }; chainReason: string };
    expect(out.meta.kind).toBe('incremental');
    expect(out.chainReason).toMatch(/^the chain is 2 snapshots long \(at most 2\), but a new full does not fit in the free space: builds on /);
    expect((await airgapEntries(mnt)).filter(isSnapshotName)).toHaveLength(3);
    expectOk(await sb.run('verify', 'T', '--deep'));
  });

  it.skipIf(noMount)('a read-only drive: backup → 4; verify and list still work', async () => {
    const older = await labelWithTinySnapshot();
    execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
    const r = await sb.run('backup', '--drive', 'T', '--source', src);
    expectFailure(r, 4, /read-only/);
    expect((await airgapEntries(mnt)).filter(isSnapshotName)).toEqual([older]);
    expectOk(await sb.run('verify', 'T'));
    const list = await sb.run('list', 'T');
    expectOk(list);
    expect(list.stdout).toContain(older);
  });
});
