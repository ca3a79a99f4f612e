// The current content of a file of a format 2 (or 3) snapshot, from the drive alone: its base member (the
// line's `in`/`offset`: the file's last whole copy) with the blocks of every `delta` link laid
// over it (docs/FORMAT.md, "Reconstructing a delta'd file"). The one reader restore, `verify
// --deep` and `verify --sample` share. A drive is untrusted: every member read is first found by
// its header alone (no body is parsed to get there), and must be a regular file with the exact
// name and body size the manifest implies; the part files are opened no-follow and regular-only.
import type { FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, contentRanges, DeltaLinkError, type ContentRange } from '../core/block-delta.js';
import { openSealedParts } from '../io/joined-files.js';
import { openRegularFile } from '../io/read-regular.js';
import { readRange } from '../io/gzip-block-reader.js';
import { openGzipTarball, type OpenedGzipTarball } from './tar-gzip.js';
import { deltaMemberName, found, shown } from './delta-names.js';
import type { ManifestEntry } from './manifest.js';
import type { TarballParts } from './member-at.js';
import { TarFormatError, TarReader, type TarEntry } from './tar-reader.js';

export { DELTA_DIR, deltaMemberName, isDeltaMember } from './delta-names.js';

/** At most this much content is read (and handed to onData) at once. */
const CHUNK = 1 << 20;
/** Header bytes read at once while looking for a member's header (ustar: 512; with a pax header: 1536 or so). */
const HEADER_READ = 4096;
/** A member's headers (a global pax header, a pax header of at most 1 MiB each, the ustar block) fit in this. */
const MAX_HEADER_BYTES = 4 << 20;

/**
 * The tarball of `snapshot` does not hold, at `offset`, what the manifest line needs there (or the
 * line's links cannot come from one file's history: then the base's tarball and offset).
 */
export class DeltaFileError extends Error {
  constructor(message: string, readonly snapshot: string, readonly offset: number) {
    super(message);
  }
}

/** A member found by its header: the header's fields, where its body starts, and where the next member's header starts. */
export interface MemberHeader {
  /** Its fields (`offset`: where its first header starts, as given). */
  entry: TarEntry;
  bodyStart: number;
  next: number;
}

/**
 * Reads the member header(s) at `offset` (a pax header and its ustar header, or a ustar header
 * alone) without reading the member's body. Throws TarFormatError when no member starts there.
 */
export async function memberHeaderAt(t: TarballParts, offset: number): Promise<MemberHeader> {
  const tb = new Tarball(t);
  try {
    return await headerAt(tb, offset);
  } finally {
    await tb.close();
  }
}

/**
 * Streams the current content of the file of manifest line `entry` of snapshot `self`: exactly
 * `entry.size` bytes, in order, to `onData` (a slice valid only during the call; awaited when it
 * returns a promise). `partsOf` gives the tarball of a snapshot id; `tick` is called after each
 * chunk read (a watchdog, a progress line). Without `delta` links, this is the base member's
 * body, so a caller may use it for any file line with `offset`.
 *
 * Every member's header is read and checked before any content is handed out: damage to the
 * drive (or a manifest that does not match it) is a DeltaFileError, naming the tarball and the
 * byte where it was found. A part file that cannot be opened (missing, a symlink: io/read-regular
 * NotRegularFileError) throws that error as it is.
 */
export async function readDeltaFile(
  entry: ManifestEntry,
  self: string,
  partsOf: (id: string) => TarballParts,
  onData: (chunk: Buffer) => void | Promise<void>,
  tick?: () => void,
): Promise<void> {
  if (entry.type !== 'file' || entry.offset === undefined) throw new Error(`readDeltaFile: ${entry.path} is not a file line with an offset`);
  const links = entry.delta ?? [];
  const tarballs = new Map<string, Tarball>();
  const tarballOf = (id: string) => {
    let tb = tarballs.get(id);
    if (!tb) tarballs.set(id, (tb = new Tarball(partsOf(id))));
    return tb;
  };
  try {
    // Which member gives each byte (the last link holding its block, else the base), checked to be
    // what a stock restore gets: before any read, a manifest whose links cannot come from one
    // file's history is refused.
    const baseId = entry.in ?? self;
    let ranges: ContentRange[];
    try {
      ranges = contentRanges(links, entry.size);
    } catch (e) {
      if (!(e instanceof DeltaLinkError)) throw e;
      throw new DeltaFileError(`the manifest's delta links of ${shown(entry.path)} (base at ${where(baseId, entry.offset)}) do not fit together: ${e.message}`, baseId, entry.offset);
    }
    // The base member.
    const base = await header(tarballOf(baseId), baseId, entry.offset);
    const { entry: b } = base;
    if (b.type !== 'File' || b.path !== entry.path) {
      throw new DeltaFileError(`${where(baseId, entry.offset)}: expected the regular file ${shown(entry.path)}, found ${found(b)}`, baseId, entry.offset);
    }
    const needed = links.length === 0 ? entry.size : ranges.reduce((most, r) => (r.link < 0 ? Math.max(most, r.end) : most), 0);
    if (links.length === 0 ? b.size !== entry.size : b.size < needed) {
      throw new DeltaFileError(`${where(baseId, entry.offset)}: expected ${shown(entry.path)} of ${links.length === 0 ? '' : 'at least '}${needed} bytes, found one of ${b.size} bytes`, baseId, entry.offset);
    }
    // Every link's members, one after the other from the link's offset, all checked.
    const sources: Source[][] = [];
    for (const link of links) {
      const id = link.in ?? self;
      const tb = tarballOf(id);
      const here: Source[] = [];
      let at = link.offset;
      for (const m of link.members) {
        const h = await header(tb, id, at);
        const name = deltaMemberName(id, link.n, m.first);
        const want = Math.min(m.count * BLOCK_SIZE, link.size - m.first * BLOCK_SIZE);
        if (h.entry.type !== 'File' || h.entry.path !== name) {
          throw new DeltaFileError(`${where(id, at)}: expected the delta member ${name} of ${shown(entry.path)}, found ${found(h.entry)}`, id, at);
        }
        if (h.entry.size !== want) {
          throw new DeltaFileError(`${where(id, at)}: expected the delta member ${name} of ${shown(entry.path)} to hold ${want} bytes, found ${h.entry.size}`, id, at);
        }
        here.push({ id, tb, memberAt: at, bodyStart: h.bodyStart });
        at = h.next;
      }
      sources.push(here);
    }
    const baseSource: Source = { id: baseId, tb: tarballOf(baseId), memberAt: entry.offset, bodyStart: base.bodyStart };
    // Then the bytes, range by range, a chunk at a time.
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(entry.size, 1)));
    for (const r of ranges) {
      const src = r.link < 0 ? baseSource : sources[r.link]![r.member]!;
      for (let x = r.start; x < r.end;) {
        const n = Math.min(buf.length, r.end - x);
        const pos = src.bodyStart + r.at + (x - r.start);
        const got = await src.tb.read(buf, n, pos);
        if (got < n) {
          throw new DeltaFileError(`${where(src.id, src.memberAt)}: the tarball ends at byte ${pos + got}, in the middle of the member's body`, src.id, src.memberAt);
        }
        await onData(buf.subarray(0, n));
        tick?.();
        x += n;
      }
    }
  } finally {
    await Promise.all([...tarballs.values()].map((tb) => tb.close()));
  }
}

/** A member whose body gives bytes of the file (a range's `at` is counted from bodyStart). */
interface Source {
  id: string;
  tb: Tarball;
  memberAt: number;
  bodyStart: number;
}

/** A member's header, its TarFormatError (damage where a header should be) made a DeltaFileError of that tarball. */
async function header(tb: Tarball, id: string, offset: number): Promise<MemberHeader> {
  try {
    return await headerAt(tb, offset);
  } catch (e) {
    if (!(e instanceof TarFormatError)) throw e;
    throw new DeltaFileError(`${where(id, offset)}: expected a member, found damage (${e.message}, at byte ${e.offset})`, id, offset);
  }
}

async function headerAt(tb: Tarball, offset: number): Promise<MemberHeader> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % 512 !== 0) throw new TarFormatError(`offset ${offset} is not a multiple of 512`, offset);
  let entry: TarEntry | undefined;
  const reader = new TarReader({
    entry: (e) => {
      entry ??= { ...e, offset };
    },
    data: () => {},
    entryEnd: () => {},
  });
  const buf = Buffer.allocUnsafe(HEADER_READ);
  let fed = 0; // bytes from offset given to the reader, whole blocks only
  try {
    while (!entry) {
      if (fed >= MAX_HEADER_BYTES) throw new TarFormatError(`no member header within ${MAX_HEADER_BYTES} bytes`, fed);
      const got = await tb.read(buf, HEADER_READ, offset + fed);
      if (got < 512) throw new TarFormatError(fed === 0 ? 'the tarball ends before this offset, or at it' : "the tarball ends in the middle of the member's headers", fed + got);
      // A block at a time: the reader stops at the member's last header, before its body.
      for (let at = 0; at + 512 <= got && !entry; at += 512) {
        reader.write(buf.subarray(at, at + 512));
        fed += 512;
        if (reader.ended) throw new TarFormatError('the end-of-archive marker, not a member, is at this offset', fed - 1024);
      }
    }
  } catch (e) {
    if (e instanceof TarFormatError) throw new TarFormatError(e.message, offset + e.offset);
    throw e;
  }
  const e: TarEntry = entry;
  // The body the reader would skip: none for folders and links, whatever the header says.
  const body = e.type === 'Directory' || e.type === 'SymbolicLink' || e.type === 'Link' ? 0 : e.size;
  const bodyStart = offset + fed;
  return { entry: e, bodyStart, next: bodyStart + Math.ceil(body / 512) * 512 };
}

/**
 * A tarball's parts as one stream, for positional reads. Each part is opened (no-follow, regular
 * only) when first read and kept open for the next reads, up to MAX_OPEN parts (parts may be as
 * small as 1 MiB: a file of a terabyte would otherwise hold a million descriptors); close()
 * closes them all. One read at a time.
 */
class Tarball {
  private readonly handles = new Map<number, Promise<FileHandle>>(); // least recently used first
  /** An encrypted tarball (its parts one age file): its plaintext, read by chunks (crypto/age-seek.ts). */
  private sealed: ReturnType<typeof openSealedParts> | undefined;

  /** A format 3 tarball: its index and stored stream (layout/tar-gzip.ts), opened at the first read. */
  private gzip: Promise<OpenedGzipTarball> | undefined;

  constructor(private readonly t: TarballParts) {
    if (t.files.length === 0 || (!t.encrypted && !t.gzip && t.files.length > 1 && !(t.partSize! > 0))) throw new Error('a tarball of several parts needs their partSize');
  }

  /** Reads up to n bytes at pos into buf; fewer only where the tarball ends (or a part is shorter than partSize). */
  async read(buf: Buffer, n: number, pos: number): Promise<number> {
    if (this.t.gzip) return this.readInflated(buf, n, pos);
    if (this.t.encrypted) return this.readSealed(buf, n, pos);
    let got = 0;
    while (got < n) {
      const ps = this.t.partSize;
      const part = ps ? Math.floor(pos / ps) : 0;
      if (part >= this.t.files.length) break;
      const within = ps ? pos - part * ps : pos;
      // Never past a part's end: a longer part is damage, not more of the stream.
      const room = ps && part < this.t.files.length - 1 ? ps - within : Infinity;
      const { bytesRead } = await (await this.handle(part)).read(buf, got, Math.min(n - got, room), within);
      if (bytesRead === 0) break;
      got += bytesRead;
      pos += bytesRead;
    }
    return got;
  }

  /** Format 3: only the gzip blocks that hold [pos, pos + n) are read and inflated. */
  private async readInflated(buf: Buffer, n: number, pos: number): Promise<number> {
    const t = this.t;
    this.gzip ??= openGzipTarball({ ...t, gzip: t.gzip! });
    const { index, readAt } = await this.gzip;
    const k = Math.max(0, Math.min(n, index.uncompressedSize - pos));
    if (k === 0) return 0;
    (await readRange(index, readAt, pos, pos + k)).copy(buf, 0);
    return k;
  }

  private async readSealed(buf: Buffer, n: number, pos: number): Promise<number> {
    this.sealed ??= openSealedParts(this.t.files);
    const { reader } = await this.sealed;
    const k = Math.max(0, Math.min(n, reader.plaintextSize - pos));
    if (k === 0) return 0;
    (await reader.read(pos, k)).copy(buf, 0);
    return k;
  }

  private async handle(part: number): Promise<FileHandle> {
    let h = this.handles.get(part);
    if (h) this.handles.delete(part);
    else {
      if (this.handles.size >= MAX_OPEN) {
        const [oldest, fh] = this.handles.entries().next().value as [number, Promise<FileHandle>];
        this.handles.delete(oldest);
        await closeQuietly(fh);
      }
      h = openRegularFile(this.t.files[part]!).then((o) => o.fh);
    }
    this.handles.set(part, h);
    return h;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(closeQuietly));
    const sealed = this.sealed;
    this.sealed = undefined;
    await sealed?.then((s) => s.close(), () => {});
    const gzip = this.gzip;
    this.gzip = undefined;
    await gzip?.then((g) => g.close(), () => {});
  }
}

/** At most this many parts of one tarball are kept open. */
const MAX_OPEN = 8;

/** Closes a part, if it opened (its open's error, if any, was thrown to the read that asked for it). */
async function closeQuietly(h: Promise<FileHandle>): Promise<void> {
  const fh = await h.catch(() => undefined);
  await fh?.close();
}

const where = (id: string, offset: number) => `byte ${offset} of the tarball of ${id}`;
