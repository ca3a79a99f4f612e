// The benchmark's data sets, generated from a seed (see test/helpers/prng.ts) so every run
// measures the same bytes, names and shapes:
//   (a) large: 8 large incompressible files, 1 GiB in all at scale 1;
//   (b) small: 40,000 files of 0.2–16 KB (log-uniform) in 100 folders;
//   (c) mixed: ~5,000 files in deep trees (depth 30), 200-byte names (paths well over 255 bytes,
//       some multibyte UTF-8), empty and few-MB files, and ~240 symlinks (relative, to folders,
//       absolute, dangling).
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { deriveSeed, Mulberry32 } from '../test/helpers/prng.js';

const MiB = 1024 * 1024;

export type DatasetKey = 'a' | 'b' | 'c';

export interface DatasetStats {
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of file content. */
  bytes: number;
}

export interface DatasetSpec {
  key: DatasetKey;
  /** Folder name under the data folder (what tar and airgap store as the top-level folder). */
  name: string;
  description: string;
  generate(root: string, seed: number, scale: number): DatasetStats;
}

export class Writer {
  readonly stats: DatasetStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  private readonly words = new Uint32Array(MiB / 4);
  private readonly chunk = Buffer.from(this.words.buffer);

  constructor(readonly rng: Mulberry32) {}

  dir(path: string): string {
    mkdirSync(path, { recursive: true });
    this.stats.dirs++;
    return path;
  }

  /** A file of `size` PRNG bytes, written in 1 MiB chunks. */
  file(path: string, size: number): string {
    if (size <= MiB) {
      writeFileSync(path, size === 0 ? Buffer.alloc(0) : this.rng.bytes(size));
    } else {
      const fd = openSync(path, 'wx');
      try {
        for (let left = size; left > 0; left -= MiB) {
          this.rng.fill(this.words);
          const n = Math.min(MiB, left);
          let off = 0;
          while (off < n) off += writeSync(fd, this.chunk, off, n - off);
        }
      } finally {
        closeSync(fd);
      }
    }
    this.stats.files++;
    this.stats.bytes += size;
    return path;
  }

  symlink(target: string, path: string): void {
    symlinkSync(target, path);
    this.stats.symlinks++;
  }
}

const ASCII = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'];
const MULTIBYTE = ['é', 'ß', 'ø', 'ü', 'ñ', '日', '本', '語', 'λ'];

/** A name of exactly `bytes` UTF-8 bytes: `prefix`, then ASCII and some multibyte characters, then `suffix`. */
function longName(rng: Mulberry32, bytes: number, prefix: string, suffix = ''): string {
  let name = prefix;
  let n = Buffer.byteLength(prefix);
  const target = bytes - Buffer.byteLength(suffix);
  while (n < target) {
    let ch = rng.float() < 0.12 ? rng.pick(MULTIBYTE) : rng.pick(ASCII);
    if (n + Buffer.byteLength(ch) > target) ch = rng.pick(ASCII);
    name += ch;
    n += Buffer.byteLength(ch);
  }
  return name + suffix;
}

function shortId(rng: Mulberry32, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += rng.pick(ASCII);
  return s;
}

const large: DatasetSpec = {
  key: 'a',
  name: 'large',
  description: '8 large incompressible files',
  generate(root, seed, scale) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'large')));
    w.dir(root);
    const base = Math.max(MiB, Math.round((scale * 1024 * MiB) / 8 / MiB) * MiB);
    for (let i = 1; i <= 8; i++) {
      // Not a whole number of MiB: the tails are not block-aligned either.
      w.file(join(root, `part-${i}.bin`), base + w.rng.int(0, 65535));
    }
    return w.stats;
  },
};

const small: DatasetSpec = {
  key: 'b',
  name: 'small',
  description: '40,000 small files (0.2–16 KB) in 100 folders',
  generate(root, seed) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'small')));
    w.dir(root);
    const ext = ['txt', 'json', 'md', 'dat', 'csv', 'html', 'js', 'xml'];
    for (let d = 0; d < 100; d++) {
      const dir = w.dir(join(root, `folder-${String(d).padStart(3, '0')}`));
      for (let f = 0; f < 400; f++) w.file(join(dir, `file-${String(f).padStart(3, '0')}.${w.rng.pick(ext)}`), w.rng.logInt(200, 16 * 1024));
    }
    return w.stats;
  },
};

const mixed: DatasetSpec = {
  key: 'c',
  name: 'mixed',
  description: '~5,000 files: depth-30 trees, 200-byte names (paths > 255 bytes), symlinks',
  generate(root, seed) {
    const w = new Writer(new Mulberry32(deriveSeed(seed, 'mixed')));
    const rng = w.rng;
    const files: string[] = [];
    const dirs: string[] = [];
    w.dir(root);
    for (const top of ['deep', 'long', 'misc']) w.dir(join(root, top));

    // 40 chains of 30 nested folders, 2 files per level; the deepest file has a 200-byte name.
    for (let c = 0; c < 40; c++) {
      let dir = w.dir(join(root, 'deep', `chain-${String(c).padStart(2, '0')}`));
      for (let level = 1; level <= 30; level++) {
        dir = w.dir(join(dir, `level-${String(level).padStart(2, '0')}-${shortId(rng, 6)}`));
        dirs.push(dir);
        files.push(w.file(join(dir, `notes-${level}.txt`), rng.logInt(1, 64 * 1024)));
        const name = level === 30 ? longName(rng, 200, `deepest-${c}-`, '.dat') : `data ${shortId(rng, 8)}.bin`;
        files.push(w.file(join(dir, name), rng.logInt(1, 64 * 1024)));
        if (level === 15) w.symlink('..', join(dir, 'up'));
      }
    }

    // 10 folders with 200-byte names, 150 files each with 200-byte names: paths of ~400 bytes.
    for (let d = 0; d < 10; d++) {
      const dir = w.dir(join(root, 'long', longName(rng, 200, `${d}-folder-`)));
      dirs.push(dir);
      for (let f = 0; f < 150; f++) files.push(w.file(join(dir, longName(rng, 200, `${String(f).padStart(3, '0')}-`, '.txt')), rng.logInt(1, 32 * 1024)));
    }

    // 20 ordinary folders of 50 files: names with spaces, dots, unicode; one in ten empty.
    for (let d = 0; d < 20; d++) {
      const dir = w.dir(join(root, 'misc', `group ${d} (${shortId(rng, 4)})`));
      dirs.push(dir);
      for (let f = 0; f < 50; f++) {
        const name = `${f}. ${rng.pick(['report', 'Übersicht', 'photo', 'données', 'notes', '.hidden', 'archive.v2'])} ${shortId(rng, 5)}.${rng.pick(['pdf', 'jpg', 'txt', 'tar', 'x'])}`;
        files.push(w.file(join(dir, name), rng.float() < 0.1 ? 0 : rng.logInt(1, 256 * 1024)));
      }
    }
    const big = w.dir(join(root, 'misc', 'big'));
    for (let f = 0; f < 10; f++) files.push(w.file(join(big, `blob-${f}.bin`), rng.int(1 * MiB, 4 * MiB)));

    // 200 symlinks: relative to files and folders, a few absolute, a few dangling.
    const links = w.dir(join(root, 'links'));
    for (let i = 0; i < 200; i++) {
      const at = join(links, `link-${String(i).padStart(3, '0')}`);
      if (i % 50 === 7) w.symlink(`does-not-exist-${i}`, at);
      else if (i % 50 === 13) w.symlink(rng.pick(files), at);
      else if (i % 10 === 3) w.symlink(relative(links, rng.pick(dirs)), at);
      else w.symlink(relative(links, rng.pick(files)), at);
    }
    return w.stats;
  },
};

export const DATASETS: readonly DatasetSpec[] = [large, small, mixed];
