// "Verify a drive that was away before changing it": a drive that lives offsite, or that this
// host has not seen for a week, may have been dropped, swapped or tampered with on its way.
// Its snapshots are checked before a backup prunes or adds anything on it, so that damage is
// found while the other drives still hold good copies.

export const DAYS_AWAY = 7;

export interface AwayInput {
  role?: 'home' | 'offsite';
  /** When this host last saw the drive (ISO), before this run. */
  lastSeenAt?: string;
  /** Complete snapshots on the drive: an empty drive has nothing to check. */
  snapshots: number;
  now: Date;
}

export function mustVerifyBeforeWrite(d: AwayInput): boolean {
  if (d.snapshots === 0) return false;
  if (d.role === 'offsite' || !d.lastSeenAt) return true;
  return d.now.getTime() - Date.parse(d.lastSeenAt) > DAYS_AWAY * 86_400_000;
}
