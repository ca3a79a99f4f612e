// The bookkeeping of one extraction, in one object handed to each step (admitting a member,
// writing it, the links at the end, the final accounting): what one member did decides what a
// later one may do (a name taken, a folder made, a file restored intact for a hard link).
import type { Hash } from 'node:crypto';
// Synchronous calls for the per-file work: restoring thousands of small files is a long series
// of tiny calls, and the promise API's round trip through libuv's pool dominated (profiled).
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { collisionKey } from '../core/member-path.js';
import type { TarEntry } from '../layout/tar-reader.js';
import { CollisionKeys, PathKinds, PathSet } from './path-tables.js';
import type { BrokenAt, ExtractOptions, ExtractReport, FolderAttrs, TarballSource } from './extract-types.js';

/** The member being read: skipped, a regular file being written, or one with no content to write. */
export type Pending =
  | { kind: 'skip' }
  | { kind: 'file'; path: string; row: number; fd: number; hash: Hash; size: number; entry: TarEntry; failed?: string }
  | { kind: 'other' };

/** A hard link or symlink, created only once every file is in place (see extract-links.ts). */
export interface LinkMember {
  path: string;
  target: string;
  entry: TarEntry;
}

export class ExtractState {
  readonly report: ExtractReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, damaged: [], refused: [], kept: [], missing: [], selectedFiles: 0, outsideLinks: [] };
  readonly folders: FolderAttrs[] = [];
  // Which manifest rows the archive held (whatever became of them): the rest are accounted for at the end.
  readonly seenRows: Uint8Array;
  lastMember: string | undefined;
  // By manifest row where they can be (path-tables.ts): every path of the archive is in them.
  readonly seen: CollisionKeys; // collision key → path
  readonly kinds: PathKinds; // path → type, for parent checks
  readonly restoredFiles: PathSet;
  readonly links: LinkMember[] = [];
  readonly symlinks: LinkMember[] = [];
  readonly madeDirs = new Set<string>();
  readonly implicit = new Set<string>(); // folders created as parents, not (yet) by their own entry
  current: Pending = { kind: 'skip' };
  /**
   * Format 2 (a manifest that says where each member is): the tarball being read, from which
   * only what the manifest places there is taken (admit-member.ts takenFromHere). Undefined for
   * format 1: one tarball, every member its own.
   */
  pass: TarballSource | undefined;
  /** Format 2: the delta'd files are being rebuilt (extract-delta.ts); the tarball walks skip them. */
  deltaStep = false;
  /** Format 2: where each tarball read broke off (by snapshot id), for the final accounting. */
  readonly breaks = new Map<string, BrokenAt>();

  constructor(readonly opts: ExtractOptions) {
    this.seenRows = new Uint8Array(opts.manifest.length);
    this.seen = new CollisionKeys(opts.manifest);
    this.kinds = new PathKinds(opts.manifest);
    this.restoredFiles = new PathSet(opts.manifest);
  }

  refuse(path: string, reason: string): void {
    this.report.refused.push({ path, reason });
  }

  /** Creates the staging folder `rel` and its parents (as needed). */
  ensureDir(rel: string): void {
    if (rel === '' || this.madeDirs.has(rel)) return;
    this.ensureParent(rel);
    const abs = join(this.opts.staging, rel);
    try {
      mkdirSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Only a real folder we made may hold children; never a file or a link in its place.
      if (!lstatSync(abs).isDirectory()) throw Object.assign(new Error(`${rel} is not a folder`), { code: 'ENOTDIR' });
    }
    if (!this.kinds.has(rel)) {
      // A folder made only as a parent still occupies its name: a later file or link of the
      // same name must be refused, not crash on EEXIST.
      this.kinds.set(rel, 'dir');
      this.implicit.add(rel);
      this.seen.set(collisionKey(rel), rel);
    }
    this.madeDirs.add(rel);
  }

  /** Creates the folder that holds `rel` (nothing for a top-level name). */
  ensureParent(rel: string): void {
    this.ensureDir(dirname(rel) === '.' ? '' : dirname(rel));
  }
}
