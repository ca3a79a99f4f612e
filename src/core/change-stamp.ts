// A file's change stamp: what tells a later backup, without reading the file, that it is
// unchanged since the backup that hashed it (docs/FORMAT.md, "Which files are read"): its
// size, mtime and ctime to the nanosecond, device and inode, as the host's file system reports
// them. The scan makes it (snapshot/scan.ts), the gate baseline keeps it (state/baseline.ts).
//
//   <size>:<mtime s>.<mtime ns, 9 digits>:<ctime s>.<ctime ns, 9 digits>:<dev>:<ino>
//   e.g. 5:1700000000.000000042:1700000123.987654321:2049:1311842
//
// Decimal integers without leading zeros; seconds are negative before 1970 (the nanoseconds
// then count up from the second below: -1.5 s is -2.500000000, as in a timespec); dev and ino
// are exact, even above 2^53. A stamp is only ever compared for equality, never taken apart:
// one string, so that what it holds can grow with a new baseline version, not a new comparison.

export const CHANGE_STAMP = /^(0|[1-9]\d*):(0|-?[1-9]\d*)\.\d{9}:(0|-?[1-9]\d*)\.\d{9}:(0|[1-9]\d*):(0|[1-9]\d*)$/;

const pad9 = (ns: number): string => String(ns).padStart(9, '0');

export function changeStamp(size: number, mtimeS: number, mtimeNs: number, ctimeS: number, ctimeNs: number, dev: string, ino: string): string {
  return `${size}:${mtimeS}.${pad9(mtimeNs)}:${ctimeS}.${pad9(ctimeNs)}:${dev}:${ino}`;
}

const TWO_32 = 2 ** 32;

/** The decimal digits of the unsigned 64-bit number hi·2^32 + lo (exact: BigInt above 2^53). */
export function u64Decimal(hi: number, lo: number): string {
  return hi < 2 ** 21 ? String(hi * TWO_32 + lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * A file changed this shortly before its backup started is read again next time, whatever its
 * stamp says (git's "racily clean" entries): a file system with coarse timestamps (FAT keeps
 * mtime to 2 s; Linux before 6.13 stamped changes from a clock that ticks every few ms) can take
 * a second change within the same tick, after the file was read, and leave the stamp as it was.
 */
export const RACY_SECONDS = 3;

/**
 * Whether a stamp taken by a scan that started at `scanStartedMs` (the real clock) may vouch for
 * the content read after it: its mtime and ctime are both older than RACY_SECONDS before that.
 * (The one place a stamp is taken apart.)
 */
export function stampVouches(stamp: string, scanStartedMs: number, racySeconds = RACY_SECONDS): boolean {
  if (!CHANGE_STAMP.test(stamp)) return false;
  const [, mtime, ctime] = stamp.split(':').map(Number) as [number, number, number]; // s.nnnnnnnnn as a number: µs-exact enough here
  return Math.max(mtime, ctime) < scanStartedMs / 1000 - racySeconds;
}
