// The per-path bookkeeping of an extraction (extract-state.ts), kept by manifest row. A restore
// must remember every path the archive named — which kind it became, which files came back
// intact, which names (once case and unicode form are ignored) are taken — so that a collision
// anywhere in a hostile archive is caught. As three Maps keyed by path, that was ~45 MB at 400,000
// files (each table ~14 MB of hash buckets, rebuilt twice as large as it grew). Nearly every path
// is a line of the manifest, which already holds its string and finds its row: one byte per row
// does, and a Map stays only for the paths it does not list (parents made implicitly, members
// that are not in it). Same answers as the Maps, for every sequence of calls.
import type { ManifestIndex } from './manifest-index.js';

/** A small code (1-255) per path; 0 is "none". */
class PathCodes {
  private readonly byRow: Uint8Array;
  private readonly other = new Map<string, number>();

  constructor(private readonly manifest: ManifestIndex) {
    this.byRow = new Uint8Array(manifest.length);
  }

  get(path: string): number {
    const row = this.manifest.find(path);
    return row >= 0 ? this.byRow[row]! : this.other.get(path) ?? 0;
  }

  set(path: string, code: number): void {
    const row = this.manifest.find(path);
    if (row >= 0) this.byRow[row] = code;
    else this.other.set(path, code);
  }
}

const KINDS = ['', 'dir', 'symlink', 'hardlink', 'file'] as const;
export type Kind = Exclude<(typeof KINDS)[number], ''>;

/** Path → the kind it became in the staging folder (for "goes through a symlink or a file"). */
export class PathKinds {
  private readonly codes: PathCodes;

  constructor(manifest: ManifestIndex) {
    this.codes = new PathCodes(manifest);
  }

  get(path: string): Kind | undefined {
    return KINDS[this.codes.get(path)] || undefined;
  }

  has(path: string): boolean {
    return this.codes.get(path) !== 0;
  }

  set(path: string, kind: Kind): void {
    this.codes.set(path, KINDS.indexOf(kind));
  }
}

/** A set of paths (the files restored intact). */
export class PathSet {
  private readonly codes: PathCodes;

  constructor(manifest: ManifestIndex) {
    this.codes = new PathCodes(manifest);
  }

  has(path: string): boolean {
    return this.codes.get(path) !== 0;
  }

  add(path: string): void {
    this.codes.set(path, 1);
  }
}

/**
 * Collision key → the path that took it. Most keys are their own path (a lowercase NFC name
 * is its own key) and a manifest line: a byte on that row says "taken by itself". Any other
 * pair (an uppercase or decomposed name, a path the manifest does not list) is kept in a Map.
 */
export class CollisionKeys {
  private readonly self: PathCodes;
  private readonly other = new Map<string, string>();

  constructor(private readonly manifest: ManifestIndex) {
    this.self = new PathCodes(manifest);
  }

  get(key: string): string | undefined {
    const path = this.other.get(key);
    if (path !== undefined) return path;
    const row = this.manifest.find(key);
    return row >= 0 && this.self.get(key) !== 0 ? this.manifest.path(row) : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, path: string): void {
    if (key === path && this.manifest.find(key) >= 0) {
      this.self.set(key, 1);
      this.other.delete(key);
    } else {
      this.other.set(key, path); // looked at first by get(): a byte left on the key's row is overridden
    }
  }
}
