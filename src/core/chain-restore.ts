// What a stock-tool restore of a format-2 chain needs (docs/FORMAT.md): the chain's tarballs
// are extracted oldest first into one folder, then REMOVE.nul takes away what the snapshot no
// longer held. Two rules make that safe with plain tar:
// - nothing the chain's tarballs hold changes kind along the chain (a folder, a symlink, a file):
//   extracting a folder's members where an earlier tarball left a symlink could write through
//   it, and a file cannot replace a folder with contents. A snapshot that would need such a
//   change starts a new full (`kindChanges`).
// - the removal list names every path the tarballs hold that the snapshot's tree does not, a
//   removed folder once (its contents go with it), as NUL-terminated paths for `xargs -0 rm -rf`.
// Pure: trees and tarball listings in, lists out.

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface TreeEntry {
  path: string;
  type: EntryKind;
}

/** Files and hard links are one kind here: tar replaces one with the other like any file. */
const kindOf = (t: EntryKind) => (t === 'hardlink' ? 'file' : t);

/** Every path the chain's tarballs hold, with its kind (the chain keeps kinds, so one each). */
export function chainPaths(tarballs: readonly (readonly TreeEntry[])[]): Map<string, EntryKind> {
  const out = new Map<string, EntryKind>();
  for (const members of tarballs) for (const m of members) out.set(m.path, kindOf(m.type));
  return out;
}

/** Paths of the new tree whose kind differs from what the earlier tarballs of the chain (its base and before, not the new one) hold there: then a new full. */
export function kindChanges(chain: ReadonlyMap<string, EntryKind>, tree: readonly TreeEntry[]): string[] {
  const out: string[] = [];
  for (const e of tree) {
    const before = chain.get(e.path);
    if (before !== undefined && before !== kindOf(e.type)) out.push(e.path);
  }
  return out.sort();
}

/**
 * What to remove after extracting the chain (its own tarball included in `chain`): held by the
 * tarballs, not in the tree. A path under a folder that is itself removed is not listed again.
 * Sorted, so a folder comes before what it held.
 */
export function removalList(chain: ReadonlyMap<string, EntryKind>, tree: readonly TreeEntry[]): string[] {
  const keep = new Set(tree.map((e) => e.path));
  const gone = [...chain.keys()].filter((p) => !keep.has(p)).sort();
  const removedDirs = new Set<string>();
  const out: string[] = [];
  for (const p of gone) {
    if (ancestors(p).some((a) => removedDirs.has(a))) continue;
    out.push(p);
    if (chain.get(p) === 'dir') removedDirs.add(p);
  }
  return out;
}

/** REMOVE.nul's bytes: each path followed by a NUL (what `xargs -0` reads). */
export function formatNulList(paths: readonly string[]): string {
  return paths.map((p) => `${p}\0`).join('');
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
