// The shapes extraction shares with its callers (restore.ts, promote.ts) and with its own
// parts: kept apart from the code so that every part can import them without a cycle.
// extract.ts re-exports them; import from there.
import type { ManifestIndex } from './manifest-index.js';
import type { TarballParts } from '../layout/member-at.js';
import type { Hasher, StreamHash } from '../io/hash-thread.js';

/** Reserved for the staging folder (restore.ts): never a member's top-level name. */
export const STAGING_NAME = '.airgap-restore-';

/** One tarball a restore reads: the snapshot's own, or (format 2) an earlier one of its chain. */
export interface TarballSource {
  /** The snapshot whose tarball it is. */
  snapshot: string;
  /** The restored snapshot's own tarball: its folders, symlinks, hard links and new files. */
  own: boolean;
  /** The tarball's files in order: one, or its parts (read as one stream). */
  tarPaths: string[];
  /** The SHA-256 of each file (part), fed as it is read (on `hasher`): of the bytes as stored (a plain tarball's: an encrypted one says notAsWritten instead). */
  hashes?: StreamHash[];
  /** The files (joined) are one age file: decrypted as read; offsets (brokenAt) are in its plaintext. */
  encrypted?: boolean;
  /**
   * Format 3: the files (joined, decrypted) are the tar block-gzipped, inflated as read; offsets
   * (brokenAt) are in the tar. `tarSize`: the tar's size as snapshot.json gives it (more is damage).
   */
  gzip?: { tarSize?: number };
}

export interface ExtractOptions {
  /**
   * The tarballs, oldest first: for format 1 the snapshot's own alone; for format 2 those of its
   * chain that hold something selected. From each, only what the manifest says is there is taken.
   */
  tarballs: TarballSource[];
  /** The restored snapshot's id (format 2: whose tarball holds what the manifest does not place elsewhere). */
  snapshot: string;
  hasher?: Hasher;
  staging: string;
  /** The per-file manifest, by archive path: every regular file is checked against it. */
  manifest: ManifestIndex;
  /** Restrict to these members (undefined: everything). */
  select?: (path: string) => boolean;
  keepSpecialBits: boolean;
  owners: boolean;
  onFile?: (path: string, bytes: number) => void;
  /** Format 2: each tarball of the chain as layout/member-at.ts reads it, for the delta'd files (extract-delta.ts). */
  partsOf?: (snapshot: string) => TarballParts | undefined;
}

export interface Issue {
  path: string;
  reason: string;
}

export interface ExtractReport {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  /** Members whose content did not match the manifest (removed), or that could not be read. */
  damaged: Issue[];
  /** Members refused as unsafe (hostile or corrupt archive). */
  refused: Issue[];
  /** Entries of the target left as they were (promote), and what was therefore not restored. */
  kept: Issue[];
  /** Selected manifest entries that never came out of the archive, each with why. */
  missing: Issue[];
  /** How many regular files the selection asked for (the manifest's count). */
  selectedFiles: number;
  /** Symlinks restored verbatim whose target lies outside the restored tree (never followed). */
  outsideLinks: { path: string; target: string }[];
  /**
   * Archive structure broken at this byte (or, endsEarly, an end-of-archive marker too soon):
   * nothing after it was restored. Format 2: the first tarball of the chain that broke, named by
   * `snapshot` (what the others lost is in `missing`).
   */
  brokenAt?: BrokenAt;
  /** The encrypted tarballs (by snapshot) whose stored bytes are not the ones written (BrokenAt.notAsWritten). */
  notAsWritten?: string[];
}

export interface BrokenAt {
  offset: number;
  message: string;
  endsEarly?: boolean;
  /**
   * An encrypted tarball whose stored bytes are not the ones written: an age chunk or its header
   * failed authentication, the file is cut, a part is missing or unreadable. Known without its
   * SHA-256 (age authenticates every byte), so a restore does not hash an encrypted tarball.
   */
  notAsWritten?: boolean;
  /** Format 2: the snapshot whose tarball it is. */
  snapshot?: string;
}

/** A folder the archive created, with the mode and mtime to apply once everything is in place. */
export interface FolderAttrs {
  path: string;
  mode: number;
  mtime: number;
}
