// Which files an incremental snapshot (format 2, docs/FORMAT.md "Which files are read") takes
// from its chain instead of storing them again, and which it must read to know. Pure: the caller
// gives the scan's facts about one file, what the base snapshot's manifest says of that path,
// and what the host recorded when it last hashed it.
//
// The base manifest alone is not enough to skip reading a file: it keeps mtime in whole seconds,
// so an edit of the same size within the same second would look unchanged. The host's record
// (the gate baseline) holds the change stamp (size, mtime and ctime in nanoseconds, inode and
// device), which no ordinary write leaves as it was; and its hash must be the base's, so that
// the content the stamp vouches for is the content the chain holds.

/** What the scan found at a path (a regular file). */
export interface CarryScan {
  size: number;
  /** Whole seconds, as the tar header stores it. */
  mtime: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  /** The scan's change stamp (snapshot/scan.ts). */
  stamp: string;
}

/** The base manifest's line for that path, when it is a regular file there. */
export interface CarryBase {
  size: number;
  mtime: number;
  mode: number;
  uid: number;
  gid: number;
  sha256: string;
}

/** The host's record of the file from the last backup that hashed it (the gate baseline). */
export interface CarryHost {
  stamp?: string;
  sha256: string;
}

export type CarryAction =
  /** Not in the base as it is now: read it and store it. */
  | { action: 'store' }
  /** Unchanged by every sign: its manifest line points at the chain's copy; not read. */
  | { action: 'carry' }
  /**
   * The base has it with the same header, but the host cannot vouch that the content is the
   * same (no record, another stamp, or `--reread`): read it; carry it when its hash is the
   * base's, store it otherwise. `silent`: every sign said unchanged (only --reread or the
   * policy made it read), so a different hash is silent corruption of the source.
   */
  | { action: 'check'; silent: boolean };

export function carryAction(scan: CarryScan, base: CarryBase | undefined, host: CarryHost | undefined, reread: boolean): CarryAction {
  // A hard-link group is stored whole: its first name must be in the same tarball as the links
  // that name it, or a stock `tar -x` of the increment would link to a file it does not hold.
  if (!base || scan.nlink > 1) return { action: 'store' };
  // The tar header of the chain's copy gives the restored file its mode, owner and time.
  const sameHeader = scan.size === base.size && scan.mtime === base.mtime && scan.mode === base.mode
    && scan.uid === base.uid && scan.gid === base.gid;
  if (!sameHeader) return { action: 'store' };
  const vouched = host !== undefined && host.stamp !== undefined && host.stamp === scan.stamp && host.sha256 === base.sha256;
  if (vouched && !reread) return { action: 'carry' };
  return { action: 'check', silent: vouched };
}
