import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, lastBackupDay, nextBackupDay, slotIndex, toDate, type Cadence } from '../../src/core/calendar.js';
import { planRotation, pruneCandidates, type Plan, type PlanDrive, type PlanInput, type PlanSnapshot } from '../../src/core/planner.js';
import { driveIndexForSlot, schemePeriod, type Policy, type Retention, type Role, type Scheme } from '../../src/core/policy.js';
import { applyRetention } from '../../src/core/retention.js';
import { buildSchedule } from '../../src/core/schedule.js';

// ---- table cases -------------------------------------------------------------------------------
// Three drives (A home, B offsite, C home), backups on Saturdays, epoch 2024-01-01 (a Monday, so
// slot 0 is Saturday 2024-01-06). Saturday 2026-11-21 is slot 150: round-robin → A (150 % 3 = 0),
// Tower of Hanoi → A (151 is odd). The slots around it:
//   2026-09-19 141 A/A   2026-10-10 144 A/A   2026-10-31 147 A/C   2026-11-21 150 A/A
//   2026-09-26 142 B/B   2026-10-17 145 B/B   2026-11-07 148 B/A   2026-11-28 151 B/C
//   2026-10-03 143 C/A   2026-10-24 146 C/A   2026-11-14 149 C/B   2026-12-05 152 C/A
//                                                                   2026-12-12 153 A/B
// (round-robin/hanoi)

const SATURDAYS: Cadence = { kind: 'weekdays', days: [6] };
const TODAY = '2026-11-21';
/** Keeps the two newest and the newest of the month: a weekly rotation prunes a little each time. */
const RET: Retention = { keepLast: 2, daily: 0, weekly: 0, monthly: 1, yearly: 0 };

function policy(scheme: Scheme, over: Partial<Policy> = {}): Policy {
  return {
    drives: [
      { name: 'A', role: 'home', retention: RET },
      { name: 'B', role: 'offsite', location: 'office drawer', retention: RET },
      { name: 'C', role: 'home', retention: RET },
    ],
    cadence: SATURDAYS,
    scheme,
    offline: 1,
    epoch: '2024-01-01',
    alerts: { rotationDays: 30, verifyDays: 90 },
    ...over,
  };
}

const sid = (date: string) => `${date}T093000Z`;
const snap = (date: string, over: Partial<PlanSnapshot> = {}): PlanSnapshot => ({
  id: sid(date),
  bytes: 1_000_000_000 + Number(date.slice(8, 10)) * 1_000_000,
  verified: true,
  complete: true,
  ...over,
});
function drive(name: string, dates: (string | PlanSnapshot)[], over: Partial<PlanDrive> = {}): PlanDrive {
  return {
    name,
    snapshots: dates.map((d) => (typeof d === 'string' ? snap(d) : d)),
    lastVerifiedOn: '2026-11-14',
    labelledOn: '2024-01-01',
    capacity: { total: 4_000_000_000_000, free: 2_000_000_000_000 },
    ...over,
  };
}

const RR_HISTORY = (): PlanDrive[] => [
  drive('A', ['2026-09-19', '2026-10-10', '2026-10-31']),
  drive('B', ['2026-10-17', '2026-11-07']),
  drive('C', ['2026-10-24', '2026-11-14']),
];
const HANOI_HISTORY = (): PlanDrive[] => [
  drive('A', ['2026-10-10', '2026-10-24', '2026-11-07']),
  drive('B', ['2026-10-17', '2026-11-14']),
  drive('C', ['2026-10-31']),
];
/** Oldest-first has cycled B, A, C since 2026-10-10: B's newest is the oldest. */
const OF_HISTORY = (): PlanDrive[] => [
  drive('A', ['2026-10-17', '2026-11-07']),
  drive('B', ['2026-10-10', '2026-10-31']),
  drive('C', ['2026-10-24', '2026-11-14']),
];

interface Case {
  name: string;
  input: PlanInput;
  target: string;
  due: boolean;
  targetDate: string;
  required: { drive: string; where: 'offline' | 'offsite' }[];
  prune: string[]; // drive/snapshot
  warnings: (string | RegExp)[];
  next?: Record<string, string>;
  reasons?: (string | RegExp)[];
}

const at = (p: Partial<PlanInput> & { policy: Policy; drives: PlanDrive[] }): PlanInput => ({ connected: [], today: TODAY, ...p });

const CASES: Case[] = [
  {
    name: 'round-robin-due',
    input: at({ policy: policy('round-robin'), drives: RR_HISTORY(), connected: ['A'] }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [],
    next: { A: '2026-11-21', B: '2026-11-28', C: '2026-12-05' },
    reasons: [/^round-robin: backup #151 of the rotation, on 2026-11-21, goes to A$/, 'A is connected'],
  },
  {
    name: 'round-robin-already-written',
    input: at({
      policy: policy('round-robin'),
      drives: [drive('A', ['2026-09-19', '2026-10-10', '2026-10-31', '2026-11-21']), ...RR_HISTORY().slice(1)],
    }),
    // A holds the snapshot of today: nothing is due; B is next, and A (the freshest copy) must stay away.
    target: 'B', due: false, targetDate: '2026-11-28',
    required: [{ drive: 'A', where: 'offline' }],
    prune: [],
    warnings: [],
    next: { A: '2026-12-12', B: '2026-11-28', C: '2026-12-05' },
  },
  {
    name: 'round-robin-overdue',
    input: at({ policy: policy('round-robin'), drives: RR_HISTORY(), connected: ['A'], today: '2026-11-25' }),
    target: 'A', due: true, targetDate: '2026-11-21',
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [],
    next: { A: '2026-11-21', B: '2026-11-28', C: '2026-12-05' },
    reasons: [/\(due since 2026-11-21\)$/],
  },
  {
    name: 'round-robin-offline-two',
    input: at({ policy: policy('round-robin', { offline: 2 }), drives: RR_HISTORY(), connected: ['A'] }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }, { drive: 'C', where: 'offline' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [],
  },
  {
    name: 'round-robin-fresh',
    input: at({
      policy: policy('round-robin'),
      drives: [
        drive('A', [], { labelledOn: '2026-11-20' }),
        drive('B', [], { labelledOn: '2026-11-20' }),
        drive('C', [], { labelledOn: '2026-10-01' }),
      ].map(({ lastVerifiedOn: _v, ...d }) => d),
    }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: [],
    // An empty drive is never "unverified", but one labelled long ago and never written is late.
    warnings: ['C has not been written for 51 days (alert after 30)'],
    reasons: ['plug in A'],
  },
  {
    name: 'hanoi-due',
    input: at({ policy: policy('hanoi'), drives: HANOI_HISTORY(), connected: ['A'] }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-10-10T093000Z', 'A/2026-10-24T093000Z'],
    warnings: [],
    next: { A: '2026-11-21', B: '2026-12-12', C: '2026-11-28' },
    reasons: [/^hanoi: backup #151 of the rotation, on 2026-11-21, goes to A$/],
  },
  {
    name: 'hanoi-already-written',
    input: at({
      policy: policy('hanoi'),
      drives: [drive('A', ['2026-10-10', '2026-10-24', '2026-11-07', '2026-11-21']), ...HANOI_HISTORY().slice(1)],
    }),
    target: 'C', due: false, targetDate: '2026-11-28',
    required: [{ drive: 'B', where: 'offsite' }],
    prune: [],
    warnings: [],
    next: { A: '2026-12-05', B: '2026-12-12', C: '2026-11-28' },
  },
  {
    name: 'oldest-first-due',
    input: at({ policy: policy('oldest-first'), drives: OF_HISTORY(), connected: ['B'] }),
    target: 'B', due: true, targetDate: TODAY,
    // Both others are home drives: the freshest copy (C, 2026-11-14) is the one to protect.
    required: [{ drive: 'C', where: 'offline' }],
    prune: ['B/2026-10-10T093000Z'],
    warnings: [],
    next: { A: '2026-11-28', B: '2026-11-21', C: '2026-12-05' },
    reasons: [/^oldest-first: B's newest snapshot is the oldest of the rotation \(2026-10-31\)$/, 'B is connected'],
  },
  {
    name: 'oldest-first-already-written',
    input: at({
      policy: policy('oldest-first'),
      drives: [OF_HISTORY()[0]!, drive('B', ['2026-10-10', '2026-10-31', '2026-11-21']), OF_HISTORY()[2]!],
    }),
    target: 'A', due: false, targetDate: '2026-11-28',
    required: [{ drive: 'B', where: 'offsite' }],
    prune: [],
    warnings: [],
    reasons: [/the snapshot for 2026-11-21 is already written$/],
  },
  {
    name: 'air-gap-broken',
    input: at({ policy: policy('round-robin'), drives: RR_HISTORY(), connected: ['A', 'B'] }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: ['air gap broken: B is connected but must stay offsite while A is written: disconnect it'],
    reasons: ['B is connected but A is the due drive'],
  },
  {
    name: 'connected-at-once',
    // C is not part of the minimum air gap, but two rotation drives at once is still wrong; X is no rotation drive.
    input: at({ policy: policy('round-robin'), drives: RR_HISTORY(), connected: ['C', 'X', 'A'] }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: ['2 rotation drives are connected at once (C, A): connect only A'],
  },
  {
    name: 'alerts',
    input: at({
      policy: policy('round-robin'),
      drives: [
        drive('A', ['2026-09-19', '2026-10-10', '2026-10-31'], { lastVerifiedOn: undefined }),
        drive('B', ['2026-10-17', '2026-11-07'], { lastVerifiedOn: '2026-06-01' }),
        drive('C', ['2026-09-12']),
      ].map((d) => (d.lastVerifiedOn === undefined ? (({ lastVerifiedOn: _v, ...rest }) => rest)(d) : d)),
      connected: ['A'],
    }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [
      'A has never been verified (alert after 90 days): run airgap verify A',
      'B was last verified 173 days ago (alert after 90 days): run airgap verify B',
      'C has not been written for 70 days (alert after 30)',
    ],
  },
  {
    name: 'newest-verified-kept',
    input: at({
      policy: policy('round-robin'),
      drives: [
        drive('A', [snap('2026-09-19'), snap('2026-10-10'), snap('2026-10-31', { verified: false })]),
        drive('B', [snap('2026-10-17', { verified: false }), snap('2026-11-07', { verified: false })]),
        drive('C', [snap('2026-10-24', { verified: false }), snap('2026-11-14', { verified: false })]),
      ],
      connected: ['A'],
    }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    // Retention would drop A/2026-10-10, but it is the newest verified snapshot anywhere.
    prune: ['A/2026-09-19T093000Z'],
    warnings: [],
    reasons: ['keeping A/2026-10-10T093000Z although retention would drop it: it is the newest verified copy anywhere'],
  },
  {
    name: 'newest-verified-copy-elsewhere',
    input: at({
      policy: policy('round-robin'),
      drives: [
        drive('A', [snap('2026-09-19'), snap('2026-10-10'), snap('2026-10-31', { verified: false })]),
        drive('B', [snap('2026-10-10'), snap('2026-10-17', { verified: false }), snap('2026-11-07', { verified: false })]),
        drive('C', [snap('2026-10-24', { verified: false }), snap('2026-11-14', { verified: false })]),
      ],
      connected: ['A'],
    }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    // B holds a verified copy of 2026-10-10T093000Z, so A's may go.
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [],
  },
  {
    name: 'incomplete-snapshots-ignored',
    input: at({
      policy: policy('round-robin'),
      drives: [
        // A's newest is incomplete: it neither counts as "written" nor is it ever pruned.
        drive('A', [snap('2026-09-19'), snap('2026-10-10'), snap('2026-10-31'), snap('2026-11-21', { complete: false, verified: false })]),
        ...RR_HISTORY().slice(1),
      ],
      connected: ['A'],
    }),
    target: 'A', due: true, targetDate: TODAY,
    required: [{ drive: 'B', where: 'offsite' }],
    prune: ['A/2026-09-19T093000Z', 'A/2026-10-10T093000Z'],
    warnings: [],
  },
];

const matches = (actual: string[], expected: (string | RegExp)[]) => {
  for (const e of expected) {
    if (typeof e === 'string') expect(actual).toContain(e);
    else expect(actual.some((a) => e.test(a)), `${e} in ${JSON.stringify(actual, null, 2)}`).toBe(true);
  }
};

describe('planRotation: table', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const plan = planRotation(c.input);
      expect(plan.date).toBe(c.input.today);
      expect(plan.target).toBe(c.target);
      expect(plan.due).toBe(c.due);
      expect(plan.targetDate).toBe(c.targetDate);
      expect(plan.pruneWhen).toBe('after-write-and-verify');
      expect(plan.keepOffline.filter((o) => o.required).map(({ drive, where }) => ({ drive, where }))).toEqual(c.required);
      // Every other rotation drive is listed too, just not required.
      expect(plan.keepOffline.map((o) => o.drive).sort()).toEqual(['A', 'B', 'C'].filter((n) => n !== c.target));
      expect(plan.prune.map((p) => `${p.drive}/${p.snapshot}`)).toEqual(c.prune);
      expect(plan.warnings).toHaveLength(c.warnings.length);
      matches(plan.warnings, c.warnings);
      if (c.next) expect(Object.fromEntries(plan.next.map((n) => [n.drive, n.date]))).toEqual(c.next);
      if (c.reasons) matches(plan.reasons, c.reasons);
      await expect(JSON.stringify(plan, null, 2) + '\n').toMatchFileSnapshot(`../../fixtures/golden/plan/${c.name}.json`);
    });
  }

  it('overdue across a month boundary: prunes by the month the snapshot is written in, not the slot month', () => {
    // Sunday backups (slot 0 is Sunday 2024-01-07); Sunday 2026-11-29 (B's slot) was missed and B is
    // written on Wednesday 2026-12-02. With monthly 2 the new snapshot stands for December and B's
    // 2026-11-08 for November: that one must stay, 2026-10-18 may go.
    const ret: Retention = { keepLast: 1, daily: 0, weekly: 0, monthly: 2, yearly: 0 };
    const p = planRotation(at({
      policy: { ...policy('round-robin', { cadence: { kind: 'weekdays', days: [0] } }), drives: policy('round-robin').drives.map((d) => ({ ...d, retention: ret })) },
      drives: [drive('A', ['2026-11-01', '2026-11-22']), drive('B', ['2026-10-18', '2026-11-08']), drive('C', ['2026-10-25', '2026-11-15'])],
      today: '2026-12-02',
    }));
    expect([p.target, p.due, p.targetDate]).toEqual(['B', true, '2026-11-29']);
    expect(applyRetention(['2026-10-18T093000Z', '2026-11-08T093000Z', '2026-12-02T120000Z'], ret).remove).toEqual(['2026-10-18T093000Z']);
    expect(p.prune.map((x) => x.snapshot)).toEqual(['2026-10-18T093000Z']);
  });

  it('is pure: the same input gives the same plan, and the input is not modified', () => {
    for (const c of CASES) {
      const before = JSON.stringify(c.input);
      const a = planRotation(c.input);
      expect(JSON.stringify(c.input)).toBe(before);
      expect(planRotation(structuredClone(c.input))).toEqual(a);
    }
  });

  it('warns, and plans nothing, without rotation drives', () => {
    const plan = planRotation(at({ policy: policy('round-robin', { drives: [] }), drives: [] }));
    expect(plan.target).toBeUndefined();
    expect(plan.due).toBe(false);
    expect(plan.warnings).toEqual([expect.stringMatching(/^no rotation drives are configured/)]);
  });

  it('capacity: warns when the target cannot hold the snapshot, and says whether pruning helps', () => {
    const drives = RR_HISTORY();
    drives[0]!.capacity = { total: 4_000_000_000_000, free: 100_000_000 };
    const plan = planRotation(at({ policy: policy('round-robin'), drives, connected: ['A'] }));
    // Estimate: the newest snapshot anywhere (C, 2026-11-14: 1.014 GB) plus 10 %.
    expect(plan.capacity).toEqual({ estimate: 1_115_400_000, free: 100_000_000, freeAfterPrune: 100_000_000 + 1_019_000_000 + 1_010_000_000, fits: false });
    expect(plan.warnings).toEqual(['A has 100 MB free, the snapshot needs about 1.1 GB: the backup first removes what retention drops anyway, oldest first, until it fits (up to 2 GB: airgap prune A --dry-run)']);
  });

  it('capacity: names the way out, in human sizes, when even pruning does not make room', () => {
    const drives = RR_HISTORY();
    drives[0]!.capacity = { total: 4_000_000_000_000, free: 100_000_000 };
    const p = policy('round-robin');
    p.drives[0]!.retention = { keepLast: 40, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
    expect(planRotation(at({ policy: p, drives, connected: ['A'] })).warnings).toEqual([
      'A cannot hold the next snapshot (about 1.1 GB) even after what retention allows removing (100 MB would be free): keep fewer snapshots ("fit": true removes the oldest as needed) or use a larger drive',
    ]);
    p.drives[0]!.retention = { ...p.drives[0]!.retention, fit: true };
    expect(planRotation(at({ policy: p, drives, connected: ['A'] })).warnings).toEqual([
      "A has 100 MB free, the snapshot needs about 1.1 GB: the backup first removes the oldest snapshots until it fits (fit mode; never the drive's newest or the newest verified copy)",
    ]);
  });

  it('a rejected SUSPECT snapshot is not the drive\'s backup of the day: the drive is due again; an open one still counts (no second suspect write)', () => {
    const history = (today: PlanSnapshot) => [drive('A', ['2026-10-10', '2026-10-31', today]), drive('B', ['2026-10-17', '2026-11-07']), drive('C', ['2026-10-24', '2026-11-14'])];
    const rejected = planRotation(at({ policy: policy('round-robin'), drives: history(snap(TODAY, { rejected: true, verified: false })), connected: ['A'] }));
    expect([rejected.target, rejected.due, rejected.targetDate]).toEqual(['A', true, TODAY]);
    const open = planRotation(at({ policy: policy('round-robin'), drives: history(snap(TODAY, { verified: false })), connected: ['A'] }));
    expect([open.target, open.due]).toEqual(['B', false]);
    // oldest-first: the rejected snapshot does not make A's newest the newest of the rotation.
    const oldest = planRotation(at({ policy: policy('oldest-first'), drives: [drive('A', ['2026-11-07', snap(TODAY, { rejected: true })]), drive('B', ['2026-10-31']), drive('C', ['2026-11-14'])] }));
    expect([oldest.target, oldest.due]).toEqual(['B', true]);
  });

  it('the early too-small warning judges a format 2 drive by two fulls, also before its first increment (seven-week story)', () => {
    // Each drive holds one full of 1 GB so far, on 20 GB: 22 whole copies would not fit, two do.
    const p = (format?: 1 | 2) => policy('round-robin', { drives: policy('round-robin').drives.map((d) => ({ ...d, retention: { keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 } })), ...(format ? { format } : {}) });
    const drives = [drive('A', ['2026-10-31']), drive('B', ['2026-11-07']), drive('C', ['2026-11-14'])];
    for (const d of drives) d.capacity = { total: 20_000_000_000, free: 19_000_000_000 };
    const tooSmall = (f?: 1 | 2) => planRotation(at({ policy: p(f), drives, connected: [] })).warnings.filter((w) => /too small for its retention|cannot hold (two full|even one)/.test(w));
    expect(tooSmall(2)).toEqual([]);
    expect(tooSmall(1)).toHaveLength(3); // format 1: a whole copy each time
    expect(tooSmall(1)[0]).toMatch(/^A \(20 GB\) is too small for its retention: the rules keep up to \d+ snapshots/);
    expect(tooSmall()).toHaveLength(3); // no format given: the drives' fulls say format 1
    // Format 2 on a drive that cannot hold two fulls: said, from the first full on.
    drives[0]!.capacity = { total: 2_000_000_000, free: 1_000_000_000 };
    expect(tooSmall(2)).toEqual([expect.stringMatching(/^A \(2 GB\) cannot hold two full snapshots \(about 2\.\d GB\)/)]);
  });
});

// ---- properties --------------------------------------------------------------------------------

const RUNS = 200;
const NAMES = ['A', 'B', 'C', 'D', 'E', 'F'];
const START = dayNumber('2024-01-01');
const TODAY_MIN = dayNumber('2025-01-01');
const TODAY_MAX = dayNumber('2028-12-31');

/** 0–6, but often 0 or 1: sparse rules are where retention drops the most. */
const count06 = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) });
const arbRetention: fc.Arbitrary<Retention> = fc.record({ keepLast: count06, daily: count06, weekly: count06, monthly: count06, yearly: count06 });
const arbCadence: fc.Arbitrary<Cadence> = fc.oneof(
  fc.constant<Cadence>({ kind: 'daily' }),
  fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }).map((days): Cadence => ({ kind: 'weekdays', days })),
);
const arbScheme = fc.constantFrom<Scheme>('round-robin', 'hanoi', 'oldest-first');
/** A snapshot some day between 2024-01-01 and `today`: `at` is the fraction of the way, in 1/10000. */
const arbSnap = fc.record({
  at: fc.integer({ min: 0, max: 10_000 }),
  // Few distinct times, so that two drives often hold the same id (a copy).
  time: fc.constantFrom('000000', '093000', '120000', '235959'),
  verified: fc.boolean(),
  bytes: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  complete: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
const arbDrive = fc.record({
  role: fc.constantFrom<Role>('home', 'offsite'),
  retention: arbRetention,
  snapshots: fc.array(arbSnap, { maxLength: 30 }),
  lastVerified: fc.option(fc.integer({ min: 0, max: TODAY_MAX - START }), { nil: undefined }),
  labelled: fc.option(fc.integer({ min: 0, max: TODAY_MAX - START }), { nil: undefined }),
  capacity: fc.option(fc.record({ total: fc.constant(4_000_000_000_000), free: fc.integer({ min: 0, max: 4_000_000_000_000 }) }), { nil: undefined }),
  /** The catalog may not know a drive at all: it counts as empty. */
  known: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

/** The latest backup day strictly before `date`. */
const previousBackupDay = (c: Cadence, date: string) => lastBackupDay(c, addDays(date, -1));

const arbInput: fc.Arbitrary<PlanInput> = fc
  .record({
    n: fc.integer({ min: 2, max: 6 }),
    offline: fc.integer({ min: 1, max: 5 }),
    scheme: arbScheme,
    cadence: arbCadence,
    epoch: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 365 })),
    drives: fc.array(arbDrive, { minLength: 6, maxLength: 6 }),
    today: fc.integer({ min: TODAY_MIN, max: TODAY_MAX }),
    // The rotation followed for the last `recent` backup days (the newest one possibly missed), so
    // that "already written" and "overdue" both come up, not only random histories.
    recent: fc.integer({ min: 0, max: 12 }),
    missedLatest: fc.boolean(),
    connected: fc.subarray(NAMES),
    sourceBytes: fc.option(fc.integer({ min: 0, max: 2_000_000_000_000 }), { nil: undefined }),
    rotationDays: fc.integer({ min: 1, max: 60 }),
    verifyDays: fc.integer({ min: 1, max: 120 }),
  })
  .map((g): PlanInput => {
    const names = NAMES.slice(0, g.n);
    const today = toDate(g.today);
    const upToToday = (d: number | undefined) => (d === undefined ? undefined : toDate(Math.min(START + d, g.today)));
    const policy: Policy = {
      drives: names.map((name, i) => ({ name, role: g.drives[i]!.role, retention: g.drives[i]!.retention })),
      cadence: g.cadence,
      scheme: g.scheme,
      offline: Math.min(g.offline, g.n - 1),
      epoch: toDate(START + g.epoch),
      alerts: { rotationDays: g.rotationDays, verifyDays: g.verifyDays },
    };
    const history = new Map<string, PlanSnapshot[]>(names.map((name, i) => [
      name,
      g.drives[i]!.snapshots.map((s) => ({
        id: `${toDate(START + Math.floor((s.at * (g.today - START)) / 10_000))}T${s.time}Z`,
        bytes: s.bytes, verified: s.verified, complete: s.complete,
      })),
    ]));
    let day = lastBackupDay(policy.cadence, today);
    if (g.missedLatest) day = previousBackupDay(policy.cadence, day);
    for (let i = 0; i < g.recent && day >= policy.epoch; i++, day = previousBackupDay(policy.cadence, day)) {
      const slot = slotIndex(policy.cadence, policy.epoch, day);
      const owner = policy.scheme === 'oldest-first' ? slot % g.n : driveIndexForSlot(policy.scheme, slot, g.n);
      history.get(names[owner]!)!.push({ id: `${day}T120000Z`, bytes: 1_000_000_000, verified: true, complete: true });
    }
    const drives: PlanDrive[] = [];
    names.forEach((name, i) => {
      const d = g.drives[i]!;
      const snapshots = history.get(name)!.filter((s, j, all) => all.findIndex((x) => x.id === s.id) === j);
      if (!d.known && snapshots.length === 0) return;
      const pd: PlanDrive = { name, snapshots };
      const lastVerifiedOn = upToToday(d.lastVerified);
      const labelledOn = upToToday(d.labelled);
      if (lastVerifiedOn) pd.lastVerifiedOn = lastVerifiedOn;
      if (labelledOn) pd.labelledOn = labelledOn;
      if (d.capacity) pd.capacity = d.capacity;
      drives.push(pd);
    });
    const input: PlanInput = { policy, drives, connected: g.connected, today };
    if (g.sourceBytes !== undefined) input.sourceBytes = g.sourceBytes;
    return input;
  });

/**
 * The same inputs with a weekly cadence and `today` a few days into a month: the last backup day
 * is then often in the previous month (or year, or ISO week), so an overdue snapshot's slot date
 * and the date it is actually written fall in different retention buckets.
 */
const arbOverdueInput: fc.Arbitrary<PlanInput> = fc
  .tuple(
    arbInput,
    fc.integer({ min: 2025 * 12, max: 2028 * 12 + 11 }),
    fc.integer({ min: 0, max: 5 }),
    fc.integer({ min: 0, max: 6 }),
    // A few recent snapshots per drive, so that the buckets next to today are populated.
    fc.array(fc.uniqueArray(fc.integer({ min: 7, max: 70 }), { maxLength: 6 }), { minLength: 6, maxLength: 6 }),
  )
  .map(([input, month, offset, weekday, recent]) => {
    const today = addDays(`${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}-01`, offset);
    const drives = input.drives.map((d, i) => {
      const extra = recent[i]!.map((ago) => ({ id: `${addDays(today, -ago)}T120000Z`, bytes: 1, verified: true, complete: true }));
      const snapshots = [...d.snapshots.filter((s) => s.id.slice(0, 10) <= today), ...extra].filter((s, j, all) => all.findIndex((x) => x.id === s.id) === j);
      const out: PlanDrive = { ...d, snapshots };
      if (out.lastVerifiedOn && out.lastVerifiedOn > today) delete out.lastVerifiedOn;
      if (out.labelledOn && out.labelledOn > today) delete out.labelledOn;
      return out;
    });
    return { ...input, policy: { ...input.policy, cadence: { kind: 'weekdays', days: [weekday] } }, drives, today };
  });

const completeIds = (d: PlanDrive | undefined) => (d?.snapshots ?? []).filter((s) => s.complete).map((s) => s.id);
const newestOf = (d: PlanDrive | undefined) => completeIds(d).sort().at(-1);
/** `n` backup days after `date`, by stepping the cadence. */
const backupDaysAfter = (c: Cadence, date: string, n: number) => {
  let d = date;
  for (let i = 0; i < n; i++) d = nextBackupDay(c, d);
  return d;
};
const plan = (input: PlanInput): Plan => planRotation(input);
const prop = (p: fc.IRawProperty<[PlanInput]>, seed: number, numRuns = RUNS) => fc.assert(p, { numRuns, seed });

describe('planRotation: properties', () => {
  it('plans a rotation drive, never keeps the target offline, and keeps at least policy.offline offline', () => {
    prop(
      fc.property(arbInput, (input) => {
        const p = plan(input);
        const names = input.policy.drives.map((d) => d.name);
        expect(names).toContain(p.target);
        expect(p.pruneWhen).toBe('after-write-and-verify');
        expect(p.keepOffline.map((o) => o.drive)).not.toContain(p.target);
        expect(new Set(p.keepOffline.map((o) => o.drive)).size).toBe(p.keepOffline.length);
        if (names.length >= input.policy.offline + 1) {
          expect(p.keepOffline.filter((o) => o.required).length).toBeGreaterThanOrEqual(input.policy.offline);
        }
        for (const o of p.keepOffline) {
          const role = input.policy.drives.find((d) => d.name === o.drive)!.role;
          expect(o.where).toBe(role === 'offsite' ? 'offsite' : 'offline');
        }
        if (p.due) expect(p.targetDate! <= input.today).toBe(true);
        else expect(p.targetDate! > input.today).toBe(true);
      }),
      101,
    );
  });

  it('never lets a connected required-offline drive pass without an "air gap broken" warning', () => {
    prop(
      fc.property(arbInput, (input) => {
        const p = plan(input);
        for (const o of p.keepOffline.filter((x) => x.required && input.connected.includes(x.drive))) {
          expect(p.warnings.some((w) => w.startsWith(`air gap broken: ${o.drive} is connected`))).toBe(true);
        }
        const rotation = input.connected.filter((n) => input.policy.drives.some((d) => d.name === n));
        const broken = p.warnings.some((w) => w.startsWith('air gap broken'));
        if (rotation.length > 1 && !broken) expect(p.warnings.some((w) => w.includes('rotation drives are connected at once'))).toBe(true);
      }),
      102,
    );
  });

  it('prunes only old, complete snapshots of the target that retention drops, never the last verified copy', () => {
    prop(
      fc.property(arbInput, (input) => {
        const p = plan(input);
        if (!p.due) {
          expect(p.prune).toEqual([]);
          return;
        }
        const target = input.drives.find((d) => d.name === p.target);
        const retention = input.policy.drives.find((d) => d.name === p.target)!.retention;
        const ids = completeIds(target);
        const newestHere = newestOf(target);
        // The retention as it will stand with the new snapshot, which is written today (also when
        // it fills an earlier, missed slot).
        const newId = `${input.today}T235959Z`;
        const removable = applyRetention([...ids, newId], retention).remove;
        const verified = input.drives.flatMap((d) => d.snapshots.filter((s) => s.complete && s.verified).map((s) => ({ drive: d.name, id: s.id })));
        const newestVerified = verified.map((v) => v.id).sort().at(-1);
        const lastGoodCopy = (id: string) => id === newestVerified && !verified.some((v) => v.id === id && v.drive !== p.target);
        expect(new Set(p.prune.map((x) => x.snapshot)).size).toBe(p.prune.length);
        for (const item of p.prune) {
          expect(item.drive).toBe(p.target);
          const s = target!.snapshots.find((x) => x.id === item.snapshot);
          expect(s?.complete).toBe(true);
          expect(item.bytes).toBe(s!.bytes);
          expect(item.snapshot).not.toBe(newestHere);
          expect(removable).toContain(item.snapshot);
          expect(lastGoodCopy(item.snapshot)).toBe(false);
        }
        // And it does prune: everything retention drops goes, but for the two exceptions above.
        const expected = removable.filter((id) => id !== newId && id !== newestHere && !lastGoodCopy(id));
        expect(p.prune.map((x) => x.snapshot)).toEqual(expected);
      }),
      103,
    );
  });

  it("never prunes the target's newest snapshot (its last restore point before the write)", () => {
    prop(
      fc.property(arbInput, (input) => {
        const p = plan(input);
        const newest = newestOf(input.drives.find((d) => d.name === p.target));
        expect(p.prune.map((x) => x.snapshot)).not.toContain(newest);
      }),
      104,
    );
  });

  it('when overdue, prunes by the retention as it will stand with the snapshot written today', () => {
    prop(
      fc.property(arbOverdueInput, (input) => {
        const p = plan(input);
        if (!p.due) return;
        const target = input.drives.find((d) => d.name === p.target);
        const retention = input.policy.drives.find((d) => d.name === p.target)!.retention;
        // The snapshot is written now: its id carries today's date, whatever slot it fills.
        const written = `${input.today}T235959Z`;
        const removable = applyRetention([...completeIds(target), written], retention).remove;
        for (const item of p.prune) expect(removable, `${item.snapshot} is kept once ${written} is written`).toContain(item.snapshot);
      }),
      105,
    );
  });

  it('round-robin / hanoi: next lists every drive within one scheme period of targetDate', () => {
    prop(
      fc.property(
        arbInput.filter((i) => i.policy.scheme !== 'oldest-first'),
        (input) => {
          const p = plan(input);
          const names = input.policy.drives.map((d) => d.name);
          const bound = backupDaysAfter(input.policy.cadence, p.targetDate!, schemePeriod(input.policy.scheme, names.length));
          expect(p.next.map((x) => x.drive)).toEqual(names);
          for (const x of p.next) {
            expect(x.date >= p.targetDate!, `${x.drive} ${x.date}`).toBe(true);
            expect(x.date <= bound, `${x.drive} ${x.date} > ${bound}`).toBe(true);
          }
          expect(p.next.find((x) => x.drive === p.target)?.date).toBe(p.targetDate);
        },
      ),
      106,
    );
  });

  it('buildSchedule over 2 years: every drive is written within every scheme period of rows', () => {
    prop(
      fc.property(arbInput, (input) => {
        const { policy, drives, sourceBytes } = input;
        const names = policy.drives.map((d) => d.name);
        const until = addDays(input.today, 730);
        const schedule = buildSchedule(sourceBytes === undefined ? { policy, drives } : { policy, drives, sourceBytes }, input.today, until);
        const window = policy.scheme === 'oldest-first' ? names.length : schemePeriod(policy.scheme, names.length);
        const rows = schedule.rows;
        expect(rows.length).toBeGreaterThan(window);
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.date > rows[i - 1]!.date).toBe(true);
        for (const row of rows) {
          expect(row.date >= input.today && row.date <= until).toBe(true);
          expect(row.offline).not.toContain(row.drive);
          expect(row.offsite).not.toContain(row.drive);
          for (const d of row.prune) expect(d < row.date).toBe(true);
        }
        for (let i = 0; i + window <= rows.length; i++) {
          const seen = new Set(rows.slice(i, i + window).map((r) => r.drive));
          for (const n of names) expect(seen.has(n), `${n} missing from rows ${i}..${i + window - 1} (${rows[i]!.date}…)`).toBe(true);
        }
      }),
      107,
      RUNS,
    );
  }, 600_000); // a cap for a loaded machine, not an expectation
});

// Format 2 chains (core/chains.ts): retention works over chains. Pruning never leaves a kept
// snapshot without the snapshots it builds on; with no bases (format 1) nothing changes.
describe('pruneCandidates over chains', () => {
  const weekly = (i: number) => addDays('2026-01-03', 7 * i);
  it('never prunes a base of a kept snapshot; drops exactly what retention drops when nothing builds on it', () => {
    fc.assert(fc.property(fc.array(fc.record({ full: fc.boolean(), back: fc.nat(2) }), { minLength: 1, maxLength: 30 }), (steps) => {
      const snaps: PlanSnapshot[] = steps.map((st, i) => snap(weekly(i), i > 0 && !st.full ? { base: sid(weekly(Math.max(0, i - 1 - st.back))) } : {}));
      const input = { policy: policy('round-robin'), drives: [drive('A', snaps), drive('B', []), drive('C', [])] };
      const { prune, notes } = pruneCandidates(input, 'A');
      const gone = new Set(prune.map((p) => p.snapshot));
      const left = snaps.filter((s) => !gone.has(s.id));
      for (const s of left) for (let b = s.base; b !== undefined; b = snaps.find((x) => x.id === b)?.base) expect(gone.has(b), `${s.id} needs ${b}`).toBe(false);
      const plain = pruneCandidates({ ...input, drives: [drive('A', snaps.map(({ base: _b, ...rest }) => rest)), drive('B', []), drive('C', [])] }, 'A');
      // Only bases are held back, each named in a note; nothing else changes.
      const held = plain.prune.filter((p) => !gone.has(p.snapshot));
      for (const h of held) expect(snaps.some((s) => s.base === h.snapshot)).toBe(true);
      expect(notes.filter((n) => n.includes('build on it'))).toHaveLength(held.length);
      expect(prune.every((p) => plain.prune.some((q) => q.snapshot === p.snapshot))).toBe(true);
    }), { seed: 16, numRuns: 300 });
  });
});
