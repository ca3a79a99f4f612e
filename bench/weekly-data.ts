// The weekly scenario's data sets (issue 16), generated from a seed like datasets.ts, so every
// run measures the same bytes, names and shapes; each scales with BENCH_SCALE:
//   S: 40,000 files of 0.2–16 KB (log-uniform), half text and half random bytes;
//   M: a ~600 MB home folder: 3 videos (random, ~300 MB), a 50 MB mailbox (mbox text), photos
//      (random, 2–6 MB each, ~160 MB), 20,000 small files, and duplicates of some of them;
//   L: 8 files of 64 MiB (random).
// What changes each week is in weekly-changes.ts.
import { closeSync, copyFileSync, openSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { deriveSeed, Mulberry32 } from '../test/helpers/prng.js';
import { Writer, type DatasetStats } from './datasets.js';

export const MiB = 1024 * 1024;

export type WeeklyKey = 'S' | 'M' | 'L';
export const WEEKLY_KEYS: readonly WeeklyKey[] = ['S', 'M', 'L'];

export interface WeeklySet {
  key: WeeklyKey;
  /** Folder name under the data folder: what every tool stores as the top-level folder. */
  name: string;
  description: string;
  generate(root: string, seed: number, scale: number): DatasetStats;
}

// ---------------------------------------------------------------------------------------------
// Text: words from a seeded vocabulary, lines of ~70 characters (ASCII: one byte a character).

const VOCABULARY: string[] = (() => {
  const rng = new Mulberry32(deriveSeed(0x7e47_0001, 'words'));
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const words: string[] = [];
  for (let i = 0; i < 2000; i++) {
    let w = '';
    // Skewed towards common letters, as in prose.
    for (let n = rng.int(2, 10); n > 0; n--) w += letters[Math.floor(rng.float() ** 2 * letters.length)];
    words.push(w);
  }
  return words;
})();

/** `n` bytes of text-like content. */
export function textBytes(rng: Mulberry32, n: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  let line = 0;
  while (length < n) {
    let word = VOCABULARY[Math.floor(rng.float() ** 1.5 * VOCABULARY.length)]!;
    if (line + word.length > 70) {
      word = `\n${word}`;
      line = 0;
    } else if (length > 0) word = ` ${word}`;
    parts.push(word);
    length += word.length;
    line += word.length;
  }
  return Buffer.from(parts.join('').slice(0, n), 'latin1');
}

const TEXT_EXT = ['txt', 'md', 'csv', 'html', 'json', 'eml'];
const BINARY_EXT = ['bin', 'dat', 'png', 'pdf', 'zip', 'odt'];
const TEXT_EXT_SET = new Set(TEXT_EXT);

/** Whether the scenario wrote this file as text (by its extension): edits keep the kind. */
export function isTextName(name: string): boolean {
  return TEXT_EXT_SET.has(name.slice(name.lastIndexOf('.') + 1));
}

/** A small file of 0.2–16 KB (log-uniform), text or random by `text`; returns its path. */
export function smallFile(w: Writer, dir: string, stem: string, text: boolean): string {
  const size = w.rng.logInt(200, 16 * 1024);
  const path = join(dir, `${stem}.${w.rng.pick(text ? TEXT_EXT : BINARY_EXT)}`);
  if (text) textFile(w, path, size);
  else w.file(path, size);
  return path;
}

export function textFile(w: Writer, path: string, size: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let left = size; left > 0; left -= MiB) writeAll(fd, textBytes(w.rng, Math.min(MiB, left)));
  } finally {
    closeSync(fd);
  }
  w.stats.files++;
  w.stats.bytes += size;
}

export function writeAll(fd: number, data: Buffer, position?: number): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, position === undefined ? null : position + off);
}

/** `count` small files, `perFolder` to a folder named `<prefix>-NNN`, every other one text. */
function smallTree(w: Writer, root: string, prefix: string, count: number, perFolder: number, text: (i: number) => boolean): string[] {
  const paths: string[] = [];
  let dir = root;
  for (let i = 0; i < count; i++) {
    if (i % perFolder === 0) dir = w.dir(join(root, `${prefix}-${String(i / perFolder).padStart(3, '0')}`));
    paths.push(smallFile(w, dir, `file-${String(i % perFolder).padStart(3, '0')}`, text(i)));
  }
  return paths;
}

/** An mbox file of about `size` bytes (at least that, ending at a message boundary). */
function mailbox(w: Writer, path: string, size: number): void {
  const rng = w.rng;
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (let n = 1; written < size; n++) {
      const day = 1 + (n % 28);
      const head = `From sender${rng.int(1, 300)}@example.org Sat Mar ${String(day).padStart(2, ' ')} 09:${String(n % 60).padStart(2, '0')}:00 2026\nFrom: Sender <sender@example.org>\nTo: me@example.org\nSubject: message ${n}\nMessage-ID: <${n}.${rng.next()}@example.org>\n\n`;
      const body = Buffer.concat([Buffer.from(head, 'latin1'), textBytes(rng, rng.logInt(400, 60_000)), Buffer.from('\n\n')]);
      writeAll(fd, body);
      written += body.length;
    }
  } finally {
    closeSync(fd);
  }
  w.stats.files++;
  w.stats.bytes += written;
}

/** A copy of `from` at `to`, counted as a file of the set. */
function duplicate(w: Writer, from: string, to: string): void {
  copyFileSync(from, to);
  w.stats.files++;
  w.stats.bytes += statSync(to).size;
}

// ---------------------------------------------------------------------------------------------

const small: WeeklySet = {
  key: 'S',
  name: 'weekly-S',
  description: '40,000 files of 0.2–16 KB, half text, half random',
  generate(root, seed, scale) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'weekly-S')));
    w.dir(root);
    smallTree(w, root, 'folder', Math.max(100, Math.round(40_000 * scale)), 400, (i) => i % 2 === 0);
    return w.stats;
  },
};

const home: WeeklySet = {
  key: 'M',
  name: 'weekly-M',
  description: 'a ~600 MB home folder: videos, a 50 MB mailbox, photos, 20,000 small files, duplicates',
  generate(root, seed, scale) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'weekly-M')));
    const rng = w.rng;
    w.dir(root);
    const videos = w.dir(join(root, 'Videos'));
    for (const [i, mb] of [90, 110, 100].entries()) w.file(join(videos, `holiday-${i + 1}.mp4`), Math.round(mb * 1e6 * scale) + rng.int(0, 65535));
    mailbox(w, join(w.dir(join(root, 'Mail')), 'inbox.mbox'), Math.round(50e6 * scale));
    const photos: string[] = [];
    const nPhotos = Math.max(2, Math.round(40 * scale));
    for (let i = 0; i < nPhotos; i++) {
      const dir = join(root, 'Pictures', String(2020 + (i % 6)));
      if (i < 6) w.dir(dir);
      photos.push(w.file(join(dir, `IMG_${String(1000 + i)}.jpg`), rng.int(2e6, 6e6)));
    }
    const n = Math.max(100, Math.round(20_000 * scale));
    const docs = smallTree(w, w.dir(join(root, 'Documents')), 'folder', Math.ceil(n / 2), 200, () => true);
    smallTree(w, w.dir(join(root, 'Projects')), 'project', Math.floor(n / 2), 200, (i) => i % 2 === 0);
    // Duplicates: two photos shared into another folder, one small document in twenty copied.
    const shared = w.dir(join(root, 'Pictures', 'Shared'));
    for (const p of photos.slice(0, 2)) duplicate(w, p, join(shared, `copy of ${basename(p)}`));
    const old = w.dir(join(root, 'Documents', 'Old copy'));
    docs.forEach((p, i) => {
      if (i % 20 === 0) duplicate(w, p, join(old, `${i}-${basename(p)}`));
    });
    return w.stats;
  },
};

const large: WeeklySet = {
  key: 'L',
  name: 'weekly-L',
  description: '8 files of 64 MiB, random',
  generate(root, seed, scale) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'weekly-L')));
    w.dir(root);
    const size = Math.max(MiB, Math.round((64 * scale * MiB) / 4096) * 4096);
    for (let i = 1; i <= 8; i++) w.file(join(root, `disk-${i}.img`), size);
    return w.stats;
  },
};

export const WEEKLY_SETS: readonly WeeklySet[] = [small, home, large];
