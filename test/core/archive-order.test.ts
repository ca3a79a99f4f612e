import { describe, expect, it } from 'vitest';
import { compareArchivePaths, compareNames } from '../../src/core/archive-order.js';

const sign = (n: number) => Math.sign(n);

describe('compareNames', () => {
  it('orders by UTF-8 bytes, not UTF-16 code units or locale', () => {
    expect(compareNames('B', 'a')).toBeLessThan(0); // 0x42 < 0x61: case-sensitive, no locale folding
    expect(compareNames('z', 'é')).toBeLessThan(0); // 0x7a < 0xc3
    expect(compareNames('é', 'z')).toBeGreaterThan(0);
    // U+FF5E (EF BD 9E) vs U+1F389 (F0 9F 8E 89): UTF-16 puts the emoji first (D83C < FF5E),
    // UTF-8 bytes put it last.
    expect('🎉' < '～').toBe(true);
    expect(compareNames('～', '🎉')).toBeLessThan(0);
    expect(compareNames('🎉', '～')).toBeGreaterThan(0);
  });

  it('a prefix sorts first', () => {
    expect(compareNames('a', 'ab')).toBeLessThan(0);
    expect(compareNames('ab', 'a')).toBeGreaterThan(0);
    expect(compareNames('', 'a')).toBeLessThan(0);
  });

  it('is zero only for equal names', () => {
    expect(compareNames('same', 'same')).toBe(0);
    expect(compareNames('é', 'e\u0301')).not.toBe(0); // NFC vs NFD are different names
  });

  it('agrees with Buffer.compare on the UTF-8 bytes', () => {
    const names = ['a', 'A', 'a b', 'a-b', 'a.b', 'a_b', 'a~', 'é', 'e\u0301', '日本', '🎉', '～', 'ß', 'z', '0', ' ', '\x7f', '\u0080'];
    for (const x of names)
      for (const y of names)
        expect(sign(compareNames(x, y)), `${x} vs ${y}`).toBe(sign(Buffer.compare(Buffer.from(x), Buffer.from(y))));
  });
});

describe('compareArchivePaths', () => {
  it('a folder sorts immediately before its contents', () => {
    expect(compareArchivePaths('a', 'a/b')).toBeLessThan(0);
    expect(compareArchivePaths('a/b', 'a-c')).toBeLessThan(0);
    expect(compareArchivePaths('a', 'a-c')).toBeLessThan(0);
    // '/' (0x2f) is greater than '-' (0x2d) and '.' (0x2e) as bytes, but a folder's contents
    // still come before its next sibling.
    expect(compareArchivePaths('a/z', 'a-c')).toBeLessThan(0);
    expect(compareArchivePaths('a/z', 'a.c')).toBeLessThan(0);
    expect(compareArchivePaths('a-c', 'a/z')).toBeGreaterThan(0);
    expect(compareArchivePaths('a/b/c/d', 'a!')).toBeLessThan(0);
  });

  it('is antisymmetric and zero only for equal paths', () => {
    const paths = ['a', 'a/b', 'a-c', 'a/z', 'a/b/c', 'b', 'é', 'é/x'];
    for (const x of paths)
      for (const y of paths) {
        expect(sign(compareArchivePaths(x, y))).toBe(-sign(compareArchivePaths(y, x)) || 0);
        expect(compareArchivePaths(x, y) === 0).toBe(x === y);
      }
  });

  it('sorts a list into depth-first archive order', () => {
    const expected = [
      'root',
      'root/ a',
      'root/A',
      'root/B',
      'root/a',
      'root/a/b',
      'root/a/b/c',
      'root/a/b-c',
      'root/a/z',
      'root/a-c',
      'root/a-c/x',
      'root/a.c',
      'root/a0',
      'root/ab',
      'root/z',
      'root/~',
      'root/é',
      'root/é/e',
      'root/日本',
      'root/日本/語',
      'root/～',
      'root/🎉',
      'root-2',
      'root-2/x',
      'root2',
    ];
    const shuffled = [...expected].reverse();
    for (let i = 0; i < shuffled.length; i += 3) shuffled.push(shuffled.splice(i, 1)[0]!);
    expect(shuffled).not.toEqual(expected);
    expect([...shuffled].sort(compareArchivePaths)).toEqual(expected);
    // Plain string sorting gets it wrong: 'root/a-c' < 'root/a/b' as text.
    expect([...shuffled].sort()).not.toEqual(expected);
  });

  it('every folder comes directly before the first of its descendants', () => {
    const paths = ['x/y/z', 'x', 'x-y', 'x/y', 'x.y', 'x/y-z', 'x/y/z/w', 'x/y.z'].sort(compareArchivePaths);
    for (const [i, p] of paths.entries()) {
      const firstChild = paths.findIndex((q) => q.startsWith(p + '/'));
      if (firstChild >= 0) expect(firstChild, p).toBe(i + 1);
    }
    // And all of a folder's descendants are contiguous.
    for (const p of paths) {
      const idx = paths.flatMap((q, i) => (q.startsWith(p + '/') ? [i] : []));
      if (idx.length) expect(idx[idx.length - 1]! - idx[0]! + 1, p).toBe(idx.length);
    }
  });
});

// The comparisons walk UTF-16 code units in place (no split, no encode: issue 16's weekly
// profile). The reference below is the byte-by-byte comparison they replaced; the two must agree
// in sign on every pair, including '/' against bytes below it, names that are prefixes, UTF-8
// sequences of every length, surrogate pairs against U+E000–U+FFFF, and lone surrogates.
function referenceNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(new TextEncoder().encode(a)), Buffer.from(new TextEncoder().encode(b)));
}
function referencePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = referenceNames(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

describe('the in-place comparisons agree with the byte-by-byte reference', () => {
  const alphabet = ['a', 'b', '/', ' ', '!', '-', '.', '0', '~', '\x7f', '\u0080', 'é', 'ß', '日', '\ue000', '～', '\uffff', '🎉', '😀', '\ud83c', '\udf89'];
  let seed = 0x1234_5678;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return (seed >>> 8) % n;
  };
  const word = () => Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join('');

  it('on 20,000 random pairs that share a prefix', () => {
    let checked = 0;
    for (let k = 0; k < 20_000; k++) {
      const prefix = word();
      const a = prefix + word();
      const b = prefix + word();
      expect(sign(compareArchivePaths(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(sign(referencePaths(a, b)));
      expect(sign(compareNames(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(sign(referenceNames(a, b)));
      if (referencePaths(a, b) !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(15_000); // most pairs differ: the test compares orders, not equal strings
  });

  it('on the cases where code-unit order and UTF-8 order part', () => {
    const pairs: [string, string][] = [
      ['x/🎉', 'x/\ue000'], ['x/\uffff', 'x/😀'], ['🎉/a', '～'], ['x\ud83c', 'x\ue000'], ['x\udf89/a', 'x/a'],
      ['a/b', 'a b'], ['a/b', 'a!'], ['a', 'a/'], ['a/', 'a!'], ['', '/'], ['é/x', 'é!'],
    ];
    for (const [a, b] of pairs) {
      expect(sign(compareArchivePaths(a, b)), `${a} vs ${b}`).toBe(sign(referencePaths(a, b)));
      expect(sign(compareArchivePaths(b, a)), `${b} vs ${a}`).toBe(sign(referencePaths(b, a)));
    }
  });
});
