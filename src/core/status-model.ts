// What `airgap status` reports, as data: each drive's state and where it should be, the newest
// copies across drives, and the alerts. The status job fills it; ui/render-plan.ts words it.
import { snapshotDate } from './calendar.js';
import type { SuspectMark } from './prune-gate.js';

export interface StatusDrive {
  name: string;
  role?: string;
  location?: string;
  inRotation: boolean;
  /** Taken out of the rotation by airgap retire (still this config's drive). */
  retired?: boolean;
  connected: boolean;
  /** Where the plan wants it now. */
  shouldBe: string;
  lastWritten?: string;
  lastVerified?: string;
  lastVerifyOk?: boolean;
  lastSeen?: string;
  /** The last `airgap drill` (or, with none since, the last good drill: a clean restore), and whether it passed. */
  lastDrill?: string;
  lastDrillOk?: boolean;
  snapshots: number;
  newest?: string;
  free?: number;
  /** Its SUSPECT snapshots (core/prune-gate suspectMark): the question open, or rejected as evidence. Never counted in `copies`. */
  suspect?: { id: string; mark: SuspectMark }[];
}

export interface StatusView {
  today: string;
  drives: StatusDrive[];
  /** Newest snapshot dates and the drives holding one of that date (SUSPECT snapshots left out: no good copies). */
  copies: { date: string; drives: string[] }[];
  alerts: string[];
  next: string;
}

/** Distinct snapshot dates, newest first, with the drives holding one of each. */
export function copiesByDate(drives: { name: string; snapshots: string[] }[], limit = 5): { date: string; drives: string[] }[] {
  const by = new Map<string, Set<string>>();
  for (const d of drives) for (const id of d.snapshots) {
    const date = snapshotDate(id);
    by.set(date, (by.get(date) ?? new Set()).add(d.name));
  }
  return [...by.entries()].sort((a, b) => b[0].localeCompare(a[0])).slice(0, limit).map(([date, s]) => ({ date, drives: [...s].sort() }));
}

/** An airgap run holding a drive's lock right now (a live holder: a stale lock is none). */
export interface RunInProgress {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/**
 * What an interrupted backup or prune left on a drive, and that it is harmless; or, while a live
 * run holds the drive (`run`), that the folder is that run's work: calling it "unfinished" or
 * "removed by the next backup" then would send the user to unplug a drive mid-write.
 */
export function leftoverNote(drive: string, leftovers: string[], run?: RunInProgress): string {
  if (run) return `drive ${drive}: a ${run.command} is in progress (pid ${run.pid} on ${run.host}, since ${run.startedAt}): ${leftovers.join(', ')} ${leftovers.length === 1 ? 'is' : 'are'} its work, not a snapshot yet; leave ${drive} connected until it is done`;
  return `drive ${drive} holds ${leftovers.length === 1 ? 'an unfinished backup or prune' : `${leftovers.length} unfinished backups or prunes`} left by an interrupted run (${leftovers.join(', ')}): not a snapshot; the next backup on ${drive} removes it`;
}
