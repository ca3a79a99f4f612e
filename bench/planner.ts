// Planner benchmark (not a test): one planRotation call and one 10-year buildSchedule over a
// 10-drive rotation with a 10-year weekly history, for each scheme. It calls the pure core
// directly (compiled from src/core/ into .bench-build/ along with it):
//   npm run bench:planner     (or, once compiled: node .bench-build/bench/planner.js)
import { addDays, isBackupDay, nextBackupDay, slotIndex, type Cadence } from '../src/core/calendar.js';
import { planRotation, type PlanDrive, type PlanInput } from '../src/core/planner.js';
import { DEFAULT_RETENTION, driveIndexForSlot, type Policy, type Scheme } from '../src/core/policy.js';
import { buildSchedule } from '../src/core/schedule.js';

const DRIVES = 10;
const YEARS = 10;
const EPOCH = '2016-01-04'; // a Monday
const TODAY = '2026-01-03'; // a Saturday: ten years of Saturdays since the epoch, today included
const CADENCE: Cadence = { kind: 'weekdays', days: [6] };
const WARMUP = 5;
const RUNS = 20;
const SNAPSHOT_BYTES = 250_000_000_000;

function policyFor(scheme: Scheme): Policy {
  return {
    drives: Array.from({ length: DRIVES }, (_, i) => ({
      name: `D${String(i + 1).padStart(2, '0')}`,
      role: i % 3 === 2 ? 'offsite' : 'home',
      retention: DEFAULT_RETENTION,
    })),
    cadence: CADENCE,
    scheme,
    offline: 3,
    epoch: EPOCH,
    alerts: { rotationDays: 90, verifyDays: 180 },
  };
}

/**
 * Every Saturday from the epoch to TODAY, each on the drive the scheme gives it (oldest-first
 * settles into plain rotation, so it is spread like round-robin). Nothing pruned: the catalog at
 * its largest, 522 snapshots.
 */
function historyFor(policy: Policy): PlanDrive[] {
  const drives: PlanDrive[] = policy.drives.map((d) => ({
    name: d.name,
    snapshots: [],
    labelledOn: EPOCH,
    capacity: { total: 8_000_000_000_000, free: 3_000_000_000_000 },
  }));
  let day = isBackupDay(CADENCE, EPOCH) ? EPOCH : nextBackupDay(CADENCE, EPOCH);
  for (; day <= TODAY; day = nextBackupDay(CADENCE, day)) {
    const slot = slotIndex(CADENCE, EPOCH, day);
    const owner = policy.scheme === 'oldest-first' ? slot % DRIVES : driveIndexForSlot(policy.scheme, slot, DRIVES);
    const d = drives[owner]!;
    d.snapshots.push({ id: `${day}T093000Z`, bytes: SNAPSHOT_BYTES, verified: true, complete: true });
    d.lastVerifiedOn = day;
  }
  return drives;
}

/** Median wall time in milliseconds of `runs` calls, after `warmup` calls. */
function median(fn: () => unknown): { ms: number; result: unknown } {
  let result: unknown;
  for (let i = 0; i < WARMUP; i++) result = fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length / 2;
  const ms = times.length % 2 ? times[Math.floor(mid)]! : (times[mid - 1]! + times[mid]!) / 2;
  return { ms, result };
}

interface Row {
  scheme: Scheme;
  snapshots: number;
  plan: number;
  schedule: number;
  rows: number;
  perPlan: number;
}

function bench(scheme: Scheme): Row {
  const policy = policyFor(scheme);
  const drives = historyFor(policy);
  const input: PlanInput = { policy, drives, connected: [], today: TODAY, sourceBytes: SNAPSHOT_BYTES };
  const plan = median(() => planRotation(input));
  const until = addDays(TODAY, YEARS * 365 + Math.floor(YEARS / 4));
  const schedule = median(() => buildSchedule({ policy, drives, sourceBytes: SNAPSHOT_BYTES }, TODAY, until));
  const rows = (schedule.result as ReturnType<typeof buildSchedule>).rows.length;
  // buildSchedule plans every backup day once (written or not): the cost of one plan in it.
  let days = 0;
  for (let d = nextBackupDay(CADENCE, addDays(TODAY, -1)); d <= until; d = nextBackupDay(CADENCE, d)) days++;
  return {
    scheme,
    snapshots: drives.reduce((n, d) => n + d.snapshots.length, 0),
    plan: plan.ms,
    schedule: schedule.ms,
    rows,
    perPlan: schedule.ms / days,
  };
}

const results = (['round-robin', 'hanoi', 'oldest-first'] as const).map(bench);
const table = [
  ['scheme', 'history', 'planRotation', `buildSchedule ${YEARS}y`, 'rows', 'per plan'],
  ...results.map((r) => [
    r.scheme,
    `${r.snapshots} snapshots`,
    `${r.plan.toFixed(3)} ms`,
    `${r.schedule.toFixed(1)} ms`,
    String(r.rows),
    `${(r.perPlan * 1000).toFixed(0)} µs`,
  ]),
];
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
console.log(`planner benchmark: ${DRIVES} drives, weekly (Saturday) cadence, ${YEARS}-year history, median of ${RUNS} runs after ${WARMUP} warm-ups`);
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
