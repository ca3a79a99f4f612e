// The snapshot's manifest, held for a restore: looked up by path for every member extracted.
// Kept as columns (the path strings, a type code, the size, the SHA-256 as 32 bytes) rather than
// one object per line: measured at 400,000 files, the objects with their hex hashes took about
// 250 bytes per file; this about 50 plus the path.
import type { ManifestEntry, MemberType } from '../layout/manifest.js';
import { ManifestReader } from '../layout/manifest-reader.js';

const TYPES: MemberType[] = ['file', 'dir', 'symlink', 'hardlink'];
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

export class ManifestIndex {
  private readonly rows = new Map<string, number>();
  private readonly paths: string[] = [];
  private readonly types: Uint8Array[] = [];
  private readonly sizes: Float64Array[] = [];
  /** SHA-256 digests, 32 bytes per row (zeros where there is none). */
  private readonly hashes: Buffer[] = [];
  private readonly links = new Map<number, string>();

  static async load(path: string): Promise<ManifestIndex> {
    const index = new ManifestIndex();
    const reader = new ManifestReader(path);
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
    if ((i & MASK) === 0) {
      this.types.push(new Uint8Array(CHUNK));
      this.sizes.push(new Float64Array(CHUNK));
      this.hashes.push(Buffer.alloc(CHUNK * 32));
    }
    this.paths.push(e.path);
    this.rows.set(e.path, i);
    this.types[i >> CHUNK_BITS]![i & MASK] = TYPES.indexOf(e.type);
    this.sizes[i >> CHUNK_BITS]![i & MASK] = e.size;
    // The manifest parser guarantees a hash exactly for files and hard links.
    if (e.sha256) this.hashes[i >> CHUNK_BITS]!.write(e.sha256, (i & MASK) * 32, 32, 'hex');
    if (e.link !== undefined) this.links.set(i, e.link);
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
}
