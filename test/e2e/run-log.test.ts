// `airgap log` (issue 17 §6): every backup, verify, restore and prune run on this host recorded
// in the state folder with its time (the session's clock), drive, outcome, figures and exit
// code, through the built CLI as a subprocess. A damaged line is skipped with a note; a history
// that cannot be written never changes a command's outcome.
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

interface Run { at: string; command: string; drive?: string; snapshot?: string; outcome: string; exitCode: number; figures?: Record<string, number>; error?: { code: string } }

let sb: Sandbox;
let src: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  await writeFile(join(src, 'docs', 'a.txt'), 'hello\n');
  await writeFile(join(src, 'docs', 'b.txt'), 'world\n');
  await writeFile(join(src, 'c.txt'), 'third file\n');
});
afterEach(() => sb.cleanup());

/** One command at a minute of its own (AIRGAP_NOW): the record's time is the session's clock. */
const at = (minute: number) => `2026-03-02T10:0${minute}:00.000Z`;
const runAt = (minute: number, ...args: string[]) => runChecked(sb, args, { AIRGAP_NOW: at(minute) });

async function logJson(...extra: string[]): Promise<{ r: CliResult; runs: Run[] }> {
  const r = await runChecked(sb, ['log', '--json', ...extra]);
  expect(r.code, show(r)).toBe(0);
  return { r, runs: JSON.parse(r.stdout) as Run[] };
}

/** backup, verify, restore, and a restore refused (every file would be replaced: exit 4). */
async function fourRuns(): Promise<string> {
  await labelledDrive(sb, 'A');
  const to = join(sb.dir, 'restored');
  const steps: [string[], number][] = [
    [['backup', '--drive', 'A', '--source', src], 0],
    [['verify', 'A'], 0],
    [['restore', 'A', '--to', to], 0],
    [['restore', 'A', '--to', to], 4],
  ];
  for (const [i, [args, code]] of steps.entries()) {
    const r = await runAt(i + 1, ...args);
    expect(r.code, show(r)).toBe(code);
  }
  return to;
}

describe('airgap log', () => {
  it('lists backup, verify, restore and a refused restore, newest first, with drive, outcome, exit code and figures', async () => {
    await fourRuns();
    const { runs } = await logJson();
    expect(runs.map((x) => [x.at, x.command, x.drive, x.outcome, x.exitCode])).toEqual([
      [at(4), 'restore', 'A', 'refused', 4],
      [at(3), 'restore', 'A', 'ok', 0],
      [at(2), 'verify', 'A', 'ok', 0],
      [at(1), 'backup', 'A', 'ok', 0],
    ]);
    const [refused, restored, verified, backedUp] = runs as [Run, Run, Run, Run];
    expect(refused.error?.code).toBe('target-collision');
    expect(backedUp.snapshot).toBe('2026-03-02T100100Z');
    expect(backedUp.figures).toMatchObject({ files: 3, bytes: 23, pruned: 0 });
    expect(verified.figures).toMatchObject({ snapshots: 1, damaged: 0 });
    expect(restored).toMatchObject({ snapshot: backedUp.snapshot, figures: { files: 3, bytes: 23, damaged: 0 } });

    const limited = await logJson('--limit', '2');
    expect(limited.runs).toEqual(runs.slice(0, 2));

    const text = await runChecked(sb, ['log']);
    expect(text.code, show(text)).toBe(0);
    const rows = text.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^When \(UTC\)\s+Command\s+Drive\s+Outcome\s+Exit\s+Figures$/);
    expect(rows.slice(1)).toHaveLength(4);
    expect(rows[1]).toMatch(/^2026-03-02 10:04:00 {2}restore +A +refused +4 {2}target-collision: /);
    expect(rows[2]).toMatch(/^2026-03-02 10:03:00 {2}restore +A +ok +0 {2}3 files, 23 B, /);
    expect(rows[3]).toMatch(/^2026-03-02 10:02:00 {2}verify +A +ok +0 {2}1 snapshot, /);
    expect(rows[4]).toMatch(/^2026-03-02 10:01:00 {2}backup +A +ok +0 {2}3 files, 23 B, /);
  });

  it('records damage (verify exit 3), usage errors and dry runs', async () => {
    const drive = await labelledDrive(sb, 'A');
    expect((await runAt(1, 'backup', '--drive', 'A', '--source', src)).code).toBe(0);
    expect((await runAt(2, 'backup', '--drive', 'A', '--source', src, '--dry-run')).code).toBe(0);
    expect((await runAt(3, 'verify', 'Z')).code).toBe(2);
    const snap = join(drive, 'airgap', '2026-03-02T100100Z');
    const tar = (await readdir(snap)).find((n) => n.endsWith('.tar'))!;
    const bytes = await readFile(join(snap, tar));
    bytes[600] = bytes[600]! ^ 0xff;
    await writeFile(join(snap, tar), bytes);
    const v = await runAt(4, 'verify', 'A');
    expect(v.code, show(v)).toBe(3);

    const { runs } = await logJson();
    expect(runs.map((x) => [x.command, x.drive, x.outcome, x.exitCode])).toEqual([
      ['verify', 'A', 'damaged', 3],
      ['verify', 'Z', 'usage', 2],
      ['backup', 'A', 'dry-run', 0],
      ['backup', 'A', 'ok', 0],
    ]);
    expect(runs[0]!.figures).toMatchObject({ snapshots: 1, damaged: 1 });
    expect(runs[1]!.error?.code).toBe('unknown-drive');
  });

  it('a damaged last line is skipped with a note, and the next run is recorded on a line of its own', async () => {
    await fourRuns();
    const file = join(sb.env.AIRGAP_STATE_DIR!, 'runs.jsonl');
    await appendFile(file, '{"at":"2026-03-02T10:05:00.000Z","command":"ver');
    const { r, runs } = await logJson();
    expect(runs.map((x) => x.at)).toEqual([at(4), at(3), at(2), at(1)]);
    expect(r.stderr, show(r)).toMatch(/^note: 1 damaged line in the run history skipped/m);
    const text = await runChecked(sb, ['log']);
    expect(text.code, show(text)).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(5);

    expect((await runAt(6, 'verify', 'A')).code).toBe(0);
    const after = await logJson();
    expect(after.runs.map((x) => [x.at, x.command, x.outcome])[0]).toEqual([at(6), 'verify', 'ok']);
    expect(after.runs).toHaveLength(5);
  });

  it('no history yet: says so, exit 0; --json: []', async () => {
    const r = await runChecked(sb, ['log']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^No runs recorded on this host yet/);
    expect((await logJson()).runs).toEqual([]);
  });

  it('--limit must be a whole number from 1 (exit 2, error and hint)', async () => {
    for (const bad of ['0', '-3', 'ten', '1.5']) {
      const r = await runChecked(sb, ['log', '--limit', bad]);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr, show(r)).toMatch(/^error: --limit .* is not a whole number/m);
      expect(r.stderr, show(r)).toMatch(/^hint: /m);
    }
  });

  it('a history that cannot be written is a warning: the command keeps its outcome and exit code', async () => {
    await labelledDrive(sb, 'A');
    await mkdir(join(sb.env.AIRGAP_STATE_DIR!, 'runs.jsonl'), { recursive: true });
    const b = await runAt(1, 'backup', '--drive', 'A', '--source', src);
    expect(b.code, show(b)).toBe(0);
    expect(b.stderr, show(b)).toMatch(/^warning: this run was not recorded in the run history/m);
    // Into the folder that holds src/: every file of the snapshot is there already (a collision).
    const refused = await runAt(2, 'restore', 'A', '--to', sb.dir);
    expect(refused.code, show(refused)).toBe(4);
    expect(refused.stderr, show(refused)).toMatch(/^error: .*already has .* the restore would replace/m);
    const log = await runChecked(sb, ['log']);
    expect(log.code, show(log)).toBe(4);
    expect(log.stderr, show(log)).toMatch(/^error: cannot read the run history/m);
    expect(log.stderr, show(log)).toMatch(/^hint: /m);
  });
});
