// A small deterministic PRNG for generated test data and the benchmark's data sets (bench/ imports
// it from here): mulberry32 (32-bit state, period 2^32 words = 16 GiB of output per seed, ~1.4 s
// per GiB in Node). The same seed always gives the same bytes, names and sizes, so two runs of a
// test or of the benchmark see the same data.

/** A new seed from a parent seed and a label (FNV-1a over the label, mixed with the parent). */
export function deriveSeed(parent: number, label: string | number): number {
  let h = (0x811c9dc5 ^ parent) >>> 0;
  for (const ch of String(label)) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** An integer in [lo, hi], log-uniformly distributed (many small, few large), lo ≥ 1. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.float() * (Math.log(hi + 1) - Math.log(lo)))));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Fills `words` with the next words of the stream. */
  fill(words: Uint32Array): void {
    // Inlined next(): this loop writes every byte of the data sets.
    let s = this.state;
    for (let i = 0; i < words.length; i++) {
      s = (s + 0x6d2b79f5) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 15), z | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      words[i] = (z ^ (z >>> 14)) >>> 0;
    }
    this.state = s;
  }

  /** `n` fresh bytes of the stream (incompressible). */
  bytes(n: number): Buffer {
    const words = new Uint32Array(Math.ceil(n / 4));
    this.fill(words);
    return Buffer.from(words.buffer, 0, n);
  }
}

/** The stream as a `() => number` in [0, 1), like Math.random (the tests' seeded choices). */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.float();
}
