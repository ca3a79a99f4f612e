// What the archive code (archive.ts, stream-large.ts, large-delta.ts) writes tar bytes into: a
// HashedWriter for formats 1 and 2 (the `.tar` as stored), or for format 3 a GzipTarOut
// (gzip-tar-out.ts) that block-gzips them into the HashedWriter. Either way `written` counts TAR
// bytes, which is what MANIFEST.tsv's member offsets and the delta offsets are in.
export interface TarOut {
  /** The active buffer: large-file reads land in it directly (buffer[pos..], then commit). */
  readonly buffer: Buffer;
  /** Bytes filled in the active buffer. */
  pos: number;
  /** Tar bytes handed over so far. */
  written: number;
  /** Free bytes left in the active buffer. */
  readonly room: number;
  write(data: Buffer | string): Promise<void>;
  /** Copies data if it fits whole (no await); false otherwise. */
  put(data: Buffer): boolean;
  putRange(src: Buffer, start: number, end: number): boolean;
  commit(n: number): void;
  writeZeros(n: number): Promise<void>;
  flush(): Promise<void>;
  /**
   * The bytes written so far end a tar member (its pax header, header, data and padding): format
   * 3 may cut a gzip block there (io/gzip-blocks.ts). Absent on a plain `.tar`, which has no use for it.
   */
  memberEnd?(): void;
}
