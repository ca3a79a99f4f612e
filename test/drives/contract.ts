// The DriveSource port contract, as a reusable suite: every adapter (and every mapping that feeds
// one) must pass it. Used by test/drives/sources.test.ts.
import { posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../src/core/drive-model.js';
import type { DriveSource } from '../../src/drives/drive-source.js';

export interface ContractSubject {
  source: DriveSource;
  /** How many devices list() must return; negative when it cannot be known (real drives). */
  expectDevices: number;
  cleanup: () => Promise<void>;
}

const BOOLEAN_FIELDS = ['removable', 'usb', 'card', 'system', 'virtual', 'readOnly', 'raid'] as const;
const FINGERPRINT_FIELDS = ['serial', 'model', 'fsType', 'fsUuid', 'label', 'partUuid'];

/** /media/x, /, C:\, \\server\share — never "[SWAP]", "", "media/x" or "C:" (relative to C:'s current folder). */
const isAbsolutePath = (p: string) => posix.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]+\\[^\\]+/.test(p);

const byDevice = (a: BlockDevice, b: BlockDevice) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0);

export function driveSourceContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`DriveSource contract: ${name}`, () => {
    let subject: ContractSubject | undefined;
    let listed: { ok: true; devices: unknown } | { ok: false; error: unknown };

    beforeAll(async () => {
      subject = await make();
      listed = await subject.source.list().then((devices) => ({ ok: true as const, devices }), (error: unknown) => ({ ok: false as const, error }));
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    const devices = (): BlockDevice[] => {
      if (!listed.ok) throw new Error(`list() rejected: ${String(listed.error)}`);
      return listed.devices as BlockDevice[];
    };
    const each = (check: (d: BlockDevice) => void) => {
      for (const d of devices()) check(d);
    };

    it('has a kind', () => {
      expect(typeof subject!.source.kind).toBe('string');
      expect(subject!.source.kind.length).toBeGreaterThan(0);
    });

    it('list() resolves to an array', () => {
      expect(listed.ok ? null : listed.error).toBeNull();
      expect(Array.isArray(devices())).toBe(true);
    });

    it('lists the expected number of devices', () => {
      if (subject!.expectDevices >= 0) expect(devices().map((d) => d.device)).toHaveLength(subject!.expectDevices);
    });

    it('device strings are non-empty and unique', () => {
      const names = devices().map((d) => d.device);
      for (const n of names) {
        expect(typeof n).toBe('string');
        expect(n.trim(), 'an empty device string').not.toBe('');
      }
      expect(new Set(names).size, `duplicates in ${names.join(', ')}`).toBe(names.length);
    });

    it('sizes are null or positive integers', () => {
      each((d) => {
        if (d.size !== null) {
          expect(Number.isSafeInteger(d.size) && d.size > 0, `${d.device}: size ${String(d.size)}`).toBe(true);
        }
      });
    });

    it('every mountpoint is an absolute path, listed once', () => {
      each((d) => {
        expect(Array.isArray(d.mountpoints), d.device).toBe(true);
        for (const mp of d.mountpoints) {
          expect(typeof mp).toBe('string');
          expect(isAbsolutePath(mp), `${d.device}: mountpoint ${JSON.stringify(mp)}`).toBe(true);
        }
        expect(new Set(d.mountpoints).size, d.device).toBe(d.mountpoints.length);
      });
    });

    it('every fingerprint is keyed by one of that device\'s mountpoints and holds only known string fields', () => {
      each((d) => {
        expect(d.fingerprints !== null && typeof d.fingerprints === 'object', d.device).toBe(true);
        for (const [mp, f] of Object.entries(d.fingerprints)) {
          expect(d.mountpoints, `${d.device}: fingerprint for ${mp}`).toContain(mp);
          for (const [k, v] of Object.entries(f)) {
            expect(FINGERPRINT_FIELDS, `${d.device} ${mp}`).toContain(k);
            expect(typeof v, `${d.device} ${mp} ${k}`).toBe('string');
          }
        }
      });
    });

    it('flags are booleans; description a string; error null or a message; busType absent or a string', () => {
      each((d) => {
        for (const field of BOOLEAN_FIELDS) expect(typeof d[field], `${d.device}.${field}`).toBe('boolean');
        expect(typeof d.description, `${d.device}.description`).toBe('string');
        expect(d.error === null || (typeof d.error === 'string' && d.error.length > 0), `${d.device}.error`).toBe(true);
        expect(d.busType === undefined || typeof d.busType === 'string', `${d.device}.busType`).toBe(true);
      });
    });

    it('two consecutive list() calls return the same devices', async () => {
      const again = await subject!.source.list();
      expect([...again].sort(byDevice)).toEqual([...devices()].sort(byDevice));
    });
  });
}
