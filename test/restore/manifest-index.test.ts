// The restore's compact manifest answers exactly what a Map of parsed manifest entries answers.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../src/layout/manifest.js';
import { ManifestIndex } from '../../src/restore/manifest-index.js';
import { mulberry32 } from '../helpers/prng.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('ManifestIndex', () => {
  it('matches a Map of entries on random manifests (types, sizes, hashes, links, repeated paths)', () => {
    const rnd = mulberry32(20261122);
    for (let round = 0; round < 20; round++) {
      const index = new ManifestIndex();
      const map = new Map<string, ManifestEntry>();
      const n = 1 + Math.floor(rnd() * 9000); // across several 4,096-row chunks
      for (let i = 0; i < n; i++) {
        const path = `r/${Math.floor(rnd() * n * 0.9)}`; // some paths come twice: the first line wins (the member a restore creates)
        const type = (['file', 'dir', 'symlink', 'hardlink'] as const)[Math.floor(rnd() * 4)]!;
        const e: ManifestEntry = {
          type, path, mode: 0o644, uid: 0, gid: 0, mtime: 1, size: type === 'dir' || type === 'symlink' ? 0 : Math.floor(rnd() * 2 ** 40),
          sha256: type === 'file' || type === 'hardlink' ? sha(`${round}/${i}`) : undefined,
          link: type === 'symlink' || type === 'hardlink' ? `t/${i}` : undefined,
        };
        index.add(e);
        if (!map.has(path)) map.set(path, e);
      }
      expect(index.length).toBe(map.size);
      expect(Array.from({ length: index.length }, (_, i) => index.path(i))).toEqual([...map.keys()]);
      for (const [path, e] of map) {
        const row = index.find(path);
        expect(row).toBeGreaterThanOrEqual(0);
        expect([index.type(row), index.size(row), index.sha256(row), index.link(row)]).toEqual([e.type, e.size, e.sha256, e.link]);
      }
      expect(index.find('r/absent')).toBe(-1);
    }
  });
});

describe('ManifestIndex, v2 (format 2)', () => {
  it('answers where each member is (in, offset) exactly as the entries say, across chunks', () => {
    const rnd = mulberry32(20260316);
    const chain = ['2026-01-01T090000Z', '2026-01-02T090000Z', '2026-01-03T090000Z'];
    const index = new ManifestIndex();
    const entries: ManifestEntry[] = [];
    for (let i = 0; i < 9000; i++) {
      const type = (['file', 'file', 'dir', 'symlink', 'hardlink'] as const)[Math.floor(rnd() * 5)]!;
      // Only files are carried forward; every other member is in the snapshot's own tarball.
      const inId = type === 'file' && rnd() < 0.6 ? chain[Math.floor(rnd() * chain.length)] : undefined;
      const e: ManifestEntry = {
        type, path: `p/${i}`, mode: 0o644, uid: 0, gid: 0, mtime: 1, size: type === 'file' ? Math.floor(rnd() * 2 ** 40) : 0,
        sha256: type === 'file' || type === 'hardlink' ? sha(String(i)) : undefined,
        link: type === 'symlink' || type === 'hardlink' ? `t/${i}` : undefined,
        offset: Math.floor(rnd() * 2 ** 40) * 512,
        ...(inId ? { in: inId } : {}),
      };
      index.add(e);
      entries.push(e);
    }
    expect(index.hasLocations).toBe(true);
    for (const [i, e] of entries.entries()) expect([index.in(i), index.offset(i)]).toEqual([e.in, e.offset]);
    expect([...index.otherSnapshots()].sort()).toEqual(chain);
  });

  it('has no locations for a v1 manifest', () => {
    const index = new ManifestIndex();
    index.add({ type: 'file', path: 'a', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 1, sha256: sha('a') });
    expect([index.hasLocations, index.in(0), index.offset(0), index.otherSnapshots()]).toEqual([false, undefined, undefined, []]);
  });
});
