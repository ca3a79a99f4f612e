// The change stamp's text (core/change-stamp.ts): one exact spelling per state of a file, and a
// pattern that the gate baseline checks every stamp against.
import { describe, expect, it } from 'vitest';
import { CHANGE_STAMP, changeStamp, stampVouches, u64Decimal } from '../../src/core/change-stamp.js';

describe('changeStamp', () => {
  it('spells size, both times with nine digits of nanoseconds, device and inode', () => {
    expect(changeStamp(5, 1_700_000_000, 42, 1_700_000_123, 987_654_321, '2049', '1311842')).toBe('5:1700000000.000000042:1700000123.987654321:2049:1311842');
    expect(changeStamp(0, -2, 500_000_000, 0, 0, '0', '0')).toBe('0:-2.500000000:0.000000000:0:0');
  });

  it('u64Decimal is exact across 2^53 and up to 2^64 - 1', () => {
    expect(u64Decimal(0, 0)).toBe('0');
    expect(u64Decimal(0, 0xffffffff)).toBe('4294967295');
    expect(u64Decimal(1, 0)).toBe('4294967296');
    expect(u64Decimal(0x1fffff, 0xffffffff)).toBe(String(2 ** 53 - 1));
    expect(u64Decimal(0x200000, 0)).toBe('9007199254740992');
    expect(u64Decimal(0x200000, 1)).toBe('9007199254740993'); // a double would say ...992
    expect(u64Decimal(0xffffffff, 0xffffffff)).toBe('18446744073709551615');
  });

  it('CHANGE_STAMP takes what changeStamp makes and nothing looser', () => {
    for (const ok of ['5:1700000000.000000042:1700000123.987654321:2049:1311842', '0:-2.500000000:0.000000000:0:0', '1:1.000000000:1.000000000:18446744073709551615:9007199254740993']) {
      expect(ok).toMatch(CHANGE_STAMP);
    }
    for (const bad of [
      '', '5', '5:1700000000:1700000123:2049:1311842', // no nanoseconds
      '5:1700000000.42:1700000123.987654321:2049:1311842', // nanoseconds not padded
      '5:1700000000.0000000420:1700000123.987654321:2049:1311842', // ten digits
      '05:1700000000.000000042:1700000123.987654321:2049:1311842', // leading zero
      '5:-0.000000042:1700000123.987654321:2049:1311842', // -0
      '-5:1700000000.000000042:1700000123.987654321:2049:1311842', // negative size
      '5:1700000000.000000042:1700000123.987654321:2049', // no inode
      '5:1700000000.000000042:1700000123.987654321:2049:1311842:7',
      '5:1700000000.000000042:1700000123.987654321:-1:1311842',
      '5:1700000000.000000042:1700000123.987654321:2049:0x10',
      ' 5:1700000000.000000042:1700000123.987654321:2049:1311842',
      '5:1700000000.000000042:1700000123.987654321:2049:1311842\n',
    ]) {
      expect(bad).not.toMatch(CHANGE_STAMP);
    }
  });
});

describe('stampVouches (racily clean files are read again)', () => {
  const at = (mtime: string, ctime: string) => `5:${mtime}:${ctime}:2049:7`;
  const start = 1_700_000_010_000; // ms
  it('vouches for a file last changed more than RACY_SECONDS before the scan', () => {
    expect(stampVouches(at('1700000000.000000000', '1700000006.999999000'), start)).toBe(true);
  });
  it('not for one whose mtime or ctime is within the window (or after the scan started)', () => {
    expect(stampVouches(at('1700000000.000000000', '1700000007.000000001'), start)).toBe(false);
    expect(stampVouches(at('1700000008.000000000', '1700000000.000000000'), start)).toBe(false);
    expect(stampVouches(at('1700000011.000000000', '1700000011.000000000'), start, 0)).toBe(false);
  });
  it('a window of 0 (tests) vouches for anything changed before the scan started', () => {
    expect(stampVouches(at('1700000009.999000000', '1700000009.999000000'), start, 0)).toBe(true);
  });
  it('a malformed stamp never vouches', () => {
    expect(stampVouches('nonsense', start)).toBe(false);
  });
});
