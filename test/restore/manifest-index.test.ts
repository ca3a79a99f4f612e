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
