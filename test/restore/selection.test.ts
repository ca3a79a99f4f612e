// restore/selection.ts: which members a restore of some paths takes. A few paths are compared
// with each manifest path; many (a restore drill names up to 1000 files) are looked up by each
// path's folders. Both ways must select exactly the same members, hard links' first copies and
// the paths not in the snapshot included.
import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../src/layout/manifest.js';
import { ManifestIndex } from '../../src/restore/manifest-index.js';
import { selection } from '../../src/restore/selection.js';

const entry = (type: ManifestEntry['type'], path: string, link?: string): ManifestEntry => ({
  type, path, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0,
  ...(type === 'file' || type === 'hardlink' ? { sha256: '0'.repeat(64) } : {}), ...(link ? { link } : {}),
});

function manifest(): ManifestIndex {
  const index = new ManifestIndex();
  index.add(entry('dir', 'home'));
  index.add(entry('dir', 'home/docs'));
  for (let i = 0; i < 30; i++) index.add(entry('file', `home/docs/f${i}.txt`));
  index.add(entry('dir', 'home/docs/deep'));
  index.add(entry('file', 'home/docs/deep/x.txt'));
  index.add(entry('file', 'home/other.txt'));
  index.add(entry('hardlink', 'home/docs/deep/twin.txt', 'home/other.txt'));
  index.add(entry('file', 'home/docs-not-under.txt'));
  return index;
}

/** Every manifest path the selection takes, and what it reports. */
function taken(paths: string[]) {
  const m = manifest();
  const s = selection(m, paths);
  const all = Array.from({ length: m.length }, (_, i) => m.path(i));
  return { selected: all.filter((p) => s.select?.(p) ?? true), missing: s.missing, extra: s.extra };
}

describe('selection', () => {
  it('a folder takes what is under it (not a sibling sharing its prefix), a hard link brings its first copy, a path not there is missing', () => {
    const r = taken(['home/docs/deep', 'home/nothing.txt']);
    expect(r.selected).toEqual(['home/docs/deep', 'home/docs/deep/x.txt', 'home/other.txt', 'home/docs/deep/twin.txt']);
    expect(r.missing).toEqual(['home/nothing.txt']);
    expect(r.extra).toEqual(['home/other.txt']);
  });

  it('many paths (looked up by folder) select exactly what the same paths do one by one', () => {
    const many = [...Array.from({ length: 20 }, (_, i) => `home/docs/f${i}.txt`), 'home/docs/deep/', './home/docs/f25.txt', 'home/missing', 'home/docs'];
    const few = (paths: string[]) => paths.map((p) => taken([p]));
    const whole = taken(many);
    // The union of the paths taken one at a time is what the many take together, in manifest order.
    const union = new Set(few(many).flatMap((r) => r.selected));
    expect(whole.selected).toEqual(taken([]).selected.filter((p) => union.has(p)));
    expect(whole.missing).toEqual(['home/missing']);
    expect(whole.extra).toEqual(['home/other.txt']);
    expect(whole.selected).not.toContain('home/docs-not-under.txt');
  });
});
