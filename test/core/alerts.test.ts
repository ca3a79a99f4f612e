// The typed alerts (core/alerts.ts): which kind each alert of `airgap status` has, the overdue
// thresholds, the planner's warnings typed by the same rule, and `airgap remind`'s exit codes.
import { describe, expect, it } from 'vitest';
import { drillAlerts, overdueAlerts, remindExitCode, statusAlerts, type AlertFacts } from '../../src/core/alerts.js';
import { planRotation, type PlanDrive, type PlanInput } from '../../src/core/planner.js';
import type { Policy, Retention } from '../../src/core/policy.js';

const RET: Retention = { keepLast: 2, daily: 0, weekly: 0, monthly: 1, yearly: 0 };
const POLICY: Policy = {
  drives: [
    { name: 'A', role: 'home', retention: RET },
    { name: 'B', role: 'offsite', retention: RET },
    { name: 'C', role: 'home', retention: RET },
  ],
  cadence: { kind: 'weekdays', days: [6] },
  scheme: 'round-robin',
  offline: 1,
  epoch: '2024-01-01',
  alerts: { rotationDays: 30, verifyDays: 90 },
};
const drive = (name: string, snapshots: string[], over: Partial<PlanDrive> = {}): PlanDrive => ({
  name,
  snapshots: snapshots.map((d) => ({ id: `${d}T093000Z`, bytes: 1000, verified: true, complete: true })),
  labelledOn: '2026-01-01',
  lastVerifiedOn: snapshots.at(-1) ?? '2026-01-01',
  ...over,
});
const input = (drives: PlanDrive[], today: string): PlanInput => ({ policy: POLICY, drives, connected: [], today });

describe('overdueAlerts', () => {
  it('rotation overdue only after more than rotationDays since the newest snapshot', () => {
    const drives = [drive('A', ['2026-10-01'])];
    expect(overdueAlerts(input(drives, '2026-10-31'))).toEqual([]); // 30 days: not yet
    expect(overdueAlerts(input(drives, '2026-11-01'))).toEqual([{ kind: 'rotation-overdue', message: 'A has not been written for 31 days (alert after 30)' }]);
  });

  it('verification overdue after more than verifyDays, and for a drive never verified', () => {
    const drives = [drive('A', ['2026-11-01'], { lastVerifiedOn: '2026-07-01' }), (({ lastVerifiedOn: _v, ...d }) => d)(drive('B', ['2026-11-07']))];
    expect(overdueAlerts(input(drives, '2026-11-08'))).toEqual([
      { kind: 'verify-overdue', message: 'A was last verified 130 days ago (alert after 90 days): run airgap verify A' },
      { kind: 'verify-overdue', message: 'B has never been verified (alert after 90 days): run airgap verify B' },
    ]);
    // 90 days is not more than 90.
    expect(overdueAlerts(input([drive('A', ['2026-11-01'], { lastVerifiedOn: '2026-08-10' })], '2026-11-08'))).toEqual([]);
  });

  it('a drive with no snapshot has nothing to verify; one never labelled has no date to be late from', () => {
    const empty = drive('A', [], { labelledOn: '2026-01-01' });
    expect(overdueAlerts(input([empty], '2026-11-08'))).toEqual([{ kind: 'rotation-overdue', message: 'A has not been written for 311 days (alert after 30)' }]);
    expect(overdueAlerts(input([], '2026-11-08'))).toEqual([]);
  });

  it('the planner warns with exactly these messages, so status can type them', () => {
    const i = input([drive('A', ['2026-06-06'], { lastVerifiedOn: '2026-06-06' }), drive('B', ['2026-11-07']), drive('C', ['2026-11-14'])], '2026-11-21');
    const overdue = overdueAlerts(i);
    expect(overdue.map((a) => a.kind)).toEqual(['rotation-overdue', 'verify-overdue']);
    const plan = planRotation(i);
    for (const a of overdue) expect(plan.warnings).toContain(a.message);
    const typed = statusAlerts({ ...NONE, planWarnings: plan.warnings, overdue });
    expect(typed.filter((a) => a.kind !== 'plan')).toEqual(overdue);
  });
});

const NONE: AlertFacts = { planWarnings: [], overdue: [], unreadable: [], foreign: [], leftovers: [], suspects: [], failedVerifications: [], forecast: [] };

describe('statusAlerts', () => {
  it('nothing found: no alert', () => {
    expect(statusAlerts(NONE)).toEqual([]);
  });

  it('gives every alert status lists its kind, in status order', () => {
    const overdue = [{ kind: 'rotation-overdue' as const, message: 'A has not been written for 31 days (alert after 30)' }];
    const alerts = statusAlerts({
      planWarnings: ['air gap broken: B is connected but must stay offsite: disconnect it', overdue[0]!.message],
      overdue,
      unreadable: ['/media/x: drive.json is damaged'],
      foreign: ['drive at /media/y says it is drive A, but it is not your drive A'],
      leftovers: [{ drive: 'A', leftovers: ['.partial-2026-11-21T093000Z'] }, { drive: 'C', leftovers: [] }],
      noRotation: '/home/me/.config/airgap/config.json',
      suspects: [{ drive: 'A', id: '2026-11-14T093000Z' }],
      failedVerifications: [{ drive: 'B', on: '2026-11-02T10:00:00.000Z' }],
      forecast: [{ drive: 'A', more: 1, enoughForPolicy: false }, { drive: 'B', more: 1, enoughForPolicy: true }, { drive: 'C', more: 5 }],
      driveHealth: ["drive C's health (2026-11-20): it is failing: SMART overall-health self-assessment: FAILED; copy its role to a new drive before it fails: airgap replace C <new-drive>"],
    });
    expect(alerts.map((a) => a.kind)).toEqual(['plan', 'rotation-overdue', 'drive-unreadable', 'foreign-drive', 'unfinished-run', 'no-rotation', 'suspect-snapshot', 'verify-failed', 'nearly-full', 'drive-health']);
    expect(alerts[9]!.message).toMatch(/^drive C's health \(2026-11-20\): it is failing/);
    expect(alerts[4]!.message).toMatch(/^drive A holds an unfinished backup or prune left by an interrupted run/);
    expect(alerts[5]!.message).toBe('no rotation is configured (/home/me/.config/airgap/config.json): airgap init --source <dir> --drives A,B,C');
    expect(alerts[6]!.message).toMatch(/^suspect snapshot 2026-11-14T093000Z on A, not accepted: .*airgap accept A 2026-11-14T093000Z if the changes are yours/);
    expect(alerts[7]!.message).toBe('B failed its last verification (2026-11-02): run airgap verify B --deep and replace what is damaged');
    expect(alerts[8]!.message).toBe('A is nearly full (room for 1 more snapshot)');
  });
});

describe('drillAlerts', () => {
  const TODAY = '2026-11-21';
  it('overdue after more than drillDays since the last good drill, or since the labelling when never drilled', () => {
    expect(drillAlerts([{ name: 'A', snapshots: 3, labelledOn: '2026-01-01', lastDrillOn: '2026-08-23' }], TODAY, 90)).toEqual([]); // 90 days: not yet
    expect(drillAlerts([{ name: 'A', snapshots: 3, labelledOn: '2026-01-01', lastDrillOn: '2026-08-22' }], TODAY, 90)).toEqual([
      { kind: 'drill-overdue', message: 'A had its last good restore drill 91 days ago (alert after 90 days): run airgap drill A' },
    ]);
    expect(drillAlerts([{ name: 'B', snapshots: 1, labelledOn: '2026-08-01' }], TODAY, 90)).toEqual([
      { kind: 'drill-overdue', message: 'B has had no restore drill in the 112 days since it was labelled (alert after 90 days): run airgap drill B' },
    ]);
    // A new drive is not nagged on its first days; a drive with no snapshot has nothing to drill.
    expect(drillAlerts([{ name: 'C', snapshots: 1, labelledOn: '2026-11-01' }, { name: 'D', snapshots: 0, labelledOn: '2020-01-01' }], TODAY, 90)).toEqual([]);
  });

  it('a failed drill is its own alert, naming the files, until a good one comes', () => {
    const failed = { on: '2026-11-20', snapshot: '2026-11-14T093000Z', failures: ['a.txt', 'b/c.bin', 'd', 'e'], failureCount: 5 };
    expect(drillAlerts([{ name: 'A', snapshots: 2, labelledOn: '2026-11-01', failed }], TODAY, 90)).toEqual([{
      kind: 'drill-failed',
      message: 'A failed its last restore drill (2026-11-20, snapshot 2026-11-14T093000Z: "a.txt", "b/c.bin", "d" and 2 more): run airgap verify A --deep and replace what is damaged',
    }]);
  });

  it('statusAlerts lists them last, with their kinds', () => {
    const drills = drillAlerts([{ name: 'B', snapshots: 1, labelledOn: '2026-01-01' }], TODAY, 90);
    expect(statusAlerts({ ...NONE, suspects: [{ drive: 'A', id: 'x' }], drills }).map((a) => a.kind)).toEqual(['suspect-snapshot', 'drill-overdue']);
  });
});

describe('remindExitCode', () => {
  const k = (...kinds: Parameters<typeof remindExitCode>[0][number]['kind'][]) => kinds.map((kind) => ({ kind }));
  it('0 when all is well, 32 plus a bit per kind otherwise', () => {
    expect(remindExitCode([])).toBe(0);
    expect(remindExitCode(k('rotation-overdue'))).toBe(33);
    expect(remindExitCode(k('verify-overdue'))).toBe(34);
    expect(remindExitCode(k('verify-overdue', 'rotation-overdue', 'rotation-overdue'))).toBe(35);
    expect(remindExitCode(k('plan'))).toBe(48);
    expect(remindExitCode(k('suspect-snapshot', 'verify-failed'))).toBe(48);
    expect(remindExitCode(k('rotation-overdue', 'verify-overdue', 'nearly-full'))).toBe(51);
    // Bit 4: a restore drill overdue; a failed drill is one of the other alerts (16).
    expect(remindExitCode(k('drill-overdue'))).toBe(36);
    expect(remindExitCode(k('drill-overdue', 'rotation-overdue', 'verify-overdue'))).toBe(39);
    expect(remindExitCode(k('drill-failed'))).toBe(48);
    expect(remindExitCode(k('drill-overdue', 'drill-failed'))).toBe(52);
    // A drive's health is bit 8, whatever else is there (issue 19).
    expect(remindExitCode(k('drive-health'))).toBe(40);
    expect(remindExitCode(k('drive-health', 'rotation-overdue', 'plan'))).toBe(57);
    expect(remindExitCode(k('drive-health', 'drill-overdue', 'rotation-overdue', 'verify-overdue'))).toBe(47);
  });

  it('never one of the error codes (1–4, 130) nor the shell\'s (126 and up)', () => {
    const all = ['rotation-overdue', 'verify-overdue', 'drill-overdue', 'plan'] as const;
    for (let m = 1; m < 16; m++) {
      const code = remindExitCode(all.filter((_, i) => m & (1 << i)).map((kind) => ({ kind })));
      expect(code).toBeGreaterThanOrEqual(33);
      expect(code).toBeLessThan(64);
    }
  });
});
