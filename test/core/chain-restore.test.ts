// core/chain-restore.ts over random trees: REMOVE.nul takes away exactly what the chain brings
// back and the snapshot did not hold; a change of kind along a chain is always found.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainPaths, formatNulList, kindChanges, removalList, type EntryKind, type TreeEntry } from '../../src/core/chain-restore.js';

const seg = fc.constantFrom('a', 'b', 'c d', '-x', 'é', 'n\nl');
const path = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const kind = fc.constantFrom<EntryKind>('file', 'dir', 'symlink', 'hardlink');
const entries = fc.uniqueArray(fc.record({ path, type: kind }), { selector: (e) => e.path, maxLength: 25 });

const isUnder = (p: string, dir: string) => p.startsWith(`${dir}/`);

describe('removalList', () => {
  it('lists only what the chain holds and the tree does not; covers all of it; never a path under a listed folder', () => {
    fc.assert(fc.property(fc.array(entries, { minLength: 1, maxLength: 4 }), entries, (tarballs, tree) => {
      const chain = chainPaths(tarballs);
      const list = removalList(chain, tree);
      const inTree = new Set(tree.map((e) => e.path));
      for (const p of list) {
        expect(chain.has(p)).toBe(true);
        expect(inTree.has(p)).toBe(false);
      }
      const listedDirs = list.filter((p) => chain.get(p) === 'dir');
      for (const p of chain.keys()) {
        if (inTree.has(p)) continue;
        expect(list.includes(p) || listedDirs.some((d) => isUnder(p, d))).toBe(true);
      }
      for (const p of list) expect(listedDirs.some((d) => isUnder(p, d))).toBe(false);
    }));
  });

  it('REMOVE.nul: every path followed by one NUL, names with newlines kept whole', () => {
    expect(formatNulList(['a', 'n\nl/x', '-dash'])).toBe('a\0n\nl/x\0-dash\0');
    expect(formatNulList([])).toBe('');
  });
});

describe('kindChanges', () => {
  it('finds every path whose kind differs from the chain (a hard link counts as a file)', () => {
    fc.assert(fc.property(entries, entries, (earlier, tree) => {
      const chain = chainPaths([earlier]);
      const cls = (t: EntryKind) => (t === 'hardlink' ? 'file' : t);
      const expected = tree.filter((e) => chain.has(e.path) && chain.get(e.path) !== cls(e.type)).map((e) => e.path).sort();
      expect(kindChanges(chain, tree)).toEqual(expected);
    }));
  });

  it('a folder that became a file is a change; a file that became a hard link is not', () => {
    const chain = chainPaths([[{ path: 'd', type: 'dir' }, { path: 'f', type: 'file' }]] as TreeEntry[][]);
    expect(kindChanges(chain, [{ path: 'd', type: 'file' }, { path: 'f', type: 'hardlink' }])).toEqual(['d']);
  });
});
