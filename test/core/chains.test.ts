// Snapshot chains (core/chains.ts), property-tested over random drive histories: a kept snapshot
// never loses its base, damage names every dependant, and no chain outgrows the policy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainOf, dependantsOf, keepWithBases, nextSnapshot, prunableTogether, type ChainPolicy, type ChainSnapshot } from '../../src/core/chains.js';

const id = (i: number) => `2026-01-01T${String(100000 + i).slice(1)}Z`;

/** A history built as the writer builds it: each snapshot a full, or an increment of an earlier one. */
const history = fc.array(fc.record({ full: fc.boolean(), back: fc.nat(3), bytes: fc.integer({ min: 1, max: 1000 }), complete: fc.boolean(), damaged: fc.boolean() }), { minLength: 1, maxLength: 30 })
  .map((steps) => steps.map((st, i): ChainSnapshot => {
    const s: ChainSnapshot = { id: id(i), bytes: st.bytes, complete: i === 0 || st.complete || st.full };
    if (!st.full && i > 0) s.base = id(Math.max(0, i - 1 - st.back));
    if (st.damaged && i % 5 === 0) s.damaged = true;
    return s;
  }));

/** Ancestors by following `base` links through the history as written (whatever is complete). */
function ancestors(snaps: ChainSnapshot[], x: string): string[] {
  const byId = new Map(snaps.map((s) => [s.id, s]));
  const out: string[] = [];
  for (let cur = byId.get(x)?.base; cur !== undefined; cur = byId.get(cur)?.base) out.push(cur);
  return out;
}

describe('chains', () => {
  it('chainOf: full first, itself last, each link the base of the next; undefined when a link is incomplete', () => {
    fc.assert(fc.property(history, (snaps) => {
      const byId = new Map(snaps.map((s) => [s.id, s]));
      for (const s of snaps) {
        const chain = chainOf(snaps, s.id);
        const links = [s.id, ...ancestors(snaps, s.id)];
        const whole = links.every((l) => byId.get(l)?.complete);
        if (!whole) {
          expect(chain).toBeUndefined();
          continue;
        }
        expect(chain).toEqual([...links].reverse());
        expect(byId.get(chain![0]!)!.base).toBeUndefined();
        for (let i = 1; i < chain!.length; i++) expect(byId.get(chain![i]!)!.base).toBe(chain![i - 1]);
      }
    }));
  });

  it('keepWithBases: pruning everything else never leaves a kept, restorable snapshot without its chain', () => {
    fc.assert(fc.property(history, fc.array(fc.nat(29)), (snaps, picks) => {
      const keep = picks.map(id).filter((x) => snaps.some((s) => s.id === x));
      const { keep: kept, broken } = keepWithBases(snaps, keep);
      const after = snaps.filter((s) => kept.has(s.id));
      for (const k of keep) {
        expect(kept.has(k)).toBe(true);
        if (chainOf(snaps, k)) expect(chainOf(after, k)).toEqual(chainOf(snaps, k));
        else expect(broken).toContain(k);
      }
      // Nothing is kept that no kept snapshot needs.
      for (const x of kept) expect(keep.some((k) => k === x || ancestors(snaps, k).includes(x))).toBe(true);
    }));
  });

  it('prunableTogether: whatever list it is given, every snapshot left on the drive keeps its chain', () => {
    fc.assert(fc.property(history, fc.array(fc.nat(29)), (snaps, picks) => {
      const asked = [...new Set(picks.map(id).filter((x) => snaps.some((s) => s.id === x)))];
      const { prune, held } = prunableTogether(snaps, asked);
      const after = snaps.filter((s) => !prune.includes(s.id));
      for (const s of after) if (chainOf(snaps, s.id)) expect(chainOf(after, s.id), `${s.id} lost a link`).toEqual(chainOf(snaps, s.id));
      // Only what was asked goes, and each one held back is named with who needs it.
      for (const x of prune) expect(asked).toContain(x);
      for (const x of asked) expect(prune.includes(x) !== held.has(x)).toBe(true);
      for (const [x, by] of held) for (const d of by) expect(ancestors(snaps, d)).toContain(x);
    }));
  });

  it('prunableTogether: a chain pruned whole goes whole; its base stays while one increment stays', () => {
    const snaps: ChainSnapshot[] = [
      { id: id(0), bytes: 10, complete: true }, { id: id(1), bytes: 1, complete: true, base: id(0) }, { id: id(2), bytes: 1, complete: true, base: id(1) },
      { id: id(3), bytes: 10, complete: true },
    ];
    expect(prunableTogether(snaps, [id(0), id(1), id(2)]).prune).toEqual([id(0), id(1), id(2)]);
    const some = prunableTogether(snaps, [id(0), id(1), id(3)]);
    expect(some.prune).toEqual([id(3)]);
    expect(some.held).toEqual(new Map([[id(0), [id(2)]], [id(1), [id(2)]]]));
  });

  it('dependantsOf: exactly the snapshots that have it among their ancestors', () => {
    fc.assert(fc.property(history, (snaps) => {
      for (const s of snaps) {
        const expected = snaps.filter((y) => y.id !== s.id && ancestors(snaps, y.id).includes(s.id)).map((y) => y.id).sort();
        expect(dependantsOf(snaps, s.id)).toEqual(expected);
      }
    }));
  });

  it('nextSnapshot over many backups: no chain outgrows the policy, increments only on whole, undamaged chains', () => {
    const policy = fc.record({ maxLength: fc.integer({ min: 1, max: 8 }), maxIncrementShare: fc.double({ min: 0.05, max: 2, noNaN: true }) });
    const runs = fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 500 }), fails: fc.boolean(), forceFull: fc.boolean() }), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(policy, runs, (p: ChainPolicy, backups) => {
      const snaps: ChainSnapshot[] = [];
      backups.forEach((b, i) => {
        const next = nextSnapshot({ snapshots: snaps, policy: p, forceFull: b.forceFull && i % 7 === 0 });
        const s: ChainSnapshot = { id: id(i), bytes: b.bytes, complete: true };
        if (next.kind === 'incremental') {
          expect(next.base).toBe(snaps.at(-1)!.id);
          expect(next.chain.length).toBeLessThan(p.maxLength);
          expect(next.chain.every((c) => !snaps.find((x) => x.id === c)!.damaged)).toBe(true);
          s.base = next.base;
        }
        snaps.push(s);
        expect(chainOf(snaps, s.id)!.length).toBeLessThanOrEqual(p.maxLength);
        if (b.fails && i % 3 === 0) s.damaged = true; // a later verify found damage
      });
    }));
  });

  it('nextSnapshot: the reasons a user reads', () => {
    const p = { maxLength: 3, maxIncrementShare: 0.5 };
    expect(nextSnapshot({ snapshots: [], policy: p })).toEqual({ kind: 'full', reason: 'the first snapshot on this drive' });
    const full = { id: id(0), bytes: 100, complete: true };
    expect(nextSnapshot({ snapshots: [full], policy: p })).toMatchObject({ kind: 'incremental', base: id(0) });
    expect(nextSnapshot({ snapshots: [full], policy: p, forceFull: true }).reason).toBe('a full snapshot was asked for (--full)');
    expect(nextSnapshot({ snapshots: [full], policy: p, formatOne: new Set([id(0)]) }).reason).toMatch(/format 1/);
    // A chain never mixes formats 2 and 3 (format 3's RESTORE.txt extracts every link with tar -z).
    expect(nextSnapshot({ snapshots: [full], policy: p, formats: new Map([[id(0), 2]]), format: 3 })).toEqual({ kind: 'full', reason: `the newest snapshot (${id(0)}) is format 2 and this one is format 3: a chain never mixes formats` });
    expect(nextSnapshot({ snapshots: [full], policy: p, formats: new Map([[id(0), 3]]), format: 3 })).toMatchObject({ kind: 'incremental', base: id(0) });
    expect(nextSnapshot({ snapshots: [full], policy: p, formats: new Map([[id(0), 3]]), format: 2 }).reason).toMatch(/is format 3 and this one is format 2/);
    expect(nextSnapshot({ snapshots: [{ ...full, damaged: true }], policy: p }).reason).toMatch(/failed verification \(2026/);
    const inc = (i: number, bytes: number) => ({ id: id(i), base: id(i - 1), bytes, complete: true });
    expect(nextSnapshot({ snapshots: [full, inc(1, 10), inc(2, 10)], policy: p }).reason).toBe('the chain is 3 snapshots long (at most 3)');
    expect(nextSnapshot({ snapshots: [full, inc(1, 60)], policy: p }).reason).toBe("the chain's increments weigh 60 % of its full (a new full from 50 %)");
    expect(nextSnapshot({ snapshots: [full, { ...inc(1, 10), complete: false }], policy: p })).toMatchObject({ kind: 'incremental', base: id(0) });
    // The policy's limits give way when a new full would not fit; nothing else does.
    expect(nextSnapshot({ snapshots: [full, inc(1, 10), inc(2, 10)], policy: p, fullFits: false })).toEqual({
      kind: 'incremental', base: id(2), chain: [id(0), id(1), id(2)],
      reason: `the chain is 3 snapshots long (at most 3), but a new full does not fit in the free space: builds on ${id(2)} (chain of 3)`,
    });
    expect(nextSnapshot({ snapshots: [full, inc(1, 60)], policy: p, fullFits: false }).kind).toBe('incremental');
    expect(nextSnapshot({ snapshots: [full, inc(1, 10), inc(2, 10)], policy: p, fullFits: true }).kind).toBe('full');
    expect(nextSnapshot({ snapshots: [{ ...full, damaged: true }], policy: p, fullFits: false }).kind).toBe('full');
    expect(nextSnapshot({ snapshots: [full], policy: p, forceFull: true, fullFits: false }).kind).toBe('full');
  });

  it('nextSnapshot when a full does not fit: the same decision as with room, except that the policy limits never force a full', () => {
    const policy = fc.record({ maxLength: fc.integer({ min: 1, max: 8 }), maxIncrementShare: fc.double({ min: 0.05, max: 2, noNaN: true }) });
    fc.assert(fc.property(history, policy, fc.boolean(), (snaps, p: ChainPolicy, forceFull) => {
      const roomy = nextSnapshot({ snapshots: snaps, policy: p, forceFull });
      const tight = nextSnapshot({ snapshots: snaps, policy: p, forceFull, fullFits: false });
      if (roomy.kind === 'incremental') expect(tight).toEqual(roomy);
      else if (/long \(at most|weigh/.test(roomy.reason)) {
        expect(tight.kind).toBe('incremental');
        expect(tight.reason.startsWith(`${roomy.reason}, but a new full does not fit`)).toBe(true);
      } else expect(tight).toEqual(roomy); // first, --full, format 1, broken or damaged chain
    }));
  });
});
