// Compares two listings of the same tree (the last good backup and now) walking both once in
// archive order, keeping only the changes in memory, and judges whether the change looks like
// ransomware or a mangling sync rather than ordinary work. Pure: file samples come from a
// callback, so the same analysis serves the backup gate, `airgap diff` and the tests.
import { compareArchivePaths } from './archive-order.js';
import { plural } from './plural.js';

export interface ListingEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  size: number;
  mtime: number;
  sha256?: string;
  /** Shannon entropy (bits/byte) of a sample of the content, when known. */
  entropy?: number;
  /** The change stamp the host recorded (core/change-stamp.ts), when known: not used by the analysis. */
  stamp?: string;
}

export interface ChangeReport {
  oldFiles: number;
  newFiles: number;
  added: number;
  deleted: number;
  modified: number;
  renamed: number;
  bytes: { added: number; deleted: number; modified: number };
  /** Modified files whose new content looks encrypted where the old one did not. */
  encrypted: number;
  /** Modified files whose content could be sampled. */
  sampled: number;
  newExtensions: { ext: string; files: number }[];
  ransomNotes: { name: string; folders: number }[];
  topFolders: { folder: string; changes: number }[];
  examples: { added: string[]; deleted: string[]; modified: string[]; encrypted: string[] };
}

export interface GatePolicy {
  /** Trip when more than this share of the old files changed (modified or deleted) ... */
  changedShare: number;
  /** ... and more than this share of the sampled modified files look newly encrypted. */
  encryptedShare: number;
  /** Trip when more than this share of the old files disappeared. */
  deletedShare: number;
  /** A new extension on at least this many files at once, together with ransom notes, trips too. */
  newExtensionFiles: number;
  /** Trees with fewer files than this are too small to judge. */
  minFiles: number;
}

export const DEFAULT_GATE: GatePolicy = { changedShare: 0.3, encryptedShare: 0.5, deletedShare: 0.5, newExtensionFiles: 20, minFiles: 20 };

/** Bits per byte above which a sample looks encrypted (or compressed). */
export const HIGH_ENTROPY = 7.5;
const EXAMPLES = 10;
/** Extensions whose content is compressed by nature: high entropy says nothing about them. */
const COMPRESSED = new Set(['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'mp3', 'mp4', 'm4a', 'mov', 'mkv', 'avi', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'pdf', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'epub', 'jar', 'apk', 'dmg', 'iso', 'woff', 'woff2', 'ogg', 'flac', 'aac', 'raw', 'cr2', 'nef', 'arw', 'dng']);

export const extensionOf = (path: string) => {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};
const folderOf = (path: string, depth = 2) => path.split('/').slice(0, -1).slice(0, depth).join('/') || '.';
const isFile = (e: ListingEntry) => e.type === 'file' || e.type === 'hardlink';

/**
 * How much of a file the gate's entropy estimate reads: 4 KiB estimate entropy well enough
 * (random data measures ≥ 7.9 bits/byte) at a quarter of the cost. The backup samples each
 * stored file as it archives it, the gate samples the baseline's files alike: one size for both.
 */
export const ENTROPY_SAMPLE = 4 * 1024;

/** Reused by every call: entropyOf runs once per stored file. */
const counts = new Uint32Array(256);

export function entropyOf(sample: Uint8Array): number {
  const n = sample.length;
  if (n === 0) return 0;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[sample[i]!]!++;
  // H = -Σ p·log2 p with p = c/n, rewritten as log2 n - Σ c·log2 c / n: one log per byte value.
  let sum = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c > 1) sum += c * Math.log2(c);
  }
  return Math.max(0, Math.log2(n) - sum / n);
}

/** Walks both listings once, in archive order, side by side: each file is only old, only new, or both. */
export async function compareListings(
  old: AsyncIterable<ListingEntry>,
  cur: AsyncIterable<ListingEntry>,
  sample: (e: ListingEntry) => Promise<number | undefined>,
): Promise<ChangeReport> {
  const tally = new ChangeTally(sample);
  const oi = old[Symbol.asyncIterator]();
  const ci = cur[Symbol.asyncIterator]();
  let o = await nextFile(oi);
  let c = await nextFile(ci);
  while (o || c) {
    const cmp = !o ? 1 : !c ? -1 : compareArchivePaths(o.path, c.path);
    if (cmp < 0) {
      tally.deleted(o!);
      o = await nextFile(oi);
    } else if (cmp > 0) {
      tally.added(c!);
      c = await nextFile(ci);
    } else {
      tally.both(o!);
      // Only a modified file is awaited (it may need sampling): most files are unchanged.
      if (isModified(o!, c!)) await tally.modified(o!, c!);
      o = await nextFile(oi);
      c = await nextFile(ci);
    }
  }
  return tally.finish();
}

/** Changed content: by hash when both listings have one, else by size and modification time. */
const isModified = (o: ListingEntry, c: ListingEntry) =>
  o.sha256 && c.sha256 ? o.sha256 !== c.sha256 : o.size !== c.size || o.mtime !== c.mtime;

/** Whether the old content looked plain: by its sampled entropy, else by the kind its extension names. */
const wasPlain = (o: ListingEntry) =>
  o.entropy !== undefined ? o.entropy < HIGH_ENTROPY - 0.5 : !COMPRESSED.has(extensionOf(o.path));

const example = (list: string[], p: string) => list.length < EXAMPLES && list.push(p);

/** How many files vanished (or appeared) under one rename key, and their size. */
type KeyCounts = Map<string, { n: number; size: number }>;
const bump = (m: KeyCounts, k: string, size: number) => m.set(k, { n: (m.get(k)?.n ?? 0) + 1, size });

/**
 * What the walk has seen so far: the report's counts, plus what its last steps need (rename
 * keys, extensions, small new files) — only the changes, never the whole listings.
 */
class ChangeTally {
  private readonly r: ChangeReport = {
    oldFiles: 0, newFiles: 0, added: 0, deleted: 0, modified: 0, renamed: 0, bytes: { added: 0, deleted: 0, modified: 0 },
    encrypted: 0, sampled: 0, newExtensions: [], ransomNotes: [], topFolders: [], examples: { added: [], deleted: [], modified: [], encrypted: [] },
  };
  private readonly oldExt = new Set<string>();
  private readonly folders = new Map<string, number>();
  // Renames are matched by content hash when both sides have one, else by size, mtime and name
  // (a folder moved as it is): the host baseline has hashes, a live scan does not.
  private allHashed = true;
  private readonly addedKeys: KeyCounts = new Map();
  private readonly deletedKeys: KeyCounts = new Map();
  private readonly addedStrong: KeyCounts = new Map();
  private readonly deletedStrong: KeyCounts = new Map();
  private readonly addedExt = new Map<string, number>();
  private readonly smallNew = new Map<string, { folders: Set<string>; sample: ListingEntry }>(); // name|size → folders

  constructor(private readonly sample: (e: ListingEntry) => Promise<number | undefined>) {}

  /** A file only in the old listing. */
  deleted(o: ListingEntry): void {
    const r = this.r;
    r.oldFiles++;
    this.oldExt.add(extensionOf(o.path));
    r.deleted++;
    r.bytes.deleted += o.size;
    example(r.examples.deleted, o.path);
    this.count(this.deletedKeys, this.deletedStrong, o);
    this.touch(o.path);
  }

  /** A file only in the new listing. */
  added(c: ListingEntry): void {
    const r = this.r;
    r.newFiles++;
    r.added++;
    r.bytes.added += c.size;
    example(r.examples.added, c.path);
    this.count(this.addedKeys, this.addedStrong, c);
    const ext = extensionOf(c.path);
    this.addedExt.set(ext, (this.addedExt.get(ext) ?? 0) + 1);
    if (c.size <= 64 * 1024) {
      const k = `${path2name(c.path)}|${c.size}`;
      const g = this.smallNew.get(k) ?? { folders: new Set<string>(), sample: c };
      g.folders.add(folderOf(c.path, 99));
      this.smallNew.set(k, g);
    }
    this.touch(c.path);
  }

  /** A file in both listings. */
  both(o: ListingEntry): void {
    this.r.oldFiles++;
    this.r.newFiles++;
    this.oldExt.add(extensionOf(o.path));
  }

  /** A file in both listings whose content changed: does it now look encrypted where it did not? */
  async modified(o: ListingEntry, c: ListingEntry): Promise<void> {
    const r = this.r;
    r.modified++;
    r.bytes.modified += c.size;
    example(r.examples.modified, c.path);
    this.touch(c.path);
    const now = c.entropy ?? (await this.sample(c));
    if (now === undefined) return;
    r.sampled++;
    if (now >= HIGH_ENTROPY && wasPlain(o)) {
      r.encrypted++;
      example(r.examples.encrypted, c.path);
    }
  }

  /** The report, once both listings are walked to their end. */
  async finish(): Promise<ChangeReport> {
    const r = this.r;
    this.matchRenames();
    r.newExtensions = [...this.addedExt].filter(([ext]) => ext && !this.oldExt.has(ext)).map(([ext, files]) => ({ ext, files })).sort((a, b) => b.files - a.files).slice(0, 5);
    r.ransomNotes = await this.ransomNotes();
    r.topFolders = [...this.folders].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([folder, changes]) => ({ folder, changes }));
    return r;
  }

  /** Renames: a file that vanished under one path and appeared under another with the same content. */
  private matchRenames(): void {
    const r = this.r;
    const [adds, dels] = this.allHashed ? [this.addedStrong, this.deletedStrong] : [this.addedKeys, this.deletedKeys];
    for (const [k, a] of adds) {
      const m = Math.min(a.n, dels.get(k)?.n ?? 0);
      r.renamed += m;
      r.bytes.added -= m * a.size;
      r.bytes.deleted -= m * a.size;
    }
    r.added -= r.renamed;
    r.deleted -= r.renamed;
  }

  /**
   * A ransom note: the same small file dropped in many folders, and readable text (encrypted
   * copies of ordinary files also share names across folders, but look random).
   */
  private async ransomNotes(): Promise<ChangeReport['ransomNotes']> {
    const notes: ChangeReport['ransomNotes'] = [];
    for (const [k, g] of this.smallNew) {
      if (g.folders.size < 5) continue;
      const h = g.sample.entropy ?? (await this.sample(g.sample));
      if (h === undefined || h < 6.5) notes.push({ name: k.split('|')[0]!, folders: g.folders.size });
    }
    return notes.sort((a, b) => b.folders - a.folders).slice(0, 5);
  }

  /** Counts a file that vanished or appeared under its rename keys. */
  private count(byKey: KeyCounts, byHash: KeyCounts, e: ListingEntry): void {
    bump(byKey, `${e.size}:${e.mtime}:${path2name(e.path)}`, e.size);
    if (e.sha256) bump(byHash, e.sha256, e.size);
    else this.allHashed = false;
  }

  private touch(path: string): void {
    this.folders.set(folderOf(path), (this.folders.get(folderOf(path)) ?? 0) + 1);
  }
}

const path2name = (p: string) => p.slice(p.lastIndexOf('/') + 1);

async function nextFile(it: AsyncIterator<ListingEntry>): Promise<ListingEntry | undefined> {
  for (;;) {
    const n = await it.next();
    if (n.done) return undefined;
    if (isFile(n.value)) return n.value;
  }
}

export interface GateVerdict {
  trip: boolean;
  reasons: string[];
}

export function judgeChanges(r: ChangeReport, p: GatePolicy): GateVerdict {
  const reasons: string[] = [];
  if (r.oldFiles < p.minFiles) return { trip: false, reasons: [`only ${plural(r.oldFiles, 'file')} before: too few to judge`] };
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const changedShare = (r.modified + r.deleted) / r.oldFiles;
  const encShare = r.sampled ? r.encrypted / r.sampled : 0;
  const deletedShare = r.deleted / r.oldFiles;
  if (changedShare > p.changedShare && encShare > p.encryptedShare) {
    reasons.push(`${pct(changedShare)} of the files changed or disappeared and ${pct(encShare)} of the changed ones now look encrypted (${r.encrypted} of ${r.sampled} sampled)`);
  }
  if (deletedShare > p.deletedShare) reasons.push(`${pct(deletedShare)} of the files disappeared (${r.deleted} of ${r.oldFiles})`);
  const ext = r.newExtensions[0];
  if (ext && ext.files >= p.newExtensionFiles && r.ransomNotes.length) {
    reasons.push(`${ext.files} files appeared with a new extension ".${ext.ext}" and an identical note "${r.ransomNotes[0]!.name}" appeared in ${r.ransomNotes[0]!.folders} folders`);
  }
  return { trip: reasons.length > 0, reasons };
}
