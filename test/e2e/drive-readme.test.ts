// The drive's README.txt, followed literally (issue 14, defect 11): its Linux/macOS commands,
// as written, run in a shell (bash, dash and busybox sh where installed) from an unrelated
// folder, on real snapshots written by the built CLI. The user's only edit is the one the
// README asks for: the drive's mount point in step 0. They must pick the newest snapshot that
// is not a suspect (ransomware) one, check it, restore it into a folder on another disk (here
// /dev/shm, a tmpfs, while the drive is under /tmp) identical to the source, check the restored
// files, and write nothing on the drive. With TARGET on the drive, they stop before tar runs.
// For a format 1 snapshot steps 2 to 4 restore it; a format 2 snapshot (the default) makes step 1
// say STOP and point to its RESTORE.txt, which the user then follows, literally too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { README_DRIVE_PLACEHOLDER } from '../../src/layout/drive-readme.js';
import { labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { readmeAlternative, readmeCommands } from '../helpers/readme.js';
import { restoreScript } from '../helpers/stock-restore.js';
import { makeTree, readTree, type Snapshot, type Tree } from '../helpers/tree.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Another filesystem than the drive's (the sandbox is under the OS temp folder). */
const OTHER_DISK = '/dev/shm';
const T = 1_700_000_000;

/** 25 text files in 5 folders (the gate judges trees of 20 files and more), a name with a space, a symlink. */
function sourceTree(): Tree {
  const tree: Tree = { 'with space.txt': { file: 'a name with a space\n', mtime: T }, link: { symlink: 'with space.txt' } };
  for (const d of ['Documents', 'Finance', 'Notes', 'Projects', 'Photos']) {
    const files: Tree = {};
    for (let i = 0; i < 5; i++) files[`note-${i}.txt`] = { file: `${d} note ${i}: the budget meeting notes, draft ${i}.\n`.repeat(40 + i), mtime: T + i };
    tree[d] = { dir: files, mtime: T + 100 };
  }
  return tree;
}

/** Every entry under a folder: type, size, mtime and content hash, by path (what "nothing was written" compares). */
async function listing(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(p);
      if (st.isDirectory()) {
        out[r] = `dir ${st.mtimeMs}`;
        await walk(p, r);
      } else if (st.isSymbolicLink()) out[r] = `link ${await readlink(p)}`;
      else out[r] = `file ${st.size} ${st.mtimeMs} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
    }
  };
  await walk(root, '');
  return out;
}

let sb: Sandbox;
let src: string;
let drive: string;
let readme: string;
let good: string; // the snapshot to restore
let suspect: string; // the newer, suspect one
let goodTree: Snapshot;
const homes: string[] = [];

for (const format of [1, 2] as const) describe(`format ${format}`, () => {
async function backupAt(hour: number): Promise<CliResult> {
  sb.env.AIRGAP_NOW = new Date(Date.UTC(2026, 5, 1, hour)).toISOString();
  return sb.run('backup', '--drive', 'A', '--source', src, '--json', '--format', String(format));
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'docs');
  await makeTree(src, sourceTree());
  drive = await labelledDrive(sb, 'A');
  const first = await backupAt(1);
  expect(first.code, show(first)).toBe(0);
  good = (JSON.parse(first.stdout) as { snapshot: string }).snapshot;
  goodTree = await readTree(src, { dirMtimes: true });

  // Ransomware: 15 of the 25 notes overwritten in place with random bytes. The backup writes
  // the snapshot as evidence, marks it suspect and exits 4.
  const victims = ['Documents', 'Finance', 'Notes'].flatMap((d) => [0, 1, 2, 3, 4].map((i) => join(src, d, `note-${i}.txt`)));
  for (const [n, v] of victims.entries()) {
    const size = (await readFile(v)).length;
    await writeFile(v, randomish(size, n));
    await utimes(v, T + 5000, T + 5000);
  }
  const second = await backupAt(2);
  expect(second.code, show(second)).toBe(4);
  suspect = (await readdir(join(drive, 'airgap'))).filter((n) => /^\d{4}-/.test(n) && n !== good).sort().at(-1)!;
  expect(suspect > good).toBe(true);
  const meta = JSON.parse(await readFile(join(drive, 'airgap', suspect, 'snapshot.json'), 'utf8')) as { gate: { suspect: boolean; accepted: boolean } };
  expect(meta.gate).toMatchObject({ suspect: true, accepted: false });
  readme = await readFile(join(drive, 'airgap', 'README.txt'), 'utf8');
});
afterAll(async () => {
  for (const h of homes) await rm(h, { recursive: true, force: true });
  await sb?.cleanup();
});

/** Bytes that look encrypted (a SHA-256 chain): high entropy, deterministic. */
function randomish(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(`seed ${seed}`).digest();
  for (let at = 0; at < size; at += 32) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** The README's commands as one script, with step 0's placeholder replaced by the drive's mount point, as the README asks. */
function script(driveRoot: string): string {
  const lines = readmeCommands(readme);
  const placeholder = lines.filter((l) => l === `DRIVE=${README_DRIVE_PLACEHOLDER}`);
  expect(placeholder, lines.join('\n')).toHaveLength(1);
  return lines.map((l) => (l === `DRIVE=${README_DRIVE_PLACEHOLDER}` ? `DRIVE='${driveRoot}'` : l)).join('\n') + '\n';
}

/** Runs the script with `shell -e` from an unrelated folder, with HOME (where TARGET goes) set. */
function runScript(shell: string[], home: string): CliResult {
  const cwd = join(sb.dir, 'somewhere-else');
  const r = spawnSync(shell[0]!, [...shell.slice(1), '-e', '-c', script(drive)], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, LC_ALL: 'C' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const SHELLS: [string, string[]][] = [
  ['bash', ['bash']],
  ['dash (sh)', ['dash']],
  ['busybox sh', ['busybox', 'sh']],
];

describe('the drive README, followed literally', () => {
  it('has one command list: step 0 sets DRIVE (a placeholder) and TARGET ($HOME/restored), says "NOT on this drive", and explains suspect snapshots', () => {
    const lines = readmeCommands(readme);
    expect(lines[0]).toBe(`DRIVE=${README_DRIVE_PLACEHOLDER}`);
    expect(lines[1]).toBe('TARGET="$HOME/restored"');
    expect(readme).toMatch(/NOT on this drive/);
    expect(readme).toMatch(/"suspect": true and "accepted": false/);
    // No command leaves the shell somewhere else: every cd is in a subshell, "(cd … && …)".
    for (const l of lines) expect(l, l).not.toMatch(/(^|[;&|]\s*)cd /);
  });

  for (const [name, shell] of SHELLS) {
    it(`${name} -e, from another folder: picks the newest good snapshot (not the suspect one), checks it, restores it onto another disk identical to the source, writes nothing on the drive`, async (ctx) => {
      if (!has(shell[0]!)) return ctx.skip();
      await mkdir(join(sb.dir, 'somewhere-else'), { recursive: true });
      const home = await mkdtemp(join(OTHER_DISK, 'airgap-h14reads-'));
      homes.push(home);
      const before = await listing(drive);
      let r = runScript(shell, home);
      // Step 1 lists the suspect snapshot and picks the good one.
      expect(r.stdout, show(r)).toContain(`${join(drive, 'airgap', suspect, 'snapshot.json')}\n`);
      expect(r.stdout.split('\n'), show(r)).toContain(good);
      let restored = join(home, 'restored');
      if (format === 2) {
        // Step 1 stops at the snapshot's RESTORE.txt, which the user follows next, as written.
        const restoreTxt = join(drive, 'airgap', good, 'RESTORE.txt');
        expect(r.code, show(r)).not.toBe(0);
        expect(r.stdout.trim().split('\n').at(-1), show(r)).toBe(`STOP: follow ${restoreTxt}`);
        expect(await readdir(restored), 'nothing extracted before the STOP').toEqual([]);
        const sh = spawnSync(shell[0]!, [...shell.slice(1), '-e', '-c', await restoreScript(restoreTxt, drive)], { cwd: join(sb.dir, 'somewhere-else'), encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, LC_ALL: 'C' } });
        r = { code: sh.status ?? -1, stdout: sh.stdout, stderr: sh.stderr };
        restored = join(home, `restored-${good}`);
      }
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout, show(r)).not.toMatch(/STOP|FAILED/);
      // Step 2 (SHA256SUMS) and step 4 (FILES.sha256) said OK for every file (format 2: two more
      // files in SHA256SUMS, REMOVE.nul and RESTORE.txt).
      expect(r.stdout, show(r)).toContain(`${good}.tar: OK`);
      expect(r.stdout, show(r)).toContain('docs/with space.txt: OK');
      expect(r.stdout.match(/: OK$/gm)?.length, show(r)).toBe((format === 2 ? 6 : 4) + 26);
      expect(await readTree(join(restored, 'docs'), { dirMtimes: true })).toEqual(goodTree);
      expect(await readdir(restored)).toEqual(['docs']);
      expect(await listing(drive)).toEqual(before);
    });
  }

  it('with TARGET on the backup drive (HOME there), step 0 says STOP and nothing is restored onto the drive', async () => {
    const before = await listing(join(drive, 'airgap'));
    const r = runScript(['bash'], drive);
    expect(r.code, show(r)).not.toBe(0);
    expect(r.stdout, show(r)).toContain(`STOP: ${join(drive, 'restored')} is on the backup drive`);
    expect(await readdir(join(drive, 'restored'))).toEqual([]); // only step 0's mkdir ran
    expect(await listing(join(drive, 'airgap'))).toEqual(before);
  });

  it('docs/FORMAT.md\'s "Restoring without airgap" gives the same commands as the README', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/FORMAT.md'), 'utf8');
    const part = /^## Restoring without airgap\n([^]*?)\n## /m.exec(doc)?.[1];
    expect(part, 'FORMAT.md has a "Restoring without airgap" section').toBeDefined();
    const docLines = part!.split('\n');
    for (const c of [...readmeCommands(readme), readmeAlternative(readme, 'Parts'), readmeAlternative(readme, 'macOS')]) {
      expect(docLines.some((l) => l.trim() === c || l.trim().endsWith(`  ${c}`) || l.includes(c)), `FORMAT.md lacks: ${c}`).toBe(true);
    }
  });
});
});

describe('a drive labelled by an older airgap', () => {
  it('gets the current README at its next backup; a README that is a link is replaced, never written through', async () => {
    const s = await makeSandbox();
    try {
      const from = join(s.dir, 'src');
      await makeTree(from, { 'a.txt': { file: 'hello\n' } });
      const d = await labelledDrive(s, 'A');
      const current = await readFile(join(d, 'airgap', 'README.txt'), 'utf8');
      const old = 'AIRGAP BACKUP DRIVE "A"\n\nStep 1: cd to the snapshot. Step 2: tar -xf it here.\n';
      await writeFile(join(d, 'airgap', 'README.txt'), old);
      s.env.AIRGAP_NOW = new Date(Date.UTC(2026, 5, 1)).toISOString();
      const r1 = await s.run('backup', '--drive', 'A', '--source', from);
      expect(r1.code, show(r1)).toBe(0);
      expect(r1.stderr, show(r1)).toMatch(/note: updated airgap\/README\.txt on drive A/);
      expect(await readFile(join(d, 'airgap', 'README.txt'), 'utf8')).toBe(current);

      // Up to date: not rewritten, no note.
      s.env.AIRGAP_NOW = new Date(Date.UTC(2026, 6, 1)).toISOString();
      const r2 = await s.run('backup', '--drive', 'A', '--source', from);
      expect(r2.code, show(r2)).toBe(0);
      expect(r2.stderr).not.toMatch(/README/);

      // A link planted in its place: the file it points at is left alone.
      const outside = join(s.dir, 'outside.txt');
      await writeFile(outside, 'not the drive\n');
      await rm(join(d, 'airgap', 'README.txt'));
      await symlink(outside, join(d, 'airgap', 'README.txt'));
      s.env.AIRGAP_NOW = new Date(Date.UTC(2026, 7, 1)).toISOString();
      const r3 = await s.run('backup', '--drive', 'A', '--source', from);
      expect(r3.code, show(r3)).toBe(0);
      expect(await readFile(outside, 'utf8')).toBe('not the drive\n');
      expect((await lstat(join(d, 'airgap', 'README.txt'))).isFile()).toBe(true);
      expect(await readFile(join(d, 'airgap', 'README.txt'), 'utf8')).toBe(current);
    } finally {
      await s.cleanup();
    }
  });
});
