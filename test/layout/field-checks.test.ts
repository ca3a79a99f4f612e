import { describe, expect, it } from 'vitest';
import { isInt, isSha256Hex } from '../../src/layout/field-checks.js';

// The manifest's and the baseline's field checks are char-code loops (issue 16: the regexps were
// ~0.15 s of a weekly increment's CPU). They must accept exactly what the regexps they replaced
// accepted: a drive is untrusted input, and a looser check would let a forged line through.
const INT = /^(0|[1-9]\d{0,15})$/;
const referenceInt = (v: string) => INT.test(v) && Number.isSafeInteger(Number(v));
const referenceSha = (v: string) => /^[0-9a-f]{64}$/.test(v);

let seed = 0x2026_1205;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return (seed >>> 8) % n;
};

describe('isInt', () => {
  it('agrees with the regexp on edge cases', () => {
    const cases = ['', '0', '00', '01', '1', '-1', '+1', ' 1', '1 ', '1\n', '1.0', '1e3', '0x10', '９', '٣',
      '9007199254740991', '9007199254740992', '9999999999999999', '10000000000000000', '1234567890123456', '/', ':'];
    for (const v of cases) expect(isInt(v), JSON.stringify(v)).toBe(referenceInt(v));
  });

  it('agrees with the regexp on 50,000 random strings of digits and neighbours', () => {
    const alphabet = '0123456789/:-+ .e\n';
    let accepted = 0;
    for (let k = 0; k < 50_000; k++) {
      const v = Array.from({ length: rand(19) }, () => alphabet[rand(k % 3 === 0 ? alphabet.length : 10)]).join('');
      expect(isInt(v), JSON.stringify(v)).toBe(referenceInt(v));
      if (referenceInt(v)) accepted++;
    }
    expect(accepted).toBeGreaterThan(5_000); // both answers are well represented
  });
});

describe('isSha256Hex', () => {
  it('agrees with the regexp on random strings near a hash', () => {
    const alphabet = '0123456789abcdef/:`gAF G\n';
    let accepted = 0;
    for (let k = 0; k < 50_000; k++) {
      const len = k % 5 === 0 ? 63 + rand(3) : 64;
      const v = Array.from({ length: len }, () => alphabet[rand(k % 4 === 0 ? alphabet.length : 16)]).join('');
      // a single bad character somewhere in some of them
      const w = k % 7 === 0 ? v.slice(0, 10) + alphabet[16 + rand(alphabet.length - 16)] + v.slice(11) : v;
      expect(isSha256Hex(w), JSON.stringify(w)).toBe(referenceSha(w));
      if (referenceSha(w)) accepted++;
    }
    expect(accepted).toBeGreaterThan(10_000);
    for (const v of ['', 'a'.repeat(64), 'A'.repeat(64), `${'0'.repeat(64)}\n`, '0'.repeat(65)]) expect(isSha256Hex(v), v).toBe(referenceSha(v));
  });
});
