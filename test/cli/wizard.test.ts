// The plug-in wizard (`airgap wizard`), driven in-process with a scripted prompter against real
// temporary folders: a sandboxed state dir, config path and drives root (every sub-folder of
// drives/ is a simulated drive). Each branch is checked by its exit code, what it printed, the
// questions it asked, and what it really did on disk.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { run } from '../../src/cli/main.js';
import { scriptedPrompter } from '../../src/ui/prompter.js';
import { makeSandbox, type Sandbox } from '../helpers/cli.js';
import { makeTree, readTree, type Tree } from '../helpers/tree.js';
import { flipByte } from '../helpers/damage.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const SOURCE: Tree = {
  'hello.txt': 'hello, airgap\n',
  'notes.md': '# notes\nsome text\n',
  docs: { dir: { 'report.txt': 'quarterly report\n', deeper: { dir: { 'n.bin': Buffer.from([0, 1, 2, 3, 255]) } } } },
};

const Q = {
  folder: 'Folder to protect',
  moreFolders: 'Another folder? (empty to finish)',
  excludes: 'Anything to skip? (one pattern at a time, like *.tmp or node_modules; empty for nothing)',
  moreExcludes: 'Anything else to skip? (empty to finish)',
  names: 'Names of your backup drives (comma-separated; three is good)',
  offsite: 'Which drive lives away from home (at the office, with family)?',
  cadence: 'How often will you back up?',
  encrypt: 'Encrypt which drives? (with age: restorable with the stock age tool and the passphrase)',
  pass1: 'Passphrase for the drives (it opens every encrypted snapshot; at least 8 characters):',
  pass2: 'The same passphrase again:',
  useDisk: 'Use it as an airgap backup drive?',
  diskName: 'Its name (write it on the drive too)',
  menu: 'What now?',
  write: (d: string) => `Write today's snapshot to ${d}?`,
  eject: (d: string) => `Eject ${d} now?`,
  notDue: (d: string, due: string) => `${d} is not the due drive (${due} is). Write to ${d} anyway?`,
  restoreTo: 'Restore into which folder? (new, or one where no file would be replaced)',
  restorePaths: 'Which file or folder? (a path inside the snapshot; empty for everything)',
  morePaths: 'Another file or folder? (empty to finish)',
};

const SNAPSHOT_ID = /^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d+)?$/;

/** The user's local calendar date, `days` from today (what the wizard calls today). */
function localDay(days = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
/** AIRGAP_NOW for local noon of that day (far from any midnight). */
const noonOf = (day: string) => `${day}T12:00:00`;

interface Capture {
  write(s: string): void;
  readonly text: string;
}
function capture(onWrite?: (all: string) => void): Capture {
  let text = '';
  return {
    write(s: string) {
      text += s;
      onWrite?.(text);
    },
    get text() {
      return text;
    },
  };
}

let sb: Sandbox;
let env: Record<string, string | undefined>;
let src: string;
let configPath: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'source');
  await makeTree(src, SOURCE);
  configPath = join(sb.dir, 'conf', 'airgap.json');
  env = {
    ...process.env,
    AIRGAP_NOW: undefined,
    CI: undefined,
    ...sb.env,
    AIRGAP_CONFIG: configPath,
    AIRGAP_WATCH_INTERVAL_MS: '100',
    NO_COLOR: '1',
  };
});

afterEach(async () => {
  await sb.cleanup();
});

interface WizardResult {
  code: number;
  stdout: string;
  stderr: string;
  asked: string[];
  /** The confirmations that lead to a write: typed-ahead keys are dropped before them on a terminal. */
  writeConfirms: string[];
  /** Answers a prompt's validate refused (the question was asked again). */
  refused: string[];
}

/** Runs `airgap <argv>` (the wizard) in-process with scripted answers. */
async function wizard(answers: (string | boolean)[], opts: { argv?: string[]; waitMs?: number; env?: Record<string, string | undefined>; onStdout?: (all: string) => void } = {}): Promise<WizardResult> {
  const stdout = capture(opts.onStdout);
  const stderr = capture();
  const prompter = scriptedPrompter([...answers]);
  const code = await run(opts.argv ?? ['wizard'], {
    env: opts.env ?? env, stdout, stderr, interactive: true, prompter, waitMs: opts.waitMs ?? 300_000, // a cap: tests that plug a drive in end at its arrival
  });
  expect(stderr.text, 'no crash').not.toContain('internal error');
  expect(stderr.text, 'no crash').not.toContain('no scripted answer');
  return { code, stdout: stdout.text, stderr: stderr.text, asked: prompter.asked, writeConfirms: prompter.writeConfirms, refused: prompter.refused };
}

/** A plain airgap command, in-process (setup of a scenario, not the code under test). */
async function cli(argv: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await run(argv, { env: { ...env, ...extraEnv }, stdout, stderr, interactive: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function must(argv: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await cli(argv, extraEnv);
  expect(r.code, `airgap ${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A config as `airgap init` writes it: A, B (offsite), C, weekly from today (or `extraEnv`'s today). */
const init = (extraEnv: Record<string, string> = {}) =>
  must(['init', '--source', src, '--drives', 'A,B,C', '--offsite', 'B', '--cadence', 'weekly', '--yes'], extraEnv);

async function labelDrive(name: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const path = sb.drive(name);
  await mkdir(path, { recursive: true });
  await must(['label', path, '--name', name, '--yes'], extraEnv);
  return path;
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const isLabelled = (drive: string) => exists(join(drive, 'airgap', 'drive.json'));

async function snapshotsOn(drive: string): Promise<string[]> {
  const names = await readdir(join(drive, 'airgap')).catch(() => [] as string[]);
  return names.filter((n) => SNAPSHOT_ID.test(n)).sort();
}

/** Every `.partial-*` (unfinished snapshot) anywhere under the drives root. */
async function partials(): Promise<string[]> {
  const root = join(sb.dir, 'drives');
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.name.startsWith('.partial-')) out.push(join(dir, e.name));
      if (e.isDirectory()) await walk(join(dir, e.name));
    }
  };
  await walk(root);
  return out;
}

/** A complete snapshot: SHA256SUMS, snapshot.json and the tarball, the sums matching the files listed. */
async function expectCompleteSnapshot(drive: string, id: string): Promise<void> {
  const dir = join(drive, 'airgap', id);
  const files = await readdir(dir);
  expect(files).toEqual(expect.arrayContaining([`${id}.tar`, 'SHA256SUMS', 'snapshot.json']));
  const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
  expect(sums).toContain(`${id}.tar`);
  const tar = await readFile(join(dir, `${id}.tar`));
  expect(tar.includes(Buffer.from('quarterly report\n'))).toBe(true);
}


/**
 * Creates drives/<name> (a disk being plugged in) as soon as the wizard says it is waiting: no
 * delay, so the disk may appear before the wizard's first look at the drives, as when a user
 * plugs it in at once (the wizard must take it either way).
 */
function plugInWhenWaiting(name: string): { onStdout: (all: string) => void; plugged: () => boolean } {
  let scheduled = false;
  let done = false;
  return {
    onStdout: (all) => {
      if (scheduled || !all.includes('Waiting…')) return;
      scheduled = true;
      void mkdir(sb.drive(name), { recursive: true }).then(() => (done = true));
    },
    plugged: () => done,
  };
}

const farewellRe = (drive: string, next: string, date: string) =>
  `Unplug ${drive} and put it away, disconnected; next: bring ${next} on ${date}.`;

// ---------------------------------------------------------------------------------------------
// 1. First run

describe('first run: setup, wait, label, backup', () => {
  it('writes the config, waits for a disk, labels it, backs up and gives the physical instruction', async () => {
    const plug = plugInWhenWaiting('A');
    // The offsite drive encrypted (the wizard's recommendation): a short passphrase is asked again.
    const r = await wizard([src, '', '', 'A,B,C', 'B', 'weekly', 'offsite', 'short', 'long enough pass', 'long enough pass', true, 'A', 'backup', true, false], { onStdout: plug.onStdout });

    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([
      Q.folder, Q.moreFolders, Q.excludes, Q.names, Q.offsite, Q.cadence, Q.encrypt, Q.pass1, Q.pass2,
      Q.useDisk, Q.diskName,
      Q.menu, Q.write('A'), Q.eject('A'),
    ]);
    // The questions that lead to a write drop keys typed ahead (labelling, the snapshot); eject does not write.
    expect(r.writeConfirms).toEqual([Q.useDisk, Q.write('A')]);

    // The config, with the answers given.
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    expect(config.sources).toEqual([resolve(src)]);
    expect(config.excludes).toEqual([]);
    expect(config.drives.rotation.map((d: { name: string; role: string }) => [d.name, d.role])).toEqual([['A', 'home'], ['B', 'offsite'], ['C', 'home']]);
    expect(config.cadence).toBe('weekly');
    expect(config.policy.start).toBe(localDay(0));
    expect(config.encryption.drives).toEqual(['B']);
    expect(r.refused).toEqual([`${Q.pass1} ← (secret): at least 8 characters`]);
    expect(await exists(join(dirname(configPath), 'key.age'))).toBe(true);
    expect(r.stdout).toMatch(/encrypt: drives B, with age/);

    // Setup output: sizes of the folder, the config written, the schedule.
    expect(r.stdout).toContain('Welcome to airgap');
    expect(r.stdout).toContain(`${resolve(src)}: 4 files`);
    expect(r.stdout).toContain(`Wrote ${configPath}`);
    expect(r.stdout).toContain('Your rotation for the coming weeks:');
    const schedule = r.stdout.slice(r.stdout.indexOf('Your rotation for the coming weeks:'), r.stdout.indexOf('Plug in drive A'));
    expect(schedule).toContain(`airgap rotation schedule: ${localDay(0)} to `);
    expect(schedule).toContain(', 8 backups');
    expect(schedule).toMatch(new RegExp(`${localDay(0)}  bring A and connect it`));
    expect(schedule).toMatch(new RegExp(`${localDay(7)}  bring B back from offsite`));
    expect(r.stdout.indexOf(`Wrote ${configPath}`)).toBeLessThan(r.stdout.indexOf('Your rotation for the coming weeks:'));

    // It waited, then offered the new disk, then labelled it.
    expect(plug.plugged()).toBe(true);
    expect(r.stdout).toContain('Plug in drive A. Waiting… (Ctrl+C to stop)');
    expect(r.stdout.indexOf('Waiting…')).toBeLessThan(r.stdout.indexOf('A new disk is connected'));
    expect(r.stdout).toContain(`mounted at ${sb.drive('A')}, holding 0 items`);
    expect(r.stdout).toContain(`Labelled ${sb.drive('A')} as airgap drive "A"`);
    expect(await isLabelled(sb.drive('A'))).toBe(true);
    expect(JSON.parse(await readFile(join(sb.drive('A'), 'airgap', 'drive.json'), 'utf8')).name).toBe('A');

    // The ledger of the drive, then the snapshot written on it.
    expect(r.stdout).toContain(`Drive A is connected at ${sb.drive('A')} (home)`);
    const snaps = await snapshotsOn(sb.drive('A'));
    expect(snaps).toHaveLength(1);
    await expectCompleteSnapshot(sb.drive('A'), snaps[0]!);
    expect(await partials()).toEqual([]);

    // No eject (answered no); the instruction names the next drive and date.
    expect(r.stdout).not.toContain('nothing to eject');
    expect(r.stdout).toContain('next: bring B on');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(farewellRe('A', 'B', localDay(7)));
  });
});

describe('first run: the folders and the patterns, one per answer (issue 17 §5)', () => {
  it('asks again after a bad folder (with the reason), and takes a name with a comma as one folder', async () => {
    const { writeFile } = await import('node:fs/promises');
    const letters = join(sb.dir, 'Letters, 2024');
    await makeTree(letters, { 'to-grandma.md': 'dear grandma\n', sub: { dir: { 'draft.md': 'draft\n' } } });
    await writeFile(join(sb.dir, 'a-file.txt'), 'not a folder\n');
    const r = await wizard([
      join(sb.dir, 'nope'), join(sb.dir, 'a-file.txt'), '/', letters, // the first folder: three refused
      join(letters, 'sub'), letters, src, '', // more folders: inside, the same, then a second one
      '*.{tmp,bak}', 'x'.repeat(5000), 'node_modules', '', // patterns: a comma inside braces, one too long
      'A,B,C', 'B', 'weekly', 'none',
    ], { waitMs: 300 });
    expect(r.code).toBe(130); // no drive comes: setup is what is tested here
    expect(r.asked).toEqual([Q.folder, Q.moreFolders, Q.moreFolders, Q.excludes, Q.moreExcludes, Q.moreExcludes, Q.names, Q.offsite, Q.cadence, Q.encrypt]);
    expect(r.refused).toEqual([
      `${Q.folder} ← ${JSON.stringify(join(sb.dir, 'nope'))}: ${join(sb.dir, 'nope')} does not exist`,
      `${Q.folder} ← ${JSON.stringify(join(sb.dir, 'a-file.txt'))}: ${join(sb.dir, 'a-file.txt')} is not a folder`,
      `${Q.folder} ← "/": / is the whole system: name the folders that hold your files, like ${join(homedir(), 'Documents')}`,
      `${Q.moreFolders} ← ${JSON.stringify(join(letters, 'sub'))}: ${join(letters, 'sub')} is inside ${letters}, chosen already (it is backed up with it)`,
      `${Q.moreFolders} ← ${JSON.stringify(letters)}: ${letters} is chosen already`,
      `${Q.moreExcludes} ← ${JSON.stringify('x'.repeat(5000))}: ${'x'.repeat(5000)}: too long (5000 characters; at most 4096)`,
    ]);
    expect(r.stdout).toContain(`  ${letters}: 2 files, `);
    expect(r.stdout).toContain(`  ${resolve(src)}: 4 files, `);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    expect(config.sources).toEqual([letters, resolve(src)]);
    expect(config.excludes).toEqual(['*.{tmp,bak}', 'node_modules']);
  });

  it('a folder that holds one chosen before takes its place', async () => {
    const r = await wizard([join(src, 'docs'), src, '', '', 'A,B,C', 'B', 'weekly', 'none'], { waitMs: 300 });
    expect(r.code).toBe(130);
    expect(r.refused).toEqual([]);
    expect(r.stdout).toContain(`  ${resolve(src)} holds ${join(resolve(src), 'docs')}: it takes its place.`);
    expect(JSON.parse(await readFile(configPath, 'utf8')).sources).toEqual([resolve(src)]);
  });

  it('~ is the home folder', async () => {
    const { expandHome } = await import('../../src/core/source-folders.js');
    const { folderProblem } = await import('../../src/cli/wizard-folders.js');
    expect(expandHome('~', '/home/me')).toBe('/home/me');
    expect(expandHome(' ~/Letters, 2024 ', '/home/me')).toBe('/home/me/Letters, 2024');
    expect(expandHome('~other/x', '/home/me')).toBe('~other/x');
    expect(await folderProblem('~/source', [], sb.dir)).toBe(true);
    expect(await folderProblem('~/source', [resolve(src)], sb.dir)).toBe(`${resolve(src)} is chosen already`);
    expect(await folderProblem('~', [], sb.dir)).toBe(true);
    expect(await folderProblem('~/nope', [], sb.dir)).toBe(`${join(sb.dir, 'nope')} does not exist`);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The due drive is connected

describe('the due drive is connected', () => {
  it('backs up after confirmation, ejects (simulated: nothing to eject) and says where the drive goes', async () => {
    await init();
    const A = await labelDrive('A');
    const r = await wizard(['backup', true, true]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.write('A'), Q.eject('A')]);
    expect(r.stdout).not.toContain('Before you unplug');
    expect(r.stdout).toContain(`Drive A is connected at ${A} (home).`);
    expect(r.stdout).toContain('0 snapshots');
    expect(r.stdout).not.toContain('has been away');
    expect(r.stdout).not.toContain('not the due drive');

    const snaps = await snapshotsOn(A);
    expect(snaps).toHaveLength(1);
    await expectCompleteSnapshot(A, snaps[0]!);
    expect(await partials()).toEqual([]);

    expect(r.stdout).toContain('Drive A is simulated (under --drives-root): nothing to eject.');
    expect(r.stdout.indexOf('nothing to eject')).toBeLessThan(r.stdout.indexOf('Unplug A'));
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(farewellRe('A', 'B', localDay(7)));
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Not the due drive

describe('a drive that is not the due one', () => {
  it('asks before writing to it, and writes nothing when told no', async () => {
    await init();
    const C = await labelDrive('C');
    const r = await wizard(['backup', false]);

    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.notDue('C', 'A')]);
    expect(r.writeConfirms).toEqual([Q.notDue('C', 'A')]);
    expect(r.stdout).toContain(`Drive C is connected at ${C} (home).`);
    expect(r.stdout).toContain('note: C is not the due drive (A is).');
    expect(await snapshotsOn(C)).toEqual([]);
    expect(await partials()).toEqual([]);
    expect(r.stdout).not.toContain('Unplug');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. A drive that has been away is verified first

describe('a drive that has been away', () => {
  it('is verified before the backup; damage stops the flow with exit 3 and the safest next step', async () => {
    // Weekly rotation A, B (offsite), C started four weeks ago: backup #5 (today) goes to B.
    const start = { AIRGAP_NOW: noonOf(localDay(-28)) };
    await init(start);
    const B = await labelDrive('B', start);
    // Three weeks ago B was due and written, then taken offsite.
    await must(['backup'], { AIRGAP_NOW: noonOf(localDay(-21)) });
    const before = await snapshotsOn(B);
    expect(before).toHaveLength(1);
    const id = before[0]!;
    const tar = join(B, 'airgap', id, `${id}.tar`);
    await flipByte(tar, Math.floor((await stat(tar)).size / 3));
    const damaged = await readFile(tar);
    const listing = (await readdir(join(B, 'airgap'))).sort();

    const r = await wizard(['backup']);

    expect(r.code, r.stderr).toBe(3);
    expect(r.asked).toEqual([Q.menu]); // never asked to write: verification came first
    expect(r.stdout).toContain(`Drive B is connected at ${B} (offsite)`);
    expect(r.stdout).toContain('B has been away: verifying it before anything on it changes.');
    expect(r.stdout).toContain(`${id}.tar does not match its SHA-256`);
    expect(r.stdout).toContain('DAMAGED');
    expect(r.stdout).toContain('B is DAMAGED (see above). Nothing was written or pruned.');
    expect(r.stdout).toContain('Safest next step: keep B as it is, back up to another drive of the rotation');
    expect(r.stdout).toContain('airgap find B');
    expect(r.stdout.indexOf('has been away')).toBeLessThan(r.stdout.indexOf('does not match its SHA-256'));

    // Nothing new on B: same entries, same (damaged) tarball, no unfinished snapshot.
    expect((await readdir(join(B, 'airgap'))).sort()).toEqual(listing);
    expect(await snapshotsOn(B)).toEqual([id]);
    expect((await readFile(tar)).equals(damaged)).toBe(true);
    expect(await partials()).toEqual([]);
    expect(r.stdout).not.toContain('Unplug');
  });

  it('a home drive not seen for three weeks is verified before it is written', async () => {
    // A, B, C weekly from three weeks ago: A had backup #1 then, and backup #4 (today) is A's again.
    const start = { AIRGAP_NOW: noonOf(localDay(-21)) };
    await init(start);
    const A = await labelDrive('A', start);
    await must(['backup'], start);
    const r = await wizard(['backup', true, false]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.write('A'), Q.eject('A')]);
    // "Eject now?" declined: the user is told to eject before unplugging (issue 17 §5).
    expect(r.stdout).toContain('Before you unplug A, run: airgap eject A (it finishes the writes and unmounts the drive).');
    expect(r.stdout).toContain('A has been away: verifying it before anything on it changes.');
    expect(r.stdout.indexOf('has been away')).toBeLessThan(r.stdout.indexOf('OK: 1 snapshot verified'));
    expect(await snapshotsOn(A)).toHaveLength(2);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(farewellRe('A', 'B', localDay(7)));
  });

  it('a home drive last seen three days ago is not re-verified (away means more than 7 days)', async () => {
    // Daily rotation A, B, C from three days ago: A took #1 (three days ago) and takes #4 today.
    const start = { AIRGAP_NOW: noonOf(localDay(-3)) };
    await must(['init', '--source', src, '--drives', 'A,B,C', '--offsite', 'B', '--cadence', 'daily', '--yes'], start);
    const A = await labelDrive('A', start);
    await must(['backup'], start);
    const r = await wizard(['backup', true, false]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.write('A'), Q.eject('A')]);
    expect(r.stdout).not.toContain('has been away');
    expect(await snapshotsOn(A)).toHaveLength(2);
  });

  it('an intact offsite drive is verified and then written', async () => {
    const start = { AIRGAP_NOW: noonOf(localDay(-28)) };
    await init(start);
    const B = await labelDrive('B', start);
    await must(['backup'], { AIRGAP_NOW: noonOf(localDay(-21)) });
    const r = await wizard(['backup', true, false]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.write('B'), Q.eject('B')]);
    expect(r.stdout).toContain('B has been away: verifying it before anything on it changes.');
    expect(r.stdout).toMatch(/OK: 1 snapshot verified/);
    expect(await snapshotsOn(B)).toHaveLength(2);
    // B is offsite: it goes back there; round-robin next is C in a week.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`Unplug B and take it to its offsite place; next: bring C on ${localDay(7)}.`);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. The menu

describe('the menu', () => {
  beforeEach(async () => {
    await init();
    await labelDrive('A');
    await must(['backup']); // today's snapshot is on A
  });

  it('verify, verify-deep, status, schedule, quit', async () => {
    const r = await wizard(['verify', 'verify-deep', 'status', 'schedule', 'quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.menu, Q.menu, Q.menu, Q.menu]);
    const [id] = await snapshotsOn(sb.drive('A'));

    // The ledger: one snapshot, written and (by the backup's read-back) verified today.
    expect(r.stdout).toContain(`1 snapshot, newest ${id}`);
    expect(r.stdout).toContain(`last written ${localDay(0)}`);

    // verify, then verify --deep
    const verify = r.stdout.split(`Verifying drive A (${sb.drive('A')})`);
    expect(verify).toHaveLength(3);
    expect(verify[1]).toContain(`${id}  OK (checksums`);
    expect(verify[1]).toMatch(/OK: 1 snapshot verified/);
    expect(verify[2]).toContain(`${id}  OK (deep, `);
    expect(verify[2]).toMatch(/OK: 1 snapshot verified/);

    // status (every drive of the rotation, and what comes next), then the 13-week schedule.
    const after = verify[2]!;
    const s = after.indexOf(`airgap status, ${localDay(0)}`);
    const sch = after.indexOf(`airgap rotation schedule: ${localDay(0)} to `);
    expect(s).toBeGreaterThan(0);
    expect(sch).toBeGreaterThan(s);
    const status = after.slice(s, sch);
    expect(status).toMatch(/^A {2}\[home\] {2}CONNECTED/m);
    expect(status).toMatch(/^B {2}\[offsite\] {2}not connected/m);
    expect(status).toMatch(/^C {2}\[home\] {2}not connected/m);
    expect(status).toContain(`Next: bring drive B on ${localDay(7)}`);
    const schedule = after.slice(sch);
    expect(schedule).toContain(', 12 backups');
    expect(schedule).toMatch(new RegExp(`${localDay(7)}  bring B back from offsite`));
    expect(schedule).toMatch(new RegExp(`${localDay(14)}  bring C and connect it`));
    expect(r.stdout).not.toContain('Unplug');
    expect(await snapshotsOn(sb.drive('A'))).toEqual([id]); // nothing written
  });

  it('restore: everything into a new folder, checked file by file', async () => {
    const to = join(sb.dir, 'restored');
    const r = await wizard(['restore', to, '', 'quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.restoreTo, Q.restorePaths, Q.menu]);
    const got = await readTree(to);
    const want = await readTree(src);
    // The snapshot holds the source folder under its own name.
    const files = (t: Record<string, { type: string; content?: string }>, prefix = '') =>
      Object.fromEntries(Object.entries(t).filter(([, v]) => v.type === 'file').map(([k, v]) => [k.slice(prefix.length), v.content]));
    const top = Object.keys(got).filter((k) => !k.includes('/'));
    expect(top).toEqual(['source']);
    expect(files(got, 'source/')).toEqual(files(want));
    expect(Object.keys(files(got))).toHaveLength(4);
  });

  it('restore: only the paths asked for', async () => {
    const to = join(sb.dir, 'restored');
    // One path per answer (a comma is part of a name, never a separator).
    const r = await wizard(['restore', to, 'source/docs/report.txt', 'source/notes.md', '', 'quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([Q.menu, Q.restoreTo, Q.restorePaths, Q.morePaths, Q.morePaths, Q.menu]);
    expect(await readFile(join(to, 'source', 'docs', 'report.txt'), 'utf8')).toBe('quarterly report\n');
    expect(await readFile(join(to, 'source', 'notes.md'), 'utf8')).toBe('# notes\nsome text\n');
    expect(await exists(join(to, 'source', 'hello.txt'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Ctrl+C at every prompt

describe('Ctrl+C at any prompt exits 130 with nothing half-done', () => {
  const flow1 = (): (string | boolean)[] => [src, '', '', 'A,B,C', 'B', 'weekly', 'offsite', 'long enough pass', 'long enough pass', true, 'A', 'backup', true, false];
  const flow1Questions = [Q.folder, Q.moreFolders, Q.excludes, Q.names, Q.offsite, Q.cadence, Q.encrypt, Q.pass1, Q.pass2, Q.useDisk, Q.diskName, Q.menu, Q.write('A'), Q.eject('A')];

  it.each(flow1Questions.map((q, k) => [k, q] as const))('first run, cancelled at prompt %i (%s)', async (k, question) => {
    const answers = flow1();
    answers[k] = 'CANCEL';
    const plug = plugInWhenWaiting('A');
    const r = await wizard(answers, { onStdout: plug.onStdout });

    expect(r.code).toBe(130);
    expect(r.stderr).toContain('cancelled');
    expect(r.asked).toEqual(flow1Questions.slice(0, k + 1));
    expect(r.asked.at(-1)).toBe(question);

    // Setup is all or nothing: no config until every setup question is answered.
    const after = (q: string) => k > flow1Questions.indexOf(q);
    expect(await exists(configPath)).toBe(after(Q.pass2));
    expect(await exists(join(dirname(configPath), 'key.age'))).toBe(after(Q.pass2));
    if (after(Q.pass2)) expect(JSON.parse(await readFile(configPath, 'utf8')).drives.rotation).toHaveLength(3);
    // Labelled only once the name was given.
    expect(await isLabelled(sb.drive('A'))).toBe(after(Q.diskName));
    // A snapshot only once the backup was confirmed; never an unfinished one.
    expect(await snapshotsOn(sb.drive('A'))).toHaveLength(after(Q.write('A')) ? 1 : 0);
    expect(await partials()).toEqual([]);
    expect(r.stdout).not.toContain('Unplug');
  });

  it('no drive arrives while waiting: gives up with 130 (the config written by setup stays)', async () => {
    const r = await wizard([src, '', '', 'A,B,C', 'B', 'weekly', 'none'], { waitMs: 600 });
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('Plug in drive A. Waiting… (Ctrl+C to stop)');
    expect(r.asked).toEqual([Q.folder, Q.moreFolders, Q.excludes, Q.names, Q.offsite, Q.cadence, Q.encrypt]);
    expect(await exists(configPath)).toBe(true);
    expect(await readdir(join(sb.dir, 'drives'))).toEqual([]);
  });

  const flow2Questions = [Q.menu, Q.write('A'), Q.eject('A')];
  it.each(flow2Questions.map((q, k) => [k, q] as const))('due drive connected, cancelled at prompt %i (%s)', async (k, question) => {
    await init();
    const A = await labelDrive('A');
    const before = await readFile(configPath, 'utf8');
    const answers: (string | boolean)[] = ['backup', true, true];
    answers[k] = 'CANCEL';
    const r = await wizard(answers);

    expect(r.code).toBe(130);
    expect(r.stderr).toContain('cancelled');
    expect(r.asked).toEqual(flow2Questions.slice(0, k + 1));
    expect(r.asked.at(-1)).toBe(question);
    expect(await snapshotsOn(A)).toHaveLength(k >= 2 ? 1 : 0);
    if (k >= 2) await expectCompleteSnapshot(A, (await snapshotsOn(A))[0]!);
    expect(await partials()).toEqual([]);
    expect(await readFile(configPath, 'utf8')).toBe(before);
    expect(r.stdout).not.toContain('nothing to eject');
    expect(r.stdout).not.toContain('Unplug');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Unattended

describe('unattended (--yes)', () => {
  it('without a config: exit 2, pointing at airgap init, writing nothing', async () => {
    const r = await wizard([], { argv: ['wizard', '--yes'] });
    expect(r.code).toBe(2);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toContain('airgap is not set up yet');
    expect(r.stderr).toMatch(/hint: .*airgap init/);
    expect(await exists(configPath)).toBe(false);
  });

  it('with a config but no drive: exit 4, "plug in drive A", without waiting', async () => {
    await init();
    const r = await wizard([], { argv: ['wizard', '--yes'] });
    expect(r.code).toBe(4);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toContain('plug in drive A');
    expect(r.stdout).not.toContain('Waiting');
    // Had it waited for a drive, it would have ended after waitMs with 130, not 4 (no clock needed).
  });

  it('with an unlabelled disk: exit 2 naming airgap label, the disk untouched', async () => {
    await init();
    const disk = sb.drive('new-disk');
    await mkdir(disk);
    const r = await wizard([], { argv: ['wizard', '--yes'] });
    expect(r.code).toBe(2);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toContain(`airgap label ${disk} --name`);
    expect(await readdir(disk)).toEqual([]);
  });

  it('with the due drive connected: backs up, exit 0, and prints the instruction', async () => {
    await init();
    const A = await labelDrive('A');
    const r = await wizard([], { argv: ['wizard', '--yes'] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([]);
    const snaps = await snapshotsOn(A);
    expect(snaps).toHaveLength(1);
    await expectCompleteSnapshot(A, snaps[0]!);
    expect(await partials()).toEqual([]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(farewellRe('A', 'B', localDay(7)));
  });

  it('with only a drive that is not due: refuses (exit 4), writes nothing', async () => {
    await init();
    const C = await labelDrive('C');
    const r = await wizard([], { argv: ['wizard', '--yes'] });
    expect(r.code).toBe(4);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toContain('C is connected, but A is the due drive');
    expect(await snapshotsOn(C)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 8. --json

describe('--json', () => {
  it('unattended with the due drive: stdout is JSON lines, including the plan', async () => {
    await init();
    const A = await labelDrive('A');
    const r = await wizard([], { argv: ['--json', 'wizard', '--yes'] });
    expect(r.code, r.stderr).toBe(0);
    expect(await snapshotsOn(A)).toHaveLength(1);

    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const parsed = lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${JSON.stringify(l)}`);
      }
    });
    const plan = parsed.find((e) => e.event === 'plan') as { plan: { target: string; due: boolean } } | undefined;
    expect(plan).toBeDefined();
    expect(plan!.plan.target).toBe('A');
    expect(plan!.plan.due).toBe(true);
    // The physical instruction is an event too.
    expect(parsed.some((e) => e.event === 'say' && String(e.text).startsWith('Unplug A'))).toBe(true);
  });

  it('the plan event, without the sub-commands (no drive): one JSON line per event', async () => {
    await init();
    const r = await wizard([], { argv: ['--json', 'wizard', '--yes'] });
    expect(r.code).toBe(4);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'plan', plan: { target: 'A', due: true } });
    expect(events.at(-1)).toMatchObject({ ok: false, error: { code: 'no-drive', exitCode: 4 } });
  });
});

describe('wizard: the mass-change gate', () => {
  it('shows the report, and accepts the changes only when the user says they are theirs', async () => {
    const { mkdtemp, mkdir, writeFile, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join: j } = await import('node:path');
    const { run: runCli } = await import('../../src/cli/main.js');
    const { scriptedPrompter: scripted } = await import('../../src/ui/prompter.js');
    const dir = await mkdtemp(j(tmpdir(), 'airgap-wizgate-'));
    try {
      const src = j(dir, 'src');
      for (let f = 0; f < 40; f++) {
        await mkdir(j(src, `d${f % 5}`), { recursive: true });
        await writeFile(j(src, `d${f % 5}`, `f${f}.txt`), `plain text ${f}\n`.repeat(200));
      }
      await mkdir(j(dir, 'drives', 'A'), { recursive: true });
      const env = { ...process.env, AIRGAP_STATE_DIR: j(dir, 'state'), AIRGAP_CONFIG: j(dir, 'config.json'), AIRGAP_DRIVES_ROOT: j(dir, 'drives'), CI: '' };
      let out = '';
      const io = { write: (s: string) => void (out += s) };
      const go = (argv: string[], answers: (string | boolean)[]) => runCli(argv, { env, stdout: io, stderr: io, interactive: true, prompter: scripted(answers) });
      expect(await go(['init', '--source', src, '--drives', 'A', '--yes'], [])).toBe(0);
      expect(await go(['label', j(dir, 'drives', 'A'), '--name', 'A', '--yes'], [])).toBe(0);
      expect(await go(['backup', '--drive', 'A'], [])).toBe(0);
      // Ransomware: every file overwritten with random bytes.
      const { randomBytes } = await import('node:crypto');
      for (let f = 0; f < 40; f++) await writeFile(j(src, `d${f % 5}`, `f${f}.txt`), randomBytes(3000));
      out = '';
      expect(await go(['wizard'], ['backup', true, false])).toBe(4);
      expect(out).toMatch(/SUSPECT/);
      expect(out).toMatch(/Nothing was pruned/);
      out = '';
      expect(await go(['wizard'], ['backup', true, true, false])).toBe(0);
      expect(out).toMatch(/accepted the changes/);
      expect((await readdir(j(dir, 'drives', 'A', 'airgap'))).filter((n) => /^\d{4}-/.test(n)).length).toBeGreaterThanOrEqual(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows SUSPECT beside the drive and before a restore, with airgap accept / reject in words (issue 17 §1)', async () => {
    const { randomBytes } = await import('node:crypto');
    const { writeFile } = await import('node:fs/promises');
    const files: string[] = [];
    for (let f = 0; f < 40; f++) {
      await mkdir(join(src, `d${f % 5}`), { recursive: true });
      files.push(join(src, `d${f % 5}`, `f${f}.txt`));
      await writeFile(files.at(-1)!, `plain text ${f}\n`.repeat(200));
    }
    await must(['init', '--source', src, '--drives', 'A', '--yes']);
    await labelDrive('A');
    await must(['backup', '--drive', 'A']);
    const [good] = await snapshotsOn(sb.drive('A'));
    for (const f of files) await writeFile(f, randomBytes(3000));

    // The gate trips in the wizard; "not mine" names the snapshot and both answers.
    const tripped = await wizard(['backup', true, false]);
    expect(tripped.code).toBe(4);
    // Accepting lets pruning delete: a question that drops keys typed during the backup.
    expect(tripped.writeConfirms).toEqual([Q.write('A'), tripped.asked.at(-1)]);
    expect(tripped.asked.at(-1)).toMatch(/^The changes above look like ransomware/);
    const suspect = (await snapshotsOn(sb.drive('A'))).at(-1)!;
    expect(suspect).not.toBe(good);
    expect(tripped.stdout).toContain(`Nothing was pruned, and nothing will be until you answer for ${suspect}.`);
    expect(tripped.stdout).toContain(`once they are recovered: airgap reject A ${suspect} (it stays as evidence, pruning resumes). If the changes were yours after all: airgap accept A ${suspect}.`);

    // Next visit: SUSPECT beside the drive, before any choice, with the way out.
    const to = join(sb.dir, 'restored');
    const back = await wizard(['restore', to, '', 'quit']);
    expect(back.code, back.stderr).toBe(0);
    const [header, afterMenu] = back.stdout.split('Restore takes');
    expect(header).toContain(`  SUSPECT: ${suspect} on A: mass changes that look like ransomware or a broken sync, not accepted. Restore skips it unless named; nothing is pruned on any drive until you answer:`);
    expect(header).toContain(`    if the changes are yours:       airgap accept A ${suspect}`);
    expect(header).toContain(`    once your files are recovered: airgap reject A ${suspect}   (kept as evidence; --delete removes it)`);
    // Restore says which snapshot it takes and what it passes over, and takes the good one.
    expect(afterMenu).toMatch(new RegExp(`^ ${good}, the newest snapshot on A that is not SUSPECT; 1 SUSPECT snapshot \\(${suspect}\\) may hold the damaged files and is taken only when named: airgap restore A --snapshot <id> --to <folder>\\.`));
    expect(await readFile(join(to, 'source', 'd0', 'f0.txt'), 'utf8')).toBe('plain text 0\n'.repeat(200));

    // Rejected: still SUSPECT, marked as answered; no commands offered for it any more.
    await must(['reject', 'A', suspect, '--yes']);
    const after = await wizard(['quit']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`  SUSPECT (rejected): ${suspect} on A, kept as evidence; restore skips it unless named.`);
    expect(after.stdout).not.toContain('airgap accept A');

    // Accepted instead (a fresh flag): not SUSPECT at all.
    expect((await wizard(['backup', true, false])).code).toBe(4);
    const second = (await snapshotsOn(sb.drive('A'))).at(-1)!;
    await must(['accept', 'A', second, '--yes']);
    const accepted = await wizard(['quit']);
    expect(accepted.stdout).not.toContain(`SUSPECT: ${second}`);
    expect(accepted.stdout).toContain(`SUSPECT (rejected): ${suspect}`);
  });
});

// ---------------------------------------------------------------------------------------------
// A restore drill overdue (issue 19): one question before the menu, as `airgap drill` does it

describe('wizard: the restore drill offer', () => {
  const DRILL_Q = 'Run a restore drill of A now? (a sample of its files restored into a temporary folder and checked; nothing on A changes)';
  /** A labelled and written 100 days ago, never drilled: its drill is overdue (drillDays 90). */
  async function overdue(): Promise<string> {
    const then = { AIRGAP_NOW: noonOf(localDay(-100)) };
    await init(then);
    const A = await labelDrive('A', then);
    await must(['backup', '--drive', 'A'], then);
    return A;
  }
  const catalogOf = async () => JSON.parse(await readFile(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')) as { drives: { lastDrill?: { ok: boolean; files: number } }[] };

  it('offers a drill when one is due; yes runs it and shows it, then the menu', async () => {
    await overdue();
    const r = await wizard([true, 'quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([DRILL_Q, Q.menu]);
    expect(r.writeConfirms).toEqual([]); // nothing is written to the drive
    expect(r.stdout).toContain('Restore drill due: A has had no restore drill in the 100 days since it was labelled (alert after 90 days).');
    expect(r.stdout).toMatch(/^Restore drill of drive A: snapshot /m);
    expect(r.stdout).toMatch(/^OK: every file of the sample came back as it was backed up\./m);
    expect((await catalogOf()).drives[0]!.lastDrill).toMatchObject({ ok: true, files: 4 });
    // Drilled: the next visit does not ask again.
    const again = await wizard(['quit']);
    expect(again.asked).toEqual([Q.menu]);
  });

  it('no: no drill, the command to run later, and the menu', async () => {
    await overdue();
    const r = await wizard([false, 'quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.asked).toEqual([DRILL_Q, Q.menu]);
    expect(r.stdout).toContain('Later, then: airgap drill A');
    expect((await catalogOf()).drives[0]!.lastDrill).toBeUndefined();
  });

  it('not due (the drive labelled today): no question', async () => {
    await init();
    await labelDrive('A');
    await must(['backup', '--drive', 'A']);
    expect((await wizard(['quit'])).asked).toEqual([Q.menu]);
  });
});

// The drive's health (issue 19): what status alerts of the connected drive, the wizard says too.
describe('wizard: the connected drive\'s health', () => {
  const reading = (at: string, reallocated: number) => ({ at, type: 'sat', protocol: 'ATA', model: 'Test Disk', serial: 'T1', passed: true, exit: 0, counters: { reallocated, pending: 0 } });
  async function withHealth(health: unknown[], readErrors: unknown[] = []): Promise<void> {
    await init();
    await labelDrive('A');
    await must(['backup', '--drive', 'A']);
    const file = join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json');
    const cat = JSON.parse(await readFile(file, 'utf8')) as { drives: Record<string, unknown>[] };
    Object.assign(cat.drives[0]!, { health, readErrors });
    await writeFile(file, JSON.stringify(cat));
  }

  it('a failure counter grown since the first reading: an ALERT naming the counter and airgap replace', async () => {
    await withHealth([reading('2026-01-05T09:00:00Z', 0), reading('2026-02-05T09:00:00Z', 8)]);
    const r = await wizard(['quit']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}ALERT: drive A's health \(2026-02-05\): it may be failing: .*reallocated.*airgap replace A <new-drive>$/m);
  });

  it('read errors in the last verify: an ALERT; a steady healthy disk: none', async () => {
    await withHealth([reading('2026-01-05T09:00:00Z', 3), reading('2026-02-05T09:00:00Z', 3)], [{ at: '2026-02-06T09:00:00Z', count: 2 }]);
    const r = await wizard(['quit']);
    expect(r.stdout).toMatch(/^ {2}ALERT: drive A had 2 read errors \(EIO\) in its verify of 2026-02-06/m);
    expect(r.stdout).not.toContain("drive A's health");
  });
});
