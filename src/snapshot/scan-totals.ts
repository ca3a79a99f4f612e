// Totals of a scan, before anything is written: what a dry run reports, and the size estimate
// the free-space check compares with the drive.
import type { ScanResult } from './scan.js';

export type Counts = { files: number; dirs: number; symlinks: number; hardlinks: number; contentBytes: number };

/** What a dry run reports: the counts the archive would have. */
export function countScan(scan: ScanResult): Counts {
  const c: Counts = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, contentBytes: 0 };
  const seen = new Set<string>();
  for (const e of scan.entries) {
    if (e.kind === 'dir') c.dirs++;
    else if (e.kind === 'symlink') c.symlinks++;
    else if (e.nlink > 1 && seen.has(`${e.dev}:${e.ino}`)) c.hardlinks++;
    else {
      if (e.nlink > 1) seen.add(`${e.dev}:${e.ino}`);
      c.files++;
      c.contentBytes += e.size;
    }
  }
  return c;
}

/**
 * Tar bytes plus manifest lines for the scanned entries, rounded up generously. `carried(i)`: an
 * increment's file whose content stays in the chain (format 2): only its manifest lines count,
 * so that an increment on a drive that could not take a second full copy is not refused.
 */
export function estimateSize(scan: ScanResult, carried?: (i: number) => boolean): number {
  let total = 1024;
  const entries = scan.entries;
  for (let i = 0; i < entries.length; i++) {
    // The three fields it needs, not entries.at(i): that object builds `abs` for every entry.
    const e = { path: entries.path(i), link: entries.link(i), size: entries.size(i) };
    const pathBytes = Buffer.byteLength(e.path) + (e.link ? Buffer.byteLength(e.link) : 0);
    const lines = 2 * (140 + pathBytes);
    if (carried?.(i)) {
      total += lines;
      continue;
    }
    const pax = pathBytes >= 100 || pathBytes !== e.path.length + (e.link?.length ?? 0) || e.size > 0o77777777777 ? 1024 + pathBytes : 0;
    total += 512 + pax + Math.ceil(e.size / 512) * 512 + lines;
  }
  return total;
}
