// The order of members in an airgap tarball (and its manifest): depth-first, a folder before
// its contents, siblings by the UTF-8 bytes of their names. Both the writer and `verify --deep`
// use it, so a manifest and a tarball can be compared by walking both once.
//
// Both comparisons walk the UTF-16 code units in place, allocating nothing: an incremental
// backup compares every scanned path with the base manifest's and the host baseline's (about
// 120,000 comparisons at 40,000 files), and splitting and encoding each pair cost ~0.27 s of CPU
// plus the garbage it left (a profile of issue 16's weekly set S). Code-unit order is UTF-8 byte
// order except where a surrogate meets a unit at or above U+E000: there `codePointOrder` moves
// the surrogates (code points from U+10000) above the rest of the BMP, as their UTF-8 bytes are.
// A lone surrogate (not valid UTF-8; the scan never stores one) is compared as TextEncoder would
// encode it, U+FFFD, by the slow path kept for that case alone.

const enc = new TextEncoder();
const SLASH = 0x2f;

/** Names by their UTF-8 bytes. Zero only for equal names. */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return differ(a, b, x, y, false);
  }
  return a.length - b.length;
}

/**
 * Archive paths ('/'-separated) in depth-first order: name by name, a folder before its
 * contents. Done on the whole strings as if '/' sorted below every byte: where two paths first
 * differ, the one whose name ends there (at a '/' or at its end) has the shorter name and comes
 * first, and the end of a path comes before a '/' (a folder before its contents).
 */
export function compareArchivePaths(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SLASH) return -1; // a's name ends here, b's goes on: a's is a prefix of b's
    if (y === SLASH) return 1;
    return differ(a, b, x, y, true);
  }
  return a.length - b.length; // one path is the other plus more: a folder before its contents
}

/** The first differing code units x (of a) and y (of b), at the same index, as UTF-8 would order them. */
function differ(a: string, b: string, x: number, y: number, paths: boolean): number {
  if (x < 0xd800 && y < 0xd800) return x - y; // the common case: both below the surrogates
  if (hasLoneSurrogate(a) || hasLoneSurrogate(b)) return slowCompare(a, b, paths);
  return codePointOrder(x) - codePointOrder(y);
}

/** Surrogates (0xD800–0xDFFF) above 0xE000–0xFFFF; order within each group is kept. */
function codePointOrder(u: number): number {
  return u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u;
}

function hasLoneSurrogate(s: string): boolean {
  return /\p{Surrogate}/u.test(s); // with the u flag a pair is one code point: only a lone half matches
}

/** The byte-by-byte comparison this module did before, for the rare names that need it. */
function slowCompare(a: string, b: string, paths: boolean): number {
  const pa = paths ? a.split('/') : [a];
  const pb = paths ? b.split('/') : [b];
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = enc.encode(pa[i]);
    const y = enc.encode(pb[i]);
    const m = Math.min(x.length, y.length);
    for (let j = 0; j < m; j++) if (x[j] !== y[j]) return x[j]! - y[j]!;
    if (x.length !== y.length) return x.length - y.length;
  }
  return pa.length - pb.length;
}
