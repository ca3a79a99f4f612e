// The snapshot's manifest, held for a restore: looked up by path for every member extracted.
// Kept as columns (the path strings, a type code, the size, the SHA-256 as 32 bytes) rather than
// one object per line: measured at 400,000 files, the objects with their hex hashes took about
// 250 bytes per file; this about 50 plus the path. A v2 manifest (format 2) adds where each
// member's content is: the snapshot whose tarball holds it (2 bytes, an index into the few ids
// of its chain) and the member's offset there (8 bytes).
import type { DeltaLink, ManifestEntry, ManifestVersion, MemberType } from '../layout/manifest.js';

/** A delta'd file's line (format 2, fields 13 on): its blocks' links, and the header it is restored with. */
export interface DeltaRow {
  links: DeltaLink[];
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}
import { ManifestReader } from '../layout/manifest-reader.js';

const TYPES: MemberType[] = ['file', 'dir', 'symlink', 'hardlink'];
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** Index 0 of the `in` column: this snapshot's own tarball. */
const OWN = 0;

/**
 * A copy of a string that holds nothing else alive. A field split off a manifest line is a V8
 * "sliced string": a view that keeps the whole line (~130 bytes) alive as long as the field is.
 * Measured at 400,000 files: the index's paths kept 50 MB of lines. A round trip through UTF-8
 * is exact here (the line was decoded from UTF-8: no lone surrogates) and makes a flat string.
 */
const ownString = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

export class ManifestIndex {
  private readonly rows = new RowTable((i) => this.paths[i]!);
  private readonly paths: string[] = [];
  private readonly types: Uint8Array[] = [];
  private readonly sizes: Float64Array[] = [];
  /** SHA-256 digests, 32 bytes per row (zeros where there is none). */
  private readonly hashes: Buffer[] = [];
  private readonly links = new Map<number, string>();
  /** v2 only: the `in` column (OWN, or 1 + an index into `ids`) and the offsets. */
  private readonly ins: Uint16Array[] = [];
  private readonly offsets: Float64Array[] = [];
  private readonly ids: string[] = [];
  private readonly idIndex = new Map<string, number>();
  /** The delta'd files (16 MiB and more, changed in place: few). */
  private readonly deltas = new Map<number, DeltaRow>();
  /** Whether the lines carry where their content is (a v2 manifest: every line does). */
  private located = false;

  /** `versions`: the manifest versions the snapshot may hold (its snapshot.json's format). */
  static async load(path: string, versions: readonly ManifestVersion[] = [1]): Promise<ManifestIndex> {
    const index = new ManifestIndex();
    const reader = new ManifestReader(path, versions);
    for (let e = await reader.next(); e; e = await reader.next()) index.add(e);
    return index;
  }

  get length(): number {
    return this.paths.length;
  }

  /**
   * The first line for a path is the one kept: a restore creates the first member of a path and
   * refuses any later one, and verify --deep compares the n-th member with the n-th line, so
   * the first line is what describes the member restored. (A sound manifest lists a path once.)
   */
  add(e: ManifestEntry): void {
    if (this.rows.find(e.path) >= 0) return;
    const i = this.paths.length;
    if (i === 0) this.located = e.offset !== undefined;
    if ((i & MASK) === 0) {
      this.types.push(new Uint8Array(CHUNK));
      this.sizes.push(new Float64Array(CHUNK));
      this.hashes.push(Buffer.alloc(CHUNK * 32));
      if (this.located) {
        this.ins.push(new Uint16Array(CHUNK));
        this.offsets.push(new Float64Array(CHUNK).fill(Number.NaN));
      }
    }
    const path = ownString(e.path);
    this.paths.push(path);
    this.rows.insert(path, i);
    this.types[i >> CHUNK_BITS]![i & MASK] = TYPES.indexOf(e.type);
    this.sizes[i >> CHUNK_BITS]![i & MASK] = e.size;
    // The manifest parser guarantees a hash exactly for files and hard links.
    if (e.sha256) this.hashes[i >> CHUNK_BITS]!.write(e.sha256, (i & MASK) * 32, 32, 'hex');
    if (e.link !== undefined) this.links.set(i, ownString(e.link));
    if (this.located) {
      if (e.in !== undefined) this.ins[i >> CHUNK_BITS]![i & MASK] = this.idOf(e.in);
      if (e.offset !== undefined) this.offsets[i >> CHUNK_BITS]![i & MASK] = e.offset;
      if (e.delta?.length) {
        this.deltas.set(i, { links: e.delta, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
        for (const l of e.delta) if (l.in !== undefined) this.idOf(l.in);
      }
    }
  }

  private idOf(id: string): number {
    let k = this.idIndex.get(id);
    if (k === undefined) {
      // A sound manifest names only the snapshots of its chain (a dozen or so).
      if (this.ids.length >= 0xfffe) throw new Error('the manifest names more than 65,534 other snapshots');
      k = this.ids.push(id);
      this.idIndex.set(id, k);
    }
    return k;
  }

  /** The row of this path, or -1. */
  find(path: string): number {
    return this.rows.find(path);
  }

  path(i: number): string {
    return this.paths[i]!;
  }

  type(i: number): MemberType {
    return TYPES[this.types[i >> CHUNK_BITS]![i & MASK]!]!;
  }

  size(i: number): number {
    return this.sizes[i >> CHUNK_BITS]![i & MASK]!;
  }

  sha256(i: number): string | undefined {
    const t = this.type(i);
    return t === 'file' || t === 'hardlink' ? this.hashes[i >> CHUNK_BITS]!.toString('hex', (i & MASK) * 32, (i & MASK) * 32 + 32) : undefined;
  }

  link(i: number): string | undefined {
    return this.links.get(i);
  }

  /** Whether the manifest says where each member's content is (v2). */
  get hasLocations(): boolean {
    return this.located;
  }

  /** v2: the snapshot whose tarball holds this member's content; undefined for this snapshot (and for a v1 manifest). */
  in(i: number): string | undefined {
    if (!this.located) return undefined;
    const k = this.ins[i >> CHUNK_BITS]![i & MASK]!;
    return k === OWN ? undefined : this.ids[k - 1];
  }

  /** v2: the byte offset of the member's first header in that tarball; undefined for a v1 manifest. */
  offset(i: number): number | undefined {
    if (!this.located) return undefined;
    const o = this.offsets[i >> CHUNK_BITS]![i & MASK]!;
    return Number.isNaN(o) ? undefined : o;
  }

  /** v2: the other snapshots whose tarballs this manifest names, in the order first named. */
  otherSnapshots(): readonly string[] {
    return this.ids;
  }

  /** v2: the links whose blocks are laid over this file's base copy (`in`/`offset`), if it is delta'd. */
  delta(i: number): DeltaRow | undefined {
    return this.deltas.size ? this.deltas.get(i) : undefined;
  }

  /** v2: the rows of the delta'd files, in manifest order. */
  deltaRows(): number[] {
    return [...this.deltas.keys()];
  }
}

/**
 * Path → row, as an open-addressing hash table of row numbers (linear probing, at most half
 * full): 4 to 8 bytes a path, where a Map<string, number> took ~37 (its buckets, and twice that
 * while it rebuilt itself larger) — 15 MB at 400,000 files. The paths themselves stay in the
 * index; a slot only names a row, compared by its path.
 */
class RowTable {
  private slots = new Int32Array(1 << 12).fill(-1);
  private count = 0;

  constructor(private readonly pathOf: (row: number) => string) {}

  /** The row of this path, or -1. */
  find(path: string): number {
    const mask = this.slots.length - 1;
    for (let s = hash(path) & mask; ; s = (s + 1) & mask) {
      const row = this.slots[s]!;
      if (row < 0 || this.pathOf(row) === path) return row;
    }
  }

  /** Adds a row whose path is not in the table yet. */
  insert(path: string, row: number): void {
    if (++this.count * 2 > this.slots.length) this.grow();
    this.place(this.slots, path, row);
  }

  private place(slots: Int32Array, path: string, row: number): void {
    const mask = slots.length - 1;
    let s = hash(path) & mask;
    while (slots[s]! >= 0) s = (s + 1) & mask;
    slots[s] = row;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    for (const row of old) if (row >= 0) this.place(this.slots, this.pathOf(row), row);
  }
}

/** FNV-1a over the UTF-16 code units, mixed at the end so that the low bits spread. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
