// Room before a write (core/make-room.ts): whatever the drive holds, what is removed never leaves
// a snapshot without its base, never takes a protected one, takes beyond the rules only in fit
// mode, and stops as soon as there is room.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prunableTogether } from '../../src/core/chains.js';
import { roomPlan } from '../../src/core/make-room.js';

const RUNS = { numRuns: 400 };

/** A drive of 1–12 snapshots: each a full or an increment on the one before it. */
const drive = fc.array(fc.record({ full: fc.boolean(), bytes: fc.integer({ min: 1, max: 1000 }) }), { minLength: 1, maxLength: 12 }).map((xs) =>
  xs.map((x, i) => ({ id: `2026-01-${String(i + 1).padStart(2, '0')}T000000Z`, bytes: x.bytes, complete: true, ...(i > 0 && !x.full ? { base: `2026-01-${String(i).padStart(2, '0')}T000000Z` } : {}) })));

const scenario = drive.chain((snaps) => fc.record({
  snaps: fc.constant(snaps),
  asked: fc.subarray(snaps.map((s) => s.id)),
  fit: fc.boolean(),
  need: fc.integer({ min: 1, max: 8000 }),
  free: fc.integer({ min: 0, max: 2000 }),
}));

function run(x: { snaps: { id: string; bytes: number; complete: boolean; base?: string }[]; asked: string[]; fit: boolean; need: number; free: number }) {
  const newest = x.snaps.at(-1)!.id;
  const protect = new Set([newest]);
  // What retention allows is chain-safe and never protected (the planner's guarantees).
  const allowed = prunableTogether(x.snaps, x.asked.filter((id) => !protect.has(id))).prune.map((snapshot) => ({ snapshot, reason: 'kept by no rule' }));
  return { protect, allowed, room: roomPlan({ need: x.need, free: x.free, snapshots: x.snaps, allowed, fit: x.fit, protect }) };
}

describe('roomPlan', () => {
  it('never leaves a staying snapshot without its base, never takes a protected one', () => {
    fc.assert(fc.property(scenario, (x) => {
      const { protect, room } = run(x);
      const gone = new Set(room.remove.map((r) => r.snapshot));
      for (const s of x.snaps) if (!gone.has(s.id) && s.base) expect(gone.has(s.base), `${s.id} lost its base ${s.base}`).toBe(false);
      for (const id of protect) expect(gone.has(id)).toBe(false);
    }), RUNS);
  });

  it('without fit mode it takes only what retention allows; freed and enough add up', () => {
    fc.assert(fc.property(scenario, (x) => {
      const { allowed, room } = run(x);
      const allowedIds = new Set(allowed.map((a) => a.snapshot));
      if (!x.fit) for (const r of room.remove) expect(allowedIds.has(r.snapshot)).toBe(true);
      expect(room.freed).toBe(room.remove.reduce((n, r) => n + r.bytes, 0));
      expect(room.enough).toBe(x.free + room.freed >= x.need);
      expect(room.remove.map((r) => r.snapshot)).toEqual([...room.remove.map((r) => r.snapshot)].sort());
    }), RUNS);
  });

  it('stops once there is room: without the newest group it took, there would not be', () => {
    fc.assert(fc.property(scenario, (x) => {
      const { room, allowed } = run(x);
      if (x.free >= x.need) expect(room.remove).toEqual([]);
      if (!room.enough || !room.remove.length) return;
      // One source of room at a time (the rules' or fit's): then chains are taken oldest first.
      if (x.fit && allowed.length) return;
      // The last chain taken (the one whose oldest snapshot is newest) was needed: without it, short of room.
      const gone = new Map(room.remove.map((r) => [r.snapshot, r]));
      const baseOf = new Map(x.snaps.map((s) => [s.id, s.base]));
      const rootOf = (id: string): string => { const b = baseOf.get(id); return b !== undefined && gone.has(b) ? rootOf(b) : id; };
      const lastRoot = room.remove.map((r) => rootOf(r.snapshot)).sort().at(-1)!;
      const lastGroup = room.remove.filter((r) => rootOf(r.snapshot) === lastRoot).reduce((n, r) => n + r.bytes, 0);
      expect(x.free + room.freed - lastGroup).toBeLessThan(x.need);
    }), RUNS);
  });

  it('fit mode takes the oldest first, and only falls short when all that may go is gone', () => {
    fc.assert(fc.property(scenario, (x) => {
      if (!x.fit) return;
      const { protect, room } = run(x);
      if (room.enough) return;
      // Short of room: everything not protected and not under a protected one was taken.
      const gone = new Set(room.remove.map((r) => r.snapshot));
      const under = new Set<string>();
      for (const id of protect) for (let cur = x.snaps.find((s) => s.id === id); cur?.base; cur = x.snaps.find((s) => s.id === cur!.base)) under.add(cur.base);
      for (const s of x.snaps) if (!protect.has(s.id) && !under.has(s.id)) expect(gone.has(s.id), `${s.id} could have gone`).toBe(true);
    }), RUNS);
  });

  it('a drive with room takes nothing; one chain at a time from the oldest', () => {
    const snaps = [
      { id: 'a', bytes: 100, complete: true }, { id: 'b', bytes: 10, complete: true, base: 'a' },
      { id: 'c', bytes: 100, complete: true }, { id: 'd', bytes: 10, complete: true, base: 'c' },
    ];
    expect(roomPlan({ need: 50, free: 60, snapshots: snaps, allowed: [], fit: true, protect: new Set(['d']) }).remove).toEqual([]);
    const r = roomPlan({ need: 100, free: 20, snapshots: snaps, allowed: [], fit: true, protect: new Set(['d']) });
    expect(r.remove.map((x) => x.snapshot)).toEqual(['a', 'b']); // the full with its increment
    expect(r.enough).toBe(true);
    expect(roomPlan({ need: 100, free: 20, snapshots: snaps, allowed: [], fit: false, protect: new Set(['d']) }).enough).toBe(false);
  });
});
