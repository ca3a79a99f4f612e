// Which snapshot a restore takes when the user does not name one (issue 17 §1, §4): the newest
// complete snapshot that is not SUSPECT. A snapshot the mass-change gate flagged and nobody
// accepted may hold the encrypted files of a ransomware event: restoring it by default would give
// them back. It is restored only when named by its id. `--snapshot latest` means the same as no
// `--snapshot`; a date (`2026-01-24`) the newest such snapshot of that day (UTC, as the ids are).

export interface RestoreCandidate {
  id: string;
  complete: boolean;
  /** Flagged by the mass-change gate and not accepted (snapshot.json, or this host's catalog). */
  suspect: boolean;
}

export type RestoreChoice =
  | { ok: true; id: string; /** Newer complete snapshots passed over because they are SUSPECT, newest first. */ skipped: string[] }
  | { ok: false; code: 'no-snapshots' | 'only-suspect' | 'unknown-snapshot' | 'no-snapshot-that-day'; message: string; hint: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `snapshots` oldest first (as the drive lists them); `drive` names it in messages. */
export function chooseRestoreSnapshot(snapshots: readonly RestoreCandidate[], wanted: string | undefined, drive: string): RestoreChoice {
  if (wanted !== undefined && wanted !== 'latest' && !DAY.test(wanted)) {
    const found = snapshots.find((s) => s.id === wanted);
    return found
      ? { ok: true, id: found.id, skipped: [] }
      : { ok: false, code: 'unknown-snapshot', message: `drive ${drive} has no snapshot ${wanted}`, hint: `see airgap list ${drive}; --snapshot also takes latest or a day (YYYY-MM-DD)` };
  }
  const day = wanted !== undefined && DAY.test(wanted) ? wanted : undefined;
  const pool = snapshots.filter((s) => s.complete && (day === undefined || s.id.startsWith(`${day}T`)));
  const skipped: string[] = [];
  for (let i = pool.length - 1; i >= 0; i--) {
    const s = pool[i]!;
    if (!s.suspect) return { ok: true, id: s.id, skipped };
    skipped.push(s.id);
  }
  const where = day === undefined ? `drive ${drive}` : `drive ${drive} on ${day}`;
  if (skipped.length) {
    return { ok: false, code: 'only-suspect', message: `${where} holds only SUSPECT snapshots (${skipped.join(', ')}): mass changes that look like ransomware or a broken sync`,
      hint: `check one with airgap diff ${drive}, then restore it by naming it: --snapshot ${skipped[0]}` };
  }
  return day === undefined
    ? { ok: false, code: 'no-snapshots', message: `drive ${drive} holds no complete snapshot`, hint: 'back up to it first, or restore from another drive' }
    : { ok: false, code: 'no-snapshot-that-day', message: `drive ${drive} holds no complete snapshot from ${day} (UTC)`, hint: `see airgap list ${drive}` };
}
