// Compares two listings of the same tree (the last good backup and now) walking both once in
// archive order, keeping only the changes in memory, and judges whether the change looks like
// ransomware or a mangling sync rather than ordinary work. Pure: file samples come from a
// callback, so the same analysis serves the backup gate, `airgap diff` and the tests.
import { compareArchivePaths } from './archive-order.js';

export interface ListingEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  size: number;
  mtime: number;
  sha256?: string;
  /** Shannon entropy (bits/byte) of a sample of the content, when known. */
  entropy?: number;
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

export async function compareListings(
  old: AsyncIterable<ListingEntry>,
  cur: AsyncIterable<ListingEntry>,
  sample: (e: ListingEntry) => Promise<number | undefined>,
): Promise<ChangeReport> {
  const r: ChangeReport = {
    oldFiles: 0, newFiles: 0, added: 0, deleted: 0, modified: 0, renamed: 0, bytes: { added: 0, deleted: 0, modified: 0 },
    encrypted: 0, sampled: 0, newExtensions: [], ransomNotes: [], topFolders: [], examples: { added: [], deleted: [], modified: [], encrypted: [] },
  };
  const oldExt = new Set<string>();
  const folders = new Map<string, number>();
  const addedKeys = new Map<string, { n: number; size: number }>();
  const deletedKeys = new Map<string, { n: number; size: number }>();
  const addedStrong = new Map<string, { n: number; size: number }>();
  const deletedStrong = new Map<string, { n: number; size: number }>();
  const bump = (m: Map<string, { n: number; size: number }>, k: string, size: number) => m.set(k, { n: (m.get(k)?.n ?? 0) + 1, size });
  const count = (m: Map<string, { n: number; size: number }>, strong: Map<string, { n: number; size: number }>, e: ListingEntry) => {
    bump(m, key(e), e.size);
    if (e.sha256) bump(strong, strongKey(e), e.size);
    else allHashed = false;
  };
  const addedExt = new Map<string, number>();
  const smallNew = new Map<string, { folders: Set<string>; sample: ListingEntry }>(); // name|size → folders
  const touch = (path: string) => folders.set(folderOf(path), (folders.get(folderOf(path)) ?? 0) + 1);
  // Renames are matched by content hash when both sides have one, else by size, mtime and name
  // (a folder moved as it is): the host baseline has hashes, a live scan does not.
  let allHashed = true;
  const key = (e: ListingEntry) => `${e.size}:${e.mtime}:${path2name(e.path)}`;
  const strongKey = (e: ListingEntry) => e.sha256 ?? '';
  const push = (list: string[], p: string) => list.length < EXAMPLES && list.push(p);

  const oi = old[Symbol.asyncIterator]();
  const ci = cur[Symbol.asyncIterator]();
  let o = await nextFile(oi);
  let c = await nextFile(ci);
  while (o || c) {
    const cmp = !o ? 1 : !c ? -1 : compareArchivePaths(o.path, c.path);
    if (cmp < 0) {
      r.oldFiles++;
      oldExt.add(extensionOf(o!.path));
      r.deleted++;
      r.bytes.deleted += o!.size;
      push(r.examples.deleted, o!.path);
      count(deletedKeys, deletedStrong, o!);
      touch(o!.path);
      o = await nextFile(oi);
    } else if (cmp > 0) {
      r.newFiles++;
      r.added++;
      r.bytes.added += c!.size;
      push(r.examples.added, c!.path);
      count(addedKeys, addedStrong, c!);
      const ext = extensionOf(c!.path);
      addedExt.set(ext, (addedExt.get(ext) ?? 0) + 1);
      if (c!.size <= 64 * 1024) {
        const k = `${path2name(c!.path)}|${c!.size}`;
        const g = smallNew.get(k) ?? { folders: new Set<string>(), sample: c! };
        g.folders.add(folderOf(c!.path, 99));
        smallNew.set(k, g);
      }
      touch(c!.path);
      c = await nextFile(ci);
    } else {
      r.oldFiles++;
      r.newFiles++;
      oldExt.add(extensionOf(o!.path));
      const changed = o!.sha256 && c!.sha256 ? o!.sha256 !== c!.sha256 : o!.size !== c!.size || o!.mtime !== c!.mtime;
      if (changed) {
        r.modified++;
        r.bytes.modified += c!.size;
        push(r.examples.modified, c!.path);
        touch(c!.path);
        const now = c!.entropy ?? (await sample(c!));
        if (now !== undefined) {
          r.sampled++;
          const before = o!.entropy;
          const wasPlain = before !== undefined ? before < HIGH_ENTROPY - 0.5 : !COMPRESSED.has(extensionOf(o!.path));
          if (now >= HIGH_ENTROPY && wasPlain) {
            r.encrypted++;
            push(r.examples.encrypted, c!.path);
          }
        }
      }
      o = await nextFile(oi);
      c = await nextFile(ci);
    }
  }
  // Renames: a file that vanished under one path and appeared under another with the same content.
  const [adds, dels] = allHashed ? [addedStrong, deletedStrong] : [addedKeys, deletedKeys];
  for (const [k, a] of adds) {
    const m = Math.min(a.n, dels.get(k)?.n ?? 0);
    r.renamed += m;
    r.bytes.added -= m * a.size;
    r.bytes.deleted -= m * a.size;
  }
  r.added -= r.renamed;
  r.deleted -= r.renamed;
  r.newExtensions = [...addedExt].filter(([ext]) => ext && !oldExt.has(ext)).map(([ext, files]) => ({ ext, files })).sort((a, b) => b.files - a.files).slice(0, 5);
  // A ransom note: the same small file dropped in many folders, and readable text (encrypted
  // copies of ordinary files also share names across folders, but look random).
  for (const [k, g] of smallNew) {
    if (g.folders.size < 5) continue;
    const h = g.sample.entropy ?? (await sample(g.sample));
    if (h === undefined || h < 6.5) r.ransomNotes.push({ name: k.split('|')[0]!, folders: g.folders.size });
  }
  r.ransomNotes = r.ransomNotes.sort((a, b) => b.folders - a.folders).slice(0, 5);
  r.topFolders = [...folders].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([folder, changes]) => ({ folder, changes }));
  return r;
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
  if (r.oldFiles < p.minFiles) return { trip: false, reasons: [`only ${r.oldFiles} files before: too few to judge`] };
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
