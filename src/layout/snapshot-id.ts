// Snapshot ids are the UTC date-time of the backup: sortable as text, valid file names on
// FAT/exFAT/NTFS (no ':'), e.g. 2026-11-21T093000Z. A second backup in the same second gets
// a numeric suffix (2026-11-21T093000Z-2), which still sorts after the first.

export const SNAPSHOT_ID_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-([2-9]|[1-9]\d{1,3}))?$/;

export function snapshotIdFor(now: Date, sequence = 1): string {
  const iso = now.toISOString(); // 2026-11-21T09:30:00.123Z
  const base = `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return sequence > 1 ? `${base}-${sequence}` : base;
}

export function isSnapshotId(name: string): boolean {
  return parseSnapshotId(name) !== undefined;
}

/** The moment a snapshot id names, or undefined when it is not a valid id. */
export function parseSnapshotId(name: string): { date: Date; sequence: number } | undefined {
  const m = SNAPSHOT_ID_RE.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, seq] = m;
  const date = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
  // Reject ids like 2026-02-31 that Date would silently roll over.
  if (snapshotIdFor(date) !== `${y}-${mo}-${d}T${h}${mi}${s}Z`) return undefined;
  return { date, sequence: seq ? Number(seq) : 1 };
}

/** Chronological order; equal to text order for valid ids except for the numeric suffix. */
export function compareSnapshotIds(a: string, b: string): number {
  const pa = parseSnapshotId(a);
  const pb = parseSnapshotId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return pa.date.getTime() - pb.date.getTime() || pa.sequence - pb.sequence;
}
