// core/carry.ts: a file is carried forward unread only when every sign says it is the chain's
// copy; anything else is read (and carried only when its hash proves it), or stored.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carryAction, type CarryBase, type CarryHost, type CarryScan } from '../../src/core/carry.js';

const SHA = 'a'.repeat(64);
const scan: CarryScan = { size: 10, mtime: 1000, mode: 0o644, uid: 1, gid: 1, nlink: 1, stamp: '10:1000.000000001:1000.000000002:5:42' };
const base: CarryBase = { size: 10, mtime: 1000, mode: 0o644, uid: 1, gid: 1, sha256: SHA };
const host: CarryHost = { stamp: scan.stamp, sha256: SHA };

describe('carryAction', () => {
  it('carries a file whose header matches the base and whose stamp and hash the host vouches for', () => {
    expect(carryAction(scan, base, host, false)).toEqual({ action: 'carry' });
  });

  it('reads it instead with --reread, and a different hash is then a silent change', () => {
    expect(carryAction(scan, base, host, true)).toEqual({ action: 'check', silent: true });
  });

  it('reads to check when the host has no record, another stamp, or another hash', () => {
    expect(carryAction(scan, base, undefined, false)).toEqual({ action: 'check', silent: false });
    expect(carryAction(scan, base, { sha256: SHA }, false)).toEqual({ action: 'check', silent: false });
    expect(carryAction(scan, base, { ...host, stamp: scan.stamp.replace('.000000001', '.000000009') }, false)).toEqual({ action: 'check', silent: false });
    expect(carryAction(scan, base, { ...host, sha256: 'b'.repeat(64) }, false)).toEqual({ action: 'check', silent: false });
  });

  it('stores a file the base does not have, one of a hard-link group, or one whose header differs', () => {
    expect(carryAction(scan, undefined, host, false)).toEqual({ action: 'store' });
    expect(carryAction({ ...scan, nlink: 2 }, base, host, false)).toEqual({ action: 'store' });
    for (const k of ['size', 'mtime', 'mode', 'uid', 'gid'] as const) {
      expect(carryAction({ ...scan, [k]: scan[k] + 1 }, base, host, false), k).toEqual({ action: 'store' });
    }
  });

  it('property: carried unread only when header, stamp and hash all agree and no reread', () => {
    const small = fc.integer({ min: 0, max: 1 });
    fc.assert(fc.property(small, small, small, small, small, fc.boolean(), fc.integer({ min: 1, max: 2 }), fc.boolean(), (size, mtime, mode, stampK, shaK, reread, nlink, hasHost) => {
      const s = { ...scan, size, mtime, mode, nlink, stamp: `s${stampK}` };
      const b = { ...base, size: 0, mtime: 0, mode: 0 };
      const h = hasHost ? { stamp: 's0', sha256: shaK === 0 ? SHA : 'c'.repeat(64) } : undefined;
      const got = carryAction(s, b, h, reread);
      const agree = size === 0 && mtime === 0 && mode === 0 && nlink === 1 && hasHost && stampK === 0 && shaK === 0;
      expect(got.action === 'carry').toBe(agree && !reread);
      if (got.action === 'check') expect(got.silent).toBe(agree);
    }), { numRuns: 3000 });
  });
});
