// A simulated year of Saturdays on three rotation drives, end to end through the built CLI:
// each week `plan` names the due drive, only that drive is "plugged in" (moved from a shelf
// folder into the drives root), `backup` without --drive writes it and prunes per the plan, and
// the drive goes back on the shelf. On chosen weeks the refusals are exercised (wrong drive,
// air gap, a second run on the same day), every 8 weeks a deep verify lands in the catalog.
// At the end: the drives hold what the retention policy keeps, the catalog agrees with the
// drives, the schedule printed before the first backup named the same drive as every week's
// plan, every drive verifies, and no unfinished (.partial-/.pruning-) folder is left anywhere.
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/calendar.js';
import type { Retention } from '../../src/core/policy.js';
import { applyRetention } from '../../src/core/retention.js';
import { makeSandbox, runCli, type CliResult, type Sandbox } from '../helpers/cli.js';
import { makeTree } from '../helpers/tree.js';

const NAMES = ['A', 'B', 'C'] as const;
type Name = (typeof NAMES)[number];
const START = '2026-01-03'; // a Saturday
const WEEKS = 52;
const RETENTION: Retention = { keepLast: 2, daily: 0, weekly: 4, monthly: 3, yearly: 1 };
const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d+)?$/;

// Week indexes (0 = 2026-01-03) where the refusals are exercised.
const WRONG_DRIVE_WEEKS = new Set([4, 29]);
const AIR_GAP_WEEKS = new Set([10, 20, 33]);
const TWICE_WEEKS = new Set([13, 51]);
const isVerifyWeek = (w: number) => w % 8 === 7;

interface Failure {
  week: number;
  date: string;
  command: string;
  expected: string;
  actual: string;
}

describe('a simulated year of weekly rotation (round-robin, A B C)', () => {
  let sb: Sandbox;
  let root: string; // the drives root: connected drives
  let shelf: string; // disconnected drives
  let src: string;
  let configPath: string;
  const failures: Failure[] = [];

  const at = (date: string, time = '10:00:00') => ({ ...sb.env, AIRGAP_NOW: `${date}T${time}Z`, TZ: 'UTC' });
  const cli = (date: string, ...args: string[]): Promise<CliResult> => runCli(args, at(date));
  const connected = (n: string) => join(root, n);
  const shelved = (n: string) => join(shelf, n);
  const plugIn = (n: string) => rename(shelved(n), connected(n));
  const unplug = (n: string) => rename(connected(n), shelved(n));
  const exists = (p: string) => stat(p).then(() => true, () => false);
  /** Where a drive is right now (connected or on the shelf). */
  const whereIs = async (n: string) => ((await exists(connected(n))) ? connected(n) : shelved(n));
  /** Snapshot folder names on a drive, wherever it is. */
  const snapshotsOn = async (n: string) => (await readdir(join(await whereIs(n), 'airgap'))).filter((x) => SNAPSHOT_NAME.test(x)).sort();
  /** Everything in each drive's airgap folder: to prove that a refused run wrote nothing. */
  const everything = async () => Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, (await readdir(join(await whereIs(n), 'airgap'))).sort()])));
  const parse = (r: CliResult) => {
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
  };
  /** Soft check that also records what went wrong, for the report at the end. */
  const check = (ok: boolean, f: Failure, assertion: () => void) => {
    if (!ok) failures.push(f);
    assertion();
  };

  beforeAll(async () => {
    sb = await makeSandbox();
    root = sb.env.AIRGAP_DRIVES_ROOT!;
    shelf = join(sb.dir, 'shelf');
    await mkdir(shelf);
    src = join(sb.dir, 'home', 'docs');
    await makeTree(src, {
      'journal.txt': 'week -1\n',
      'notes.md': '# notes\n',
      'photos': { dir: { 'cat.jpg': Buffer.alloc(2048, 7) } },
    });
    configPath = join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
    await mkdir(join(sb.env.XDG_CONFIG_HOME!, 'airgap'), { recursive: true });
    await writeFile(configPath, JSON.stringify({
      version: 1,
      sources: [src],
      drives: {
        rotation: [
          { name: 'A', role: 'home' },
          { name: 'B', role: 'offsite', location: 'office' },
          { name: 'C', role: 'home' },
        ],
      },
      cadence: { weekdays: ['sat'] },
      policy: { scheme: 'round-robin', offline: 1, start: START, retention: RETENTION },
    }, null, 2));
    // Labelled while connected, the day before the first backup; then put on the shelf.
    for (const n of NAMES) {
      await mkdir(connected(n));
      const r = await cli(addDays(START, -1), 'label', connected(n), '--name', n, '--yes');
      if (r.code !== 0) throw new Error(`label ${n} failed (exit ${r.code}): ${r.stderr}`);
      await unplug(n);
    }
  });
  afterAll(async () => {
    if (failures.length) console.error(`simulated year: ${failures.length} failure(s):\n${failures.map((f) => `  week ${f.week} (${f.date}) \`${f.command}\`: expected ${f.expected}; got ${f.actual}`).join('\n')}`);
    await sb?.cleanup();
  });

  it('follows the plan for 52 Saturdays; drives, catalog, schedule and retention agree at the end', async () => {
    const started = Date.now();
    // The schedule, printed before any backup.
    const sched = await cli(addDays(START, -1), 'schedule', '--from', START, '--weeks', String(WEEKS), '--format', 'json');
    expect(sched.code, sched.stderr).toBe(0);
    const schedule = parse(sched) as { rows: { date: string; drive: string }[] };
    expect(schedule.rows).toHaveLength(WEEKS);

    const received: Record<Name, string[]> = { A: [], B: [], C: [] };
    const planned: { date: string; drive: string }[] = [];
    const deepVerified: { date: string; drive: Name }[] = [];

    for (let w = 0; w < WEEKS; w++) {
      const date = addDays(START, 7 * w);
      const tag = `week ${w} (${date})`;

      // 1. The plan, with every drive on the shelf.
      const p = await cli(date, 'plan', '--json');
      expect(p.code, `${tag}: plan: ${p.stderr}`).toBe(0);
      const plan = parse(p) as { due: boolean; target: Name; targetDate: string; keepOffline: { drive: Name; required: boolean }[] };
      expect(plan.due, `${tag}: plan.due`).toBe(true);
      expect(plan.targetDate, `${tag}: plan.targetDate`).toBe(date);
      expect(NAMES).toContain(plan.target);
      const target = plan.target;
      planned.push({ date, drive: target });

      // 2. This week's change in the source, so each snapshot differs.
      await writeFile(join(src, 'journal.txt'), `week ${w}, ${date}: drive ${target}\n`);

      // 3. The wrong drive instead of the due one: refused, nothing written.
      if (WRONG_DRIVE_WEEKS.has(w)) {
        const wrong = NAMES[(NAMES.indexOf(target) + 1) % NAMES.length]!;
        await plugIn(wrong);
        const before = await everything();
        const r = await cli(date, 'backup', '--json');
        const err = r.code === 0 ? undefined : parse(r).error;
        check(r.code === 4 && err?.code === 'not-due-drive',
          { week: w, date, command: `backup --json (only ${wrong} connected, ${target} due)`, expected: 'exit 4, not-due-drive', actual: `exit ${r.code}, ${err?.code ?? r.stdout.trim()}` },
          () => {
            expect.soft(r.code, `${tag}: backup with ${wrong} instead of ${target}: ${r.stderr}`).toBe(4);
            expect.soft(err?.code, `${tag}: error code`).toBe('not-due-drive');
          });
        expect.soft(await everything(), `${tag}: a refused backup writes nothing`).toEqual(before);
        await unplug(wrong);
      }

      await plugIn(target);
      let written: string | undefined;

      // 4. The due drive plus the drive the plan wants offline (the air gap): refused.
      if (AIR_GAP_WEEKS.has(w)) {
        const other = plan.keepOffline.find((o) => o.required)!.drive;
        expect(other).not.toBe(target);
        await plugIn(other);
        // The plan itself, with both connected, calls this a broken air gap.
        const pp = await cli(date, 'plan', '--json');
        expect(pp.code, `${tag}: plan with ${target} and ${other}: ${pp.stderr}`).toBe(0);
        const warnings = (parse(pp) as { warnings: string[] }).warnings;
        expect.soft(warnings.some((x) => x.startsWith(`air gap broken: ${other} is connected`)), `${tag}: plan warnings ${JSON.stringify(warnings)}`).toBe(true);
        const before = await everything();
        const r = await cli(date, 'backup', '--json');
        const out = parse(r);
        check(r.code === 4 && out.error?.code === 'air-gap',
          { week: w, date, command: `backup --json (${target} due and connected, ${other} — required offline by the plan — connected too)`, expected: 'exit 4, air-gap, nothing written', actual: `exit ${r.code}, ${out.error?.code ?? `wrote ${out.snapshot} on ${out.drive}`}; meanwhile \`plan --json\` warned ${JSON.stringify(warnings.find((x) => x.startsWith('air gap')))}` },
          () => {
            expect.soft(r.code, `${tag}: backup with ${target} and ${other} connected: ${r.stderr}`).toBe(4);
            expect.soft(out.error?.code, `${tag}: error code`).toBe('air-gap');
          });
        if (r.code === 0 && out.snapshot) {
          // The refusal did not happen: the week's snapshot has been written (with the air gap
          // broken). Keep simulating from there, so the rest of the year is still checked.
          written = out.snapshot as string;
        } else {
          expect.soft(await everything(), `${tag}: a refused backup writes nothing`).toEqual(before);
        }
        await unplug(other);
      }

      // 5. The week's backup: the due drive alone.
      if (!written) {
        const r = await cli(date, 'backup', '--json');
        expect(r.code, `${tag}: backup to ${target}: ${r.stdout}\n${r.stderr}`).toBe(0);
        const out = parse(r);
        expect(out.drive, `${tag}: backup wrote to`).toBe(target);
        written = out.snapshot as string;
      }
      expect(written, `${tag}: snapshot id`).toBe(`${date}T100000Z`);
      expect(await exists(join(connected(target), 'airgap', written!)), `${tag}: ${written} on ${target}`).toBe(true);
      received[target].push(written!);

      // 6. A second run on the same Saturday: nothing is due.
      if (TWICE_WEEKS.has(w)) {
        const before = await everything();
        const r = await cli(date, 'backup');
        check(r.code === 0 && /Nothing is due/.test(r.stdout),
          { week: w, date, command: 'backup (second run the same day)', expected: 'exit 0, "Nothing is due"', actual: `exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}` },
          () => {
            expect.soft(r.code, `${tag}: second backup: ${r.stderr}`).toBe(0);
            expect.soft(r.stdout, `${tag}: second backup`).toMatch(/Nothing is due/);
          });
        expect.soft(await everything(), `${tag}: the second run writes nothing`).toEqual(before);
      }

      // 7. Every 8 weeks, a deep verification while the drive is connected.
      if (isVerifyWeek(w)) {
        const r = await cli(date, 'verify', target, '--deep', '--json');
        expect.soft(r.code, `${tag}: verify ${target} --deep: ${r.stdout}\n${r.stderr}`).toBe(0);
        expect.soft(parse(r).ok, `${tag}: verify ok`).toBe(true);
        deepVerified.push({ date, drive: target });
      }

      await unplug(target);
    }

    // The catalog, with every drive on the shelf (nothing to refresh from): its view must
    // already match the drives, and hold the deep verifications.
    const onDisk = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await snapshotsOn(n)]))) as Record<Name, string[]>;
    const lastDay = addDays(START, 7 * (WEEKS - 1));
    const statusView = async () => {
      const r = await cli(lastDay, 'status', '--json');
      expect(r.code, `status: ${r.stderr}`).toBe(0);
      return parse(r) as { drives: { name: string; snapshots: number; newest?: string; lastVerified?: string; connected: boolean }[] };
    };
    const shelfStatus = await statusView();
    for (const n of NAMES) {
      const d = shelfStatus.drives.find((x) => x.name === n);
      expect.soft(d?.connected, `status (all on the shelf): ${n} connected`).toBe(false);
      expect.soft(d?.snapshots, `status (all on the shelf): ${n}'s snapshot count vs its folders`).toBe(onDisk[n].length);
      expect.soft(d?.newest, `status (all on the shelf): ${n}'s newest`).toBe(onDisk[n].at(-1));
      expect.soft(d?.lastVerified, `status: ${n} was verified`).toBeDefined();
    }
    const catalog = JSON.parse(await readFile(join(sb.env.AIRGAP_STATE_DIR!, 'catalog.json'), 'utf8')) as { drives: { name: string; snapshots: { id: string; verifiedAt?: string; deep?: boolean }[] }[] };
    for (const n of NAMES) {
      const e = catalog.drives.find((d) => d.name === n)!;
      expect.soft(e.snapshots.map((s) => s.id).sort(), `catalog.json: ${n}'s snapshots vs its folders`).toEqual(onDisk[n]);
      // Snapshots written before a drive's last deep verification carry that verification.
      const lastDeep = deepVerified.filter((v) => v.drive === n).at(-1);
      if (lastDeep) {
        for (const s of e.snapshots.filter((x) => x.id.slice(0, 10) <= lastDeep.date)) {
          expect.soft(s.verifiedAt?.slice(0, 10), `catalog.json: ${n}/${s.id} deep-verified on ${lastDeep.date}`).toBe(lastDeep.date);
          expect.soft(s.deep, `catalog.json: ${n}/${s.id} deep`).toBe(true);
        }
      }
    }
    expect(deepVerified.length).toBe(6);

    // Everything connected now (the plan is over): scan, list, status.
    for (const n of NAMES) await plugIn(n);
    const scan = await cli(lastDay, 'scan');
    expect(scan.code, `scan: ${scan.stderr}`).toBe(0);
    const status = await statusView();
    for (const n of NAMES) {
      const l = await cli(lastDay, 'list', n, '--json');
      expect(l.code, `list ${n}: ${l.stderr}`).toBe(0);
      const listed = parse(l) as { snapshots: { id: string; state: string }[]; leftovers: string[] };
      expect.soft(listed.snapshots.map((s) => s.id).sort(), `list ${n} vs its folders`).toEqual(onDisk[n]);
      expect.soft(listed.snapshots.every((s) => s.state === 'complete'), `list ${n}: all complete`).toBe(true);
      expect.soft(listed.leftovers, `list ${n}: leftovers`).toEqual([]);
      const d = status.drives.find((x) => x.name === n);
      expect.soft(d?.connected, `status: ${n} connected`).toBe(true);
      expect.soft(d?.snapshots, `status: ${n}'s snapshot count vs its folders`).toBe(onDisk[n].length);
    }

    // (1) Each drive holds what retention keeps, give or take the two pruning guards (the
    //     newest snapshot before each write, the newest verified one anywhere), and the chains
    //     those build on (format 2, the default: an increment keeps its base).
    for (const n of NAMES) {
      expect(received[n].length, `${n} received snapshots`).toBeGreaterThan(10);
      const keep = [...applyRetention(received[n], RETENTION).keep.keys()].sort();
      const recent = [...received[n]].sort().slice(-2);
      const bases = new Set<string>();
      for (const id of [...keep, ...recent].filter((x) => onDisk[n].includes(x))) {
        const meta = JSON.parse(await readFile(join(await whereIs(n), 'airgap', id, 'snapshot.json'), 'utf8')) as { chain?: string[] };
        for (const link of meta.chain ?? []) bases.add(link);
      }
      const extra = onDisk[n].filter((id) => !keep.includes(id) && !recent.includes(id) && !bases.has(id));
      const missing = keep.filter((id) => !onDisk[n].includes(id));
      expect.soft(extra, `${n}: snapshots retention does not keep (and not among the newest 2)`).toEqual([]);
      expect.soft(missing, `${n}: snapshots retention keeps but the drive lost`).toEqual([]);
      expect.soft(onDisk[n].every((id) => received[n].includes(id)), `${n}: only snapshots it received`).toBe(true);
    }

    // (3) The schedule printed before the first backup named the drive each week's plan chose.
    expect(schedule.rows.map((r) => ({ date: r.date, drive: r.drive }))).toEqual(planned);

    // (4) Every drive verifies, by path.
    for (const n of NAMES) {
      const r = await cli(lastDay, 'verify', connected(n));
      expect.soft(r.code, `verify ${connected(n)}: ${r.stdout}\n${r.stderr}`).toBe(0);
    }

    // (5) No unfinished snapshot or interrupted prune anywhere in the sandbox.
    const leftovers: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.partial-') || e.name.startsWith('.pruning-')) leftovers.push(join(dir, e.name));
        if (e.isDirectory()) await walk(join(dir, e.name));
      }
    };
    await walk(sb.dir);
    expect(leftovers).toEqual([]);

    console.log(`simulated year: ${WEEKS} weeks in ${((Date.now() - started) / 1000).toFixed(1)} s; snapshots kept: ${NAMES.map((n) => `${n} ${onDisk[n].length}/${received[n].length}`).join(', ')}`);
    expect(failures, 'refusals that did not happen as documented (see the log)').toEqual([]);
  }, 900_000); // a cap for a loaded machine, not an expectation
});
