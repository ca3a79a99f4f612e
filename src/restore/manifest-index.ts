// The snapshot's manifest, held for a restore: looked up by path for every member extracted.
// Kept as columns (the path strings, a type code, the size, the SHA-256 as 32 bytes) rather than
// one object per line: measured at 400,000 files, the objects with their hex hashes took about
// 250 bytes per file; this about 50 plus the path. A v2 manifest (format 2) adds where each
// member's content is: the snapshot whose tarball holds it (2 bytes, an index into the few ids
// of its chain) and the member's offset there (8 bytes).
import type { ManifestEntry, ManifestVersion, MemberType } from '../layout/manifest.js';
import { ManifestReader } from '../layout/manifest-reader.js';

const TYPES: MemberType[] = ['file', 'dir', 'symlink', 'hardlink'];
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** Index 0 of the `in` column: this snapshot's own tarball. */
const OWN = 0;

export class ManifestIndex {
  private readonly rows = new Map<string, number>();
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
    if (this.rows.has(e.path)) return;
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
    this.paths.push(e.path);
    this.rows.set(e.path, i);
    this.types[i >> CHUNK_BITS]![i & MASK] = TYPES.indexOf(e.type);
    this.sizes[i >> CHUNK_BITS]![i & MASK] = e.size;
    // The manifest parser guarantees a hash exactly for files and hard links.
    if (e.sha256) this.hashes[i >> CHUNK_BITS]!.write(e.sha256, (i & MASK) * 32, 32, 'hex');
    if (e.link !== undefined) this.links.set(i, e.link);
    if (this.located) {
      if (e.in !== undefined) this.ins[i >> CHUNK_BITS]![i & MASK] = this.idOf(e.in);
      if (e.offset !== undefined) this.offsets[i >> CHUNK_BITS]![i & MASK] = e.offset;
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
    return this.rows.get(path) ?? -1;
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
}
