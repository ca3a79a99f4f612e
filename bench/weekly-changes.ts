// What changes in a weekly set between two snapshots: about 1 % of its bytes, from a seed per set
// and week, so every run makes the same changes.
//   S: 0.6 % of the files rewritten (new size, same kind), 0.3 % added, 0.2 % deleted;
//   M: the same among its small files (Documents/, Projects/), plus a new photo (2–6 MB, scaled
//      down below scale 1) and an in-place edit of 2 MiB (× scale) inside the 50 MB mailbox;
//   L: an in-place edit of 5 MiB (× scale) inside one of the 8 files (it has no small files to
//      modify, add or delete: one more or one fewer 64 MiB file would be 12.5 % of the set).
// In-place edits overwrite a 4 KiB-aligned region and keep the file's size, as a mail client or a
// VM rewriting blocks does.
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deriveSeed, Mulberry32 } from '../test/helpers/prng.js';
import { Writer } from './datasets.js';
import { isTextName, MiB, smallFile, textBytes, textFile, writeAll, type WeeklyKey } from './weekly-data.js';

export interface WeekChange {
  week: number;
  modified: number;
  added: number;
  deleted: number;
  /** Bytes overwritten in place inside one big file. */
  inPlaceBytes: number;
  /** Bytes of new content written: rewritten and added files, and the in-place region. */
  bytesWritten: number;
  /** Content bytes of files deleted. */
  bytesDeleted: number;
}

/** The regular files under `dir`, in sorted order (so the seeded choices are repeatable). */
function listFiles(dir: string, out: string[] = []): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** `k` distinct items of `items`, chosen by `rng` (a partial Fisher–Yates shuffle of a copy). */
function sample<T>(rng: Mulberry32, items: readonly T[], k: number): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = rng.int(i, a.length - 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

/** Rewrites, adds and deletes small files among `candidates`: 0.6 %, 0.3 % and 0.2 % of them. */
function churnSmallFiles(w: Writer, candidates: string[], week: number, change: WeekChange): void {
  const n = candidates.length;
  const picked = sample(w.rng, candidates, Math.max(1, Math.round(0.006 * n)) + Math.max(1, Math.round(0.002 * n)));
  const nModify = Math.max(1, Math.round(0.006 * n));
  for (const path of picked.slice(0, nModify)) {
    const size = w.rng.logInt(200, 16 * 1024);
    if (isTextName(path)) textFile(w, path, size);
    else w.file(path, size);
    change.modified++;
  }
  for (const path of picked.slice(nModify)) {
    change.bytesDeleted += statSync(path).size;
    rmSync(path);
    change.deleted++;
  }
  const nAdd = Math.max(1, Math.round(0.003 * n));
  for (let i = 0; i < nAdd; i++) {
    smallFile(w, dirname(w.rng.pick(candidates)), `added-w${week}-${String(i).padStart(3, '0')}`, w.rng.float() < 0.5);
    change.added++;
  }
}

/** Overwrites `length` bytes (4 KiB-aligned, the size kept) at a seeded offset inside `path`. */
function editInPlace(w: Writer, path: string, length: number, text: boolean): number {
  const size = statSync(path).size;
  const n = Math.min(length, size);
  const offset = Math.floor(w.rng.int(0, size - n) / 4096) * 4096;
  const fd = openSync(path, 'r+');
  try {
    for (let done = 0; done < n; ) {
      const piece = Math.min(MiB, n - done);
      writeAll(fd, text ? textBytes(w.rng, piece) : w.rng.bytes(piece), offset + done);
      done += piece;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** A few MiB at scale 1, 64 KiB at the least, whole 4 KiB blocks. */
function editLength(mib: number, scale: number): number {
  return Math.max(64 * 1024, Math.round((mib * MiB * scale) / 4096) * 4096);
}

/** Applies week `week`'s change (1–4) to the set at `root`. */
export function applyWeek(key: WeeklyKey, root: string, seed: number, scale: number, week: number): WeekChange {
  const w = new Writer(new Mulberry32(deriveSeed(seed, `weekly-${key}-week-${week}`)));
  const change: WeekChange = { week, modified: 0, added: 0, deleted: 0, inPlaceBytes: 0, bytesWritten: 0, bytesDeleted: 0 };
  if (key === 'S') churnSmallFiles(w, listFiles(root), week, change);
  else if (key === 'M') {
    churnSmallFiles(w, [...listFiles(join(root, 'Documents')), ...listFiles(join(root, 'Projects'))], week, change);
    const camera = join(root, 'Pictures', '2026');
    mkdirSync(camera, { recursive: true });
    w.file(join(camera, `IMG_W${week}.jpg`), Math.round(w.rng.int(2e6, 6e6) * Math.min(1, scale)));
    change.added++;
    change.inPlaceBytes = editInPlace(w, join(root, 'Mail', 'inbox.mbox'), editLength(2, scale), true);
  } else {
    change.inPlaceBytes = editInPlace(w, join(root, `disk-${w.rng.int(1, 8)}.img`), editLength(5, scale), false);
  }
  change.bytesWritten = w.stats.bytes + change.inPlaceBytes;
  return change;
}
