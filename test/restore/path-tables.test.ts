// The restore's per-path bookkeeping, kept by manifest row (path-tables.ts), answers exactly what
// the Maps it replaced answered, for any sequence of calls: paths the manifest lists and paths
// it does not, keys that are their own path and keys that are not (case, unicode form).
import { describe, expect, it } from 'vitest';
import { collisionKey } from '../../src/core/member-path.js';
import { ManifestIndex } from '../../src/restore/manifest-index.js';
import { CollisionKeys, PathKinds, PathSet, type Kind } from '../../src/restore/path-tables.js';
import { mulberry32 } from '../helpers/prng.js';

const NAMES = ['a', 'A', 'b', 'Docs', 'docs', 'DOCS', 'Caf\u00e9', 'cafe\u0301', 'caf\u00e9', 'x/y', 'x/Y', 'x'];

function manifestOf(listed: string[]): ManifestIndex {
  const m = new ManifestIndex();
  for (const path of listed) m.add({ type: 'dir', path, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 });
  return m;
}

describe('path tables', () => {
  it('match a Map and a Set on random calls, listed and unlisted paths alike', () => {
    const rnd = mulberry32(20261203);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    for (let round = 0; round < 200; round++) {
      const manifest = manifestOf(NAMES.filter(() => rnd() < 0.5));
      const kinds = new PathKinds(manifest);
      const kindsMap = new Map<string, Kind>();
      const files = new PathSet(manifest);
      const filesSet = new Set<string>();
      const seen = new CollisionKeys(manifest);
      const seenMap = new Map<string, string>();
      for (let step = 0; step < 60; step++) {
        const path = pick(NAMES);
        // A key is a path's collision key, or now and then a path itself (a key of a listed line).
        const key = rnd() < 0.7 ? collisionKey(path) : pick(NAMES);
        switch (Math.floor(rnd() * 3)) {
          case 0: {
            const k = pick(['dir', 'symlink', 'hardlink', 'file'] as const);
            kinds.set(path, k);
            kindsMap.set(path, k);
            break;
          }
          case 1:
            files.add(path);
            filesSet.add(path);
            break;
          default:
            seen.set(key, path);
            seenMap.set(key, path);
        }
        for (const p of NAMES) {
          expect(kinds.get(p)).toBe(kindsMap.get(p));
          expect(kinds.has(p)).toBe(kindsMap.has(p));
          expect(files.has(p)).toBe(filesSet.has(p));
          expect(seen.get(p)).toBe(seenMap.get(p));
          expect(seen.get(collisionKey(p))).toBe(seenMap.get(collisionKey(p)));
          expect(seen.has(p)).toBe(seenMap.has(p));
        }
      }
    }
  });
});
