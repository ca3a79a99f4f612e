// Block deltas (core/block-delta.ts), property-tested over random histories of a large file: each
// link planDelta makes, applied as a stock restore applies it (applyDelta) or streamed as a reader
// streams it (contentRanges), gives back exactly the file's version. Files are modelled by block:
// each block is the id of its content, so files of thousands of 1 MiB blocks cost nothing; a few
// histories of files just over 64 MiB are also built as real bytes.
import { assert, describe, expect, it } from 'vitest';
import {
  applyDelta, BLOCK_SIZE, blockCount, contentRanges, DELTA_MIN_SIZE, DeltaLinkError, HASH_BYTES, MAX_CHANGED_SHARE, MAX_MEMBER_BLOCKS,
  MAX_RUNS, planDelta, type BlockList, type DeltaPlan, type Run,
} from '../../src/core/block-delta.js';

const MiB = BLOCK_SIZE;

/** A check inside a loop over thousands of blocks: no expect() per block, and the message built only on failure. */
function check(ok: boolean, what: () => string): void {
  if (!ok) assert.fail(what());
}

/** mulberry32: a small seeded PRNG, so that every run tests the same histories and a failure repeats. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** An integer in [lo, hi]. */
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return { int, chance: (p: number) => next() < p, pick: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]! };
}
type Rnd = ReturnType<typeof prng>;

/**
 * A version of the file: its size and the content id of each block. A block's bytes are the first
 * `length` bytes of its id's stream, so the same id and length are the same bytes, and a block cut
 * short keeps its id (its bytes are a prefix of what they were, but its hash changes).
 */
interface Version {
  size: number;
  ids: number[];
}
const blockLength = (v: Version, k: number): number => Math.min(BLOCK_SIZE, v.size - k * BLOCK_SIZE);

/** The block list: a "hash" made of the block's id and length, distinct exactly when the bytes are. */
function listOf(v: Version): BlockList {
  const hashes = new Uint8Array(v.ids.length * HASH_BYTES).fill(0x5a);
  const view = new DataView(hashes.buffer);
  v.ids.forEach((id, k) => {
    view.setUint32(k * HASH_BYTES, id, true);
    view.setUint32(k * HASH_BYTES + 4, blockLength(v, k), true);
  });
  return { size: v.size, hashes };
}

const KINDS = ['same', 'poke', 'poke', 'poke', 'scatter', 'append', 'append', 'cut', 'cut', 'insertBlocks', 'insertBytes', 'rewrite'];

/** Random edits of a file, as programs make them: in place, appended, cut, inserted (shifting what follows). */
class Editor {
  private fresh = 1;
  constructor(private readonly rnd: Rnd, private readonly scale: number, private readonly kinds = KINDS) {}

  file(size: number): Version {
    return { size, ids: Array.from({ length: blockCount(size) }, () => this.fresh++) };
  }

  /** A size change of up to `scale` MiB: sometimes whole blocks, sometimes not. */
  private bytes(): number {
    return this.rnd.chance(0.3) ? this.rnd.int(1, this.scale) * MiB : this.rnd.int(1, this.scale * MiB);
  }

  /** The new ids after a size change that keeps blocks [0, keep) and fills the rest with new content. */
  private resized(v: Version, size: number, keep: number): Version {
    const ids = v.ids.slice(0, keep);
    while (ids.length < blockCount(size)) ids.push(this.fresh++);
    return { size, ids };
  }

  edit(v: Version): { kind: string; next: Version } {
    const { rnd } = this;
    const n = v.ids.length;
    const kind = n === 0 ? 'append' : rnd.pick(this.kinds);
    switch (kind) {
      case 'same':
        return { kind, next: { size: v.size, ids: [...v.ids] } };
      case 'poke': case 'scatter': case 'rewrite': {
        const ids = [...v.ids];
        const runs = kind === 'poke' ? rnd.int(1, 6) : kind === 'scatter' ? rnd.int(40, 100) : 1;
        for (let r = 0; r < runs; r++) {
          const len = kind === 'rewrite' ? rnd.int(Math.ceil(n / 2), n) : kind === 'scatter' ? 1 : rnd.chance(0.2) ? rnd.int(1, Math.min(n, 20 * this.scale, 300)) : Math.min(n, rnd.int(1, 3)); // never past the end of a small file
          const at = rnd.int(0, n - len);
          for (let k = at; k < at + len; k++) ids[k] = this.fresh++;
        }
        return { kind, next: { size: v.size, ids } };
      }
      case 'append': {
        // The last block, if partial, grows: new content. Whole blocks before it stay.
        return { kind, next: this.resized(v, v.size + this.bytes(), Math.floor(v.size / BLOCK_SIZE)) };
      }
      case 'cut': {
        const size = Math.max(0, v.size - this.bytes());
        // The kept blocks keep their ids; a last block cut short too (only its length changes).
        return { kind, next: { size, ids: v.ids.slice(0, blockCount(size)) } };
      }
      case 'insertBlocks': {
        const at = rnd.int(0, n - 1);
        const added = Array.from({ length: rnd.int(1, this.scale) }, () => this.fresh++);
        return { kind, next: { size: v.size + added.length * BLOCK_SIZE, ids: [...v.ids.slice(0, at), ...added, ...v.ids.slice(at)] } };
      }
      default: {
        // Bytes that are not a whole number of blocks: every block from there on is new content.
        const at = rnd.int(0, n - 1);
        let added = this.bytes();
        if (added % BLOCK_SIZE === 0) added += 1;
        return { kind, next: this.resized(v, v.size + added, at) };
      }
    }
  }
}

/** The oracle, from the ids: the blocks of `now` whose content `old` does not have at the same place. */
function changedBlocks(old: Version, now: Version): number[] {
  const out: number[] = [];
  for (let k = 0; k < now.ids.length; k++) {
    if (k >= old.ids.length || old.ids[k] !== now.ids[k] || blockLength(old, k) !== blockLength(now, k)) out.push(k);
  }
  return out;
}

/** Property 3, and the decision: the plan is the one the rules give, its members exactly the changed blocks. */
function checkPlan(old: Version, now: Version, plan: DeltaPlan): void {
  const changed = changedBlocks(old, now);
  const runCount = changed.filter((k, i) => i === 0 || changed[i - 1] !== k - 1).length;
  if (now.size < DELTA_MIN_SIZE) expect(plan).toEqual({ kind: 'whole', reason: 'smaller than 16 MiB' });
  else if (changed.length > MAX_CHANGED_SHARE * now.ids.length) expect(plan.kind === 'whole' && plan.reason).toMatch(/^more than half of its blocks changed/);
  else if (runCount > MAX_RUNS) expect(plan.kind === 'whole' && plan.reason).toBe(`more than 64 runs of changed blocks (${runCount})`);
  else expect(plan.kind).toBe('delta');
  if (plan.kind !== 'delta') return;
  expect(plan.changedBlocks).toBe(changed.length);
  expect(plan.runs.length).toBe(runCount);
  const blocksOf = (runs: Run[]) => runs.flatMap((r) => Array.from({ length: r.count }, (_, j) => r.first + j));
  // Runs: maximal (a gap between any two), in order, exactly the changed blocks.
  expect(blocksOf(plan.runs)).toEqual(changed);
  plan.runs.forEach((r, i) => check(i === 0 || r.first > plan.runs[i - 1]!.first + plan.runs[i - 1]!.count, () => `runs ${i - 1} and ${i} touch`));
  // Members: 1..64 blocks, in order, apart, exactly the changed blocks, each inside one run.
  let next = 0;
  let run = 0;
  for (const m of plan.members) {
    check(m.count >= 1 && m.count <= MAX_MEMBER_BLOCKS && m.first >= next && m.first + m.count <= now.ids.length, () => `member ${m.first}+${m.count} after ${next}`);
    while (run < plan.runs.length && plan.runs[run]!.first + plan.runs[run]!.count <= m.first) run++;
    const r = plan.runs[run];
    check(r !== undefined && r.first <= m.first && m.first + m.count <= r.first + r.count, () => `member ${m.first}+${m.count} is not inside one run`);
    next = m.first + m.count;
  }
  expect(blocksOf(plan.members)).toEqual(changed);
  expect(plan.members.length).toBe(plan.runs.reduce((n, r) => n + Math.ceil(r.count / MAX_MEMBER_BLOCKS), 0));
}

interface Link {
  v: Version;
  members: Run[];
}

/** Property 2 by the model: each range of contentRanges holds, block by block, the content `now` has there. */
function checkRanges(base: Version, links: Link[], now: Version): void {
  const ranges = contentRanges(links.map((l) => ({ size: l.v.size, members: l.members })), now.size);
  let pos = 0;
  for (const r of ranges) {
    const where = (): string => `range ${JSON.stringify(r)}`;
    check(r.start === pos && r.end > r.start, () => `${where()} does not start at ${pos}`);
    pos = r.end;
    const src = r.link < 0 ? base : links[r.link]!.v;
    const m = r.link < 0 ? undefined : links[r.link]!.members[r.member]!;
    check(r.link >= 0 || r.member === -1, () => `${where()}: the base has no member`);
    check(r.at === r.start - (m?.first ?? 0) * BLOCK_SIZE, () => `${where()}: wrong offset in the body`);
    for (let k = r.start / BLOCK_SIZE; k * BLOCK_SIZE < r.end; k++) {
      check(!m || (k >= m.first && k < m.first + m.count), () => `${where()}: block ${k} is not in the member`);
      // The same content at the same place, and enough of it in the source for this range.
      check(src.ids[k] === now.ids[k], () => `${where()}: block ${k} is content ${src.ids[k]} there, ${now.ids[k]} in the version`);
      check(blockLength(src, k) >= Math.min((k + 1) * BLOCK_SIZE, r.end) - k * BLOCK_SIZE, () => `${where()}: block ${k} is too short in the source`);
    }
  }
  expect(pos).toBe(now.size);
}

/**
 * Histories as the writer sees them: each version planned against the one before; a delta adds a
 * link, a whole copy starts again from that version. `verify` runs after every delta link, or
 * (`everyLink` false, when it is costly) at the end of each chain of links.
 */
function history(editor: Editor, rnd: Rnd, firstSize: number, steps: number,
  verify: (base: Version, links: Link[], now: Version) => void, tally: Map<string, number>, everyLink = true): void {
  let prev = editor.file(firstSize);
  let base = prev;
  let links: Link[] = [];
  for (let s = 0; s < steps; s++) {
    const { kind, next } = editor.edit(prev);
    const plan = planDelta(listOf(prev), listOf(next));
    checkPlan(prev, next, plan);
    const outcome = plan.kind === 'whole' ? `whole: ${plan.reason.replace(/ \(.*/, '')}` : `delta after ${kind}`;
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    if (plan.kind === 'whole') {
      if (!everyLink && links.length) verify(base, links, prev);
      base = next;
      links = [];
    } else {
      links.push({ v: next, members: plan.members });
      tally.set('links in a chain of 3 or more', (tally.get('links in a chain of 3 or more') ?? 0) + (links.length >= 3 ? 1 : 0));
      if (everyLink) verify(base, links, next);
    }
    prev = next;
  }
  if (!everyLink && links.length) verify(base, links, prev);
}

// Real bytes: a block's bytes are a fixed 1 MiB pattern with its id stamped every 4 KiB, so a
// byte out of place (another block, another offset in the block) differs.
const PATTERN = (() => {
  const rnd = prng(99);
  return Uint8Array.from({ length: BLOCK_SIZE }, () => rnd.int(0, 255));
})();

/** Writes block k of a version (its bytes, clipped to its size) into `out` at `at`; returns its length. */
function renderBlock(v: Version, k: number, out: Uint8Array, at: number): number {
  const len = blockLength(v, k);
  out.set(PATTERN.subarray(0, len), at);
  for (let o = 0; o < len; o += 4096) for (let j = 0; j < 4 && o + j < len; j++) out[at + o + j] = (v.ids[k]! >>> (8 * j)) & 0xff;
  return len;
}

/** Bytes of blocks [first, first + count) of a version (clipped to its size): a member's body. */
function render(v: Version, first = 0, count = v.ids.length): Uint8Array {
  const start = first * BLOCK_SIZE;
  const out = new Uint8Array(Math.max(0, Math.min((first + count) * BLOCK_SIZE, v.size) - start));
  for (let k = first; k < first + count && k < v.ids.length; k++) renderBlock(v, k, out, k * BLOCK_SIZE - start);
  return out;
}

/** The first index where two byte arrays differ (or the shorter length), undefined when equal: no 64 MiB diff on failure. */
function difference(a: Uint8Array, b: Uint8Array): number | undefined {
  if (a.length === b.length && Buffer.compare(a, b) === 0) return undefined;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return Math.min(a.length, b.length);
}

// Touching memory is what costs (64 MiB a copy): a chain's base is rendered once, and versions
// are compared block by block through one scratch block.
const rendered = new WeakMap<Version, Uint8Array>();
const renderedBase = (v: Version): Uint8Array => rendered.get(v) ?? rendered.set(v, render(v)).get(v)!;
const scratch = new Uint8Array(BLOCK_SIZE);

/** Whether `bytes` are exactly the version's; else the first byte that differs. */
function differenceFrom(bytes: Uint8Array, v: Version): number | undefined {
  if (bytes.length !== v.size) return Math.min(bytes.length, v.size);
  for (let k = 0; k < v.ids.length; k++) {
    const len = renderBlock(v, k, scratch, 0);
    const d = difference(bytes.subarray(k * BLOCK_SIZE, k * BLOCK_SIZE + len), scratch.subarray(0, len));
    if (d !== undefined) return k * BLOCK_SIZE + d;
  }
  return undefined;
}

/** Property 2 by the bytes: applyDelta gives the version, and so does reading by contentRanges. */
function checkBytes(base: Version, links: Link[], now: Version): void {
  const baseBytes = renderedBase(base);
  const restored = applyDelta(baseBytes, links.map((l) => ({ size: l.v.size, members: l.members, bytes: (m: Run) => render(l.v, m.first, m.count) })));
  expect(differenceFrom(restored, now)).toBeUndefined();
  expect(differenceFrom(baseBytes, base)).toBeUndefined(); // applyDelta left its base alone
  let pos = 0;
  for (const r of contentRanges(links.map((l) => ({ size: l.v.size, members: l.members })), now.size)) {
    const m = r.link < 0 ? undefined : links[r.link]!.members[r.member]!;
    const body = m ? render(links[r.link]!.v, m.first, m.count) : baseBytes;
    expect(r.start).toBe(pos);
    expect(r.at + (r.end - r.start)).toBeLessThanOrEqual(body.length);
    expect(difference(body.subarray(r.at, r.at + (r.end - r.start)), restored.subarray(r.start, r.end))).toBeUndefined();
    pos = r.end;
  }
  expect(pos).toBe(now.size);
}

const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** A version of n whole blocks, ids 1..n. */
const blocks = (n: number, size = n * MiB): Version => ({ size, ids: Array.from({ length: blockCount(size) }, (_, k) => k + 1) });
/** The same version with the given blocks changed (new ids). */
const poked = (v: Version, ks: number[]): Version => ({ size: v.size, ids: v.ids.map((id, k) => (ks.includes(k) ? 1_000_000 + k : id)) });
const range = (from: number, n: number, step = 1): number[] => Array.from({ length: n }, (_, i) => from + i * step);

describe('block-delta', () => {
  it('the constants of the spec', () => {
    expect([BLOCK_SIZE, DELTA_MIN_SIZE, MAX_RUNS, MAX_CHANGED_SHARE, MAX_MEMBER_BLOCKS, HASH_BYTES]).toEqual([1048576, 16777216, 64, 0.5, 64, 32]);
    expect([0, 1, MiB - 1, MiB, MiB + 1, 4396019409].map(blockCount)).toEqual([0, 1, 1, 1, 2, 4193]);
  });

  it('property 1: a file planned against itself is a delta of no blocks', () => {
    const rnd = prng(1);
    for (let i = 0; i < 200; i++) {
      const v = blocks(0, rnd.int(64, 5000) * MiB + (rnd.chance(0.5) ? 0 : rnd.int(1, MiB - 1)));
      expect(planDelta(listOf(v), listOf(v))).toEqual({ kind: 'delta', runs: [], members: [], changedBlocks: 0 });
    }
  });

  it('property 2 and 3 (model): over random histories, every plan follows the rules and every chain of links gives back each version', () => {
    const tally = new Map<string, number>();
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = prng(seed);
      const size = (rnd.chance(0.1) ? rnd.int(1, 63) : rnd.int(64, 3000)) * MiB + (rnd.chance(0.5) ? 0 : rnd.int(1, MiB - 1));
      history(new Editor(rnd, 40), rnd, size, 12, checkRanges, tally);
    }
    // The histories reached every outcome, and long chains (not a vacuous pass).
    const count = (prefix: string) => [...tally].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    for (const outcome of ['whole: smaller than 16 MiB', 'whole: more than half', 'whole: more than 64 runs', 'delta after same', 'delta after poke',
      'delta after append', 'delta after cut', 'delta after insertBlocks', 'delta after insertBytes', 'delta after scatter']) {
      expect(count(outcome), outcome).toBeGreaterThan(3);
    }
    expect(count('delta')).toBeGreaterThan(1500);
    expect(count('links in a chain of 3 or more')).toBeGreaterThan(500);
  });

  it('property 2 (bytes): files just over 64 MiB, restored by applyDelta and streamed by contentRanges, equal the version at the end of each chain', () => {
    const tally = new Map<string, number>();
    // Edits that mostly leave a delta: 64 MiB of memory filled costs a quarter of a second here.
    const kinds = ['same', 'poke', 'poke', 'append', 'cut', 'insertBlocks', 'insertBytes'];
    for (let seed = 1; seed <= 4; seed++) {
      const rnd = prng(1000 + seed);
      history(new Editor(rnd, 2, kinds), rnd, rnd.int(65, 68) * MiB + rnd.int(0, MiB - 1), 8, checkBytes, tally, false);
    }
    expect([...tally].filter(([k]) => k.startsWith('delta')).reduce((n, [, v]) => n + v, 0)).toBeGreaterThan(15);
    expect(tally.get('links in a chain of 3 or more')).toBeGreaterThan(5);
  });

  describe('property 4: the reasons to store whole', () => {
    const v = blocks(1024);
    it('smaller than 16 MiB (the new size), from the first byte under it', () => {
      const small = blocks(0, DELTA_MIN_SIZE - 1);
      expect(planDelta(listOf(small), listOf(poked(small, [3])))).toEqual({ kind: 'whole', reason: 'smaller than 16 MiB' });
      const at = blocks(64);
      expect(planDelta(listOf(at), listOf(poked(at, [3])))).toMatchObject({ kind: 'delta', runs: [{ first: 3, count: 1 }] });
      // A file that grew past 64 MiB is planned against its smaller self: here most of it is new.
      expect(planDelta(listOf(blocks(10)), listOf(blocks(100)))).toEqual({ kind: 'whole', reason: 'more than half of its blocks changed (90 of 100)' });
    });

    it('more than half of the new blocks changed; exactly half is a delta', () => {
      expect(planDelta(listOf(v), listOf(poked(v, range(100, 700))))).toEqual({ kind: 'whole', reason: 'more than half of its blocks changed (700 of 1,024)' });
      expect(planDelta(listOf(v), listOf(poked(v, range(0, 513))))).toEqual({ kind: 'whole', reason: 'more than half of its blocks changed (513 of 1,024)' });
      const half = planDelta(listOf(v), listOf(poked(v, range(0, 512))));
      expect(half).toEqual({ kind: 'delta', runs: [{ first: 0, count: 512 }], members: range(0, 8, 64).map((first) => ({ first, count: 64 })), changedBlocks: 512 });
      expect(planDelta({ size: 0, hashes: new Uint8Array() }, listOf(v))).toEqual({ kind: 'whole', reason: 'more than half of its blocks changed (1,024 of 1,024)' });
    });

    it('more than 64 runs; exactly 64 is a delta', () => {
      const at64 = planDelta(listOf(v), listOf(poked(v, range(1, 64, 2))));
      expect(at64.kind === 'delta' && at64.runs.length).toBe(64);
      expect(planDelta(listOf(v), listOf(poked(v, range(1, 65, 2))))).toEqual({ kind: 'whole', reason: 'more than 64 runs of changed blocks (65)' });
      expect(planDelta(listOf(v), listOf(poked(v, range(1, 90, 3))))).toEqual({ kind: 'whole', reason: 'more than 64 runs of changed blocks (90)' });
    });

    it('a block list that does not match its size (either one)', () => {
      const list = listOf(v);
      const short = { size: v.size, hashes: list.hashes.subarray(0, list.hashes.length - 1) };
      expect(planDelta(list, short)).toEqual({ kind: 'whole', reason: 'its block list does not match its size' });
      expect(planDelta(short, list)).toEqual({ kind: 'whole', reason: 'its previous block list does not match its size' });
      expect(planDelta(list, { size: v.size + 1, hashes: list.hashes })).toEqual({ kind: 'whole', reason: 'its block list does not match its size' });
      expect(planDelta({ size: Number.NaN, hashes: new Uint8Array() }, list)).toEqual({ kind: 'whole', reason: 'its previous block list does not match its size' });
      expect(planDelta({ size: -1, hashes: new Uint8Array() }, list).kind).toBe('whole');
    });
  });

  describe('planDelta at the end of the file', () => {
    const v = blocks(200);
    it('appended blocks are changed blocks; a last partial block that grew or shrank is changed', () => {
      expect(planDelta(listOf(v), listOf({ size: 210 * MiB, ids: [...v.ids, ...range(500, 10)] }))).toMatchObject({ kind: 'delta', runs: [{ first: 200, count: 10 }], changedBlocks: 10 });
      const partial = blocks(0, 200 * MiB + 5);
      expect(planDelta(listOf(partial), listOf({ size: 200 * MiB + 9, ids: partial.ids }))).toMatchObject({ runs: [{ first: 200, count: 1 }] });
      expect(planDelta(listOf(partial), listOf(v))).toMatchObject({ kind: 'delta', runs: [], changedBlocks: 0 });
    });

    it('a file cut short: blocks past the new end are gone, not changed; a cut inside a block changes that block', () => {
      expect(planDelta(listOf(v), listOf(blocks(150)))).toEqual({ kind: 'delta', runs: [], members: [], changedBlocks: 0 });
      expect(planDelta(listOf(v), listOf(blocks(150, 150 * MiB - 7)))).toMatchObject({ kind: 'delta', runs: [{ first: 149, count: 1 }] });
    });

    it('a long run is cut into members of 64 blocks, in order', () => {
      expect(planDelta(listOf(v), listOf(poked(v, range(10, 200 - 10))))).toMatchObject({ kind: 'whole' });
      const w = blocks(1000);
      const plan = planDelta(listOf(w), listOf(poked(w, [...range(3, 200), 500, 501])));
      expect(plan).toEqual({
        kind: 'delta', changedBlocks: 202, runs: [{ first: 3, count: 200 }, { first: 500, count: 2 }],
        members: [{ first: 3, count: 64 }, { first: 67, count: 64 }, { first: 131, count: 64 }, { first: 195, count: 8 }, { first: 500, count: 2 }],
      });
    });
  });

  describe('applyDelta: what a stock restore does', () => {
    const bytes = (n: number, seed: number) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
      return out;
    };
    it('no links: a copy of the base', () => {
      const base = bytes(100, 1);
      const out = applyDelta(base, []);
      expect(out).toEqual(base);
      expect(out).not.toBe(base);
    });

    it('each link sets the size (cut, or extended with zeros), then writes its members at their blocks', () => {
      const base = bytes(3 * MiB + 500, 1);
      const body = bytes(10, 2);
      const cut = applyDelta(base, [{ size: 2 * MiB + 10, members: [{ first: 2, count: 1 }], bytes: () => body }]);
      expect(difference(cut, concat(base.subarray(0, 2 * MiB), body))).toBeUndefined();
      const grown = applyDelta(bytes(MiB, 1), [{ size: 3 * MiB, members: [{ first: 2, count: 1 }], bytes: () => bytes(MiB, 3) }]);
      expect(difference(grown, concat(bytes(MiB, 1), new Uint8Array(MiB), bytes(MiB, 3)))).toBeUndefined();
      expect(difference(applyDelta(base, [{ size: 0, members: [], bytes: () => new Uint8Array() }]), new Uint8Array())).toBeUndefined();
      // Cut, then grown again: what the cut dropped is gone (a hole of zeros), as with `dd`.
      const regrown = applyDelta(base, [
        { size: MiB + 10, members: [], bytes: () => new Uint8Array() },
        { size: 3 * MiB, members: [{ first: 2, count: 1 }], bytes: () => bytes(MiB, 3) },
      ]);
      expect(difference(regrown, concat(base.subarray(0, MiB + 10), new Uint8Array(MiB - 10), bytes(MiB, 3)))).toBeUndefined();
      expect(difference(base, bytes(3 * MiB + 500, 1))).toBeUndefined();
    });

    it('later links write over earlier ones', () => {
      const base = bytes(4 * MiB, 1);
      const out = applyDelta(base, [
        { size: 4 * MiB, members: [{ first: 1, count: 2 }], bytes: () => new Uint8Array(2 * MiB).fill(1) },
        { size: 4 * MiB, members: [{ first: 2, count: 1 }], bytes: () => new Uint8Array(MiB).fill(2) },
      ]);
      expect([0, 1, 2, 3].map((k) => out[k * MiB + 5])).toEqual([base[5], 1, 2, base[3 * MiB + 5]]);
    });

    it('a body of the wrong size, or members that planDelta never makes, are damage', () => {
      const base = bytes(3 * MiB, 1);
      const link = (size: number, members: Run[], n = MiB) => [{ size, members, bytes: (m: Run) => new Uint8Array(Math.min(m.count * MiB, size - m.first * MiB) + n - MiB) }];
      expect(() => applyDelta(base, link(3 * MiB, [{ first: 1, count: 1 }], MiB - 1))).toThrow(DeltaLinkError);
      expect(() => applyDelta(base, link(3 * MiB, [{ first: 1, count: 2 }, { first: 2, count: 1 }]))).toThrow(DeltaLinkError);
      expect(() => applyDelta(base, link(3 * MiB, [{ first: 2, count: 1 }, { first: 1, count: 1 }]))).toThrow(DeltaLinkError);
      expect(() => applyDelta(base, link(3 * MiB, [{ first: 3, count: 1 }]))).toThrow(DeltaLinkError);
      expect(() => applyDelta(base, link(3 * MiB, [{ first: 1, count: 0 }]))).toThrow(DeltaLinkError);
      expect(() => applyDelta(base, link(100 * MiB, [{ first: 0, count: 65 }]))).toThrow(/1 to 64 blocks/);
      expect(() => applyDelta(base, link(-1, []))).toThrow(DeltaLinkError);
    });
  });

  describe('contentRanges: where each byte of the final file comes from', () => {
    it('no links: the base, whole; an empty file has no ranges', () => {
      expect(contentRanges([], 5 * MiB + 3)).toEqual([{ start: 0, end: 5 * MiB + 3, link: -1, member: -1, at: 0 }]);
      expect(contentRanges([], 0)).toEqual([]);
    });

    it('the last link that holds a block gives it; pieces of one member are one range', () => {
      const ranges = contentRanges([
        { size: 10 * MiB, members: [{ first: 1, count: 4 }, { first: 8, count: 2 }] },
        { size: 10 * MiB, members: [{ first: 2, count: 1 }, { first: 9, count: 1 }] },
      ], 10 * MiB);
      expect(ranges).toEqual([
        { start: 0, end: MiB, link: -1, member: -1, at: 0 },
        { start: MiB, end: 2 * MiB, link: 0, member: 0, at: 0 },
        { start: 2 * MiB, end: 3 * MiB, link: 1, member: 0, at: 0 },
        { start: 3 * MiB, end: 5 * MiB, link: 0, member: 0, at: 2 * MiB },
        { start: 5 * MiB, end: 8 * MiB, link: -1, member: -1, at: 5 * MiB },
        { start: 8 * MiB, end: 9 * MiB, link: 0, member: 1, at: 0 },
        { start: 9 * MiB, end: 10 * MiB, link: 1, member: 1, at: 0 },
      ]);
    });

    it('a size that is not the last link\'s, or bytes a link cut off and nobody stored again, are damage', () => {
      expect(() => contentRanges([{ size: 10 * MiB, members: [] }], 11 * MiB)).toThrow(/not 11,534,336/);
      // Cut to 5 MiB, then grown to 10 MiB with only block 9 stored: blocks 5–8 would be zeros.
      expect(() => contentRanges([{ size: 5 * MiB, members: [] }, { size: 10 * MiB, members: [{ first: 9, count: 1 }] }], 10 * MiB)).toThrow(DeltaLinkError);
      // A member of a link that a later link cut inside its last block.
      expect(() => contentRanges([{ size: 10 * MiB, members: [{ first: 9, count: 1 }] }, { size: 9 * MiB + 5, members: [] }, { size: 10 * MiB, members: [] }], 10 * MiB)).toThrow(DeltaLinkError);
      // The same, with the blocks stored again: fine.
      expect(contentRanges([{ size: 5 * MiB, members: [] }, { size: 10 * MiB, members: [{ first: 5, count: 5 }] }], 10 * MiB)).toHaveLength(2);
    });
  });
});
