// verify.html's deep check of a delta'd file (a large file of a format 2 snapshot stored as its
// changed blocks) whose newest blocks are in the snapshot being walked: rebuilt as a restore
// builds it and hashed, as `airgap verify --deep` does (verify/delta-rebuild.ts over
// layout/delta-file.ts readDeltaFile, which reads with node fs and so is not bundled). The same
// steps and words: which member gives each byte (core/block-delta.ts contentRanges, shared), every
// member found by its header alone at its manifest offset and checked to be the exact regular file
// the manifest implies, then the bytes read range by range by tar offset (gzip-tarball.ts TarBytes:
// Blob.slice of a plain tarball, a tarball in parts being one Blob of its parts in order; a format
// 3 tarball inflates only the gzip blocks that hold the range, found by its index).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BLOCK_SIZE, contentRanges, DeltaLinkError, type ContentRange } from '../core/block-delta.js';
import { deltaMemberName, found, shown } from '../layout/delta-names.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { TarBytes } from './gzip-tarball.js';
import { TarStructureError, TarWalk, type Member } from './tar-walk.js';

/**
 * A snapshot's tarball as the page holds it: its tar bytes by offset; `sealed` (encrypted: the
 * page cannot read inside); undefined (not on the drive, a part missing, or a format 3 index unusable).
 */
export type TarballBlob = TarBytes | 'sealed' | undefined;

/** At most this much content is read (and hashed) at once. */
const CHUNK = 1 << 20;
/** Header bytes read at once while looking for a member's header (as delta-file.ts). */
const HEADER_READ = 4096;
/** A member's headers fit in this (as delta-file.ts). */
const MAX_HEADER_BYTES = 4 << 20;

/** As delta-file.ts DeltaFileError: the tarball does not hold, at an offset, what the line needs there. */
class DeltaFileError extends Error {}

/**
 * Why the file does not check out (the CLI reports it as member-damaged with this message);
 * undefined when it is rebuilt whole and matches its line's size and SHA-256; 'cannot' when a
 * tarball it needs is encrypted (the page cannot read it: UNCHECKED, never OK). `onStart` is told
 * of bytes the rebuild is about to read (the progress bar's total grows by them), `onBytes` of each read.
 */
export async function rebuildProblem(
  e: ManifestEntry, self: string, tarballOf: (id: string) => TarballBlob,
  onStart: (bytes: number) => void, onBytes: (n: number) => void,
): Promise<{ message: string } | 'cannot' | undefined> {
  // Header reads are counted as they happen (both in the total and read); the content once every header checks out.
  const ids = [...new Set([e.in ?? self, ...(e.delta ?? []).map((l) => l.in ?? self)])];
  if (ids.some((id) => tarballOf(id) === 'sealed')) return 'cannot';
  const hash = sha256.create();
  let size = 0;
  try {
    await readDeltaFile(e, self, (id) => {
      const t = tarballOf(id);
      if (t === undefined || t === 'sealed') throw new DeltaFileError(`the tarball of snapshot ${id} cannot be read at an offset (missing, or its snapshot.json or its index is unusable)`);
      return t;
    }, (n) => { onStart(n); onBytes(n); }, onStart, (chunk) => {
      hash.update(chunk);
      size += chunk.length;
      onBytes(chunk.length);
    });
  } catch (err) {
    if (err instanceof DeltaFileError || err instanceof TarStructureError) return { message: `its changed blocks cannot be laid over its copy in snapshot ${e.in}: ${err.message}` };
    return { message: `cannot be rebuilt from its chain: ${(err as Error).message}` };
  }
  if (size !== e.size || bytesToHex(hash.digest()) !== e.sha256) return { message: `rebuilt from its copy in snapshot ${e.in} and its changed blocks, its content does not match its SHA-256` };
  return undefined;
}

/** A member whose body gives bytes of the file (a range's `at` is counted from bodyStart). */
interface Source {
  id: string;
  tb: TarBytes;
  memberAt: number;
  bodyStart: number;
}

/** delta-file.ts readDeltaFile, on TarBytes: every header checked before any content is handed out. */
async function readDeltaFile(
  entry: ManifestEntry, self: string, tarballOf: (id: string) => TarBytes, onHeaderBytes: (n: number) => void,
  onStart: (bytes: number) => void, onData: (chunk: Uint8Array) => void,
): Promise<void> {
  if (entry.type !== 'file' || entry.offset === undefined) throw new Error(`${entry.path} is not a file line with an offset`);
  const links = entry.delta ?? [];
  const baseId = entry.in ?? self;
  let ranges: ContentRange[];
  try {
    ranges = contentRanges(links, entry.size);
  } catch (e) {
    if (!(e instanceof DeltaLinkError)) throw e;
    throw new DeltaFileError(`the manifest's delta links of ${shown(entry.path)} (base at ${where(baseId, entry.offset)}) do not fit together: ${e.message}`);
  }
  const baseTb = tarballOf(baseId);
  const base = await header(baseTb, baseId, entry.offset, onHeaderBytes);
  const b = base.member;
  if (b.type !== 'File' || b.path !== entry.path) {
    throw new DeltaFileError(`${where(baseId, entry.offset)}: expected the regular file ${shown(entry.path)}, found ${found(b)}`);
  }
  const needed = links.length === 0 ? entry.size : ranges.reduce((most, r) => (r.link < 0 ? Math.max(most, r.end) : most), 0);
  if (links.length === 0 ? b.size !== entry.size : b.size < needed) {
    throw new DeltaFileError(`${where(baseId, entry.offset)}: expected ${shown(entry.path)} of ${links.length === 0 ? '' : 'at least '}${needed} bytes, found one of ${b.size} bytes`);
  }
  const sources: Source[][] = [];
  for (const link of links) {
    const id = link.in ?? self;
    const tb = tarballOf(id);
    const here: Source[] = [];
    let at = link.offset;
    for (const m of link.members) {
      const h = await header(tb, id, at, onHeaderBytes);
      const name = deltaMemberName(id, link.n, m.first);
      const want = Math.min(m.count * BLOCK_SIZE, link.size - m.first * BLOCK_SIZE);
      if (h.member.type !== 'File' || h.member.path !== name) {
        throw new DeltaFileError(`${where(id, at)}: expected the delta member ${name} of ${shown(entry.path)}, found ${found(h.member)}`);
      }
      if (h.member.size !== want) {
        throw new DeltaFileError(`${where(id, at)}: expected the delta member ${name} of ${shown(entry.path)} to hold ${want} bytes, found ${h.member.size}`);
      }
      here.push({ id, tb, memberAt: at, bodyStart: h.bodyStart });
      at = h.next;
    }
    sources.push(here);
  }
  const baseSource: Source = { id: baseId, tb: baseTb, memberAt: entry.offset, bodyStart: base.bodyStart };
  // Every header checks out: the whole file is read now (the progress bar's total grows by it).
  onStart(entry.size);
  for (const r of ranges) {
    const src = r.link < 0 ? baseSource : sources[r.link]![r.member]!;
    for (let x = r.start; x < r.end;) {
      const n = Math.min(CHUNK, r.end - x);
      const pos = src.bodyStart + r.at + (x - r.start);
      const got = await src.tb.read(pos, n);
      if (got.length < n) {
        throw new DeltaFileError(`${where(src.id, src.memberAt)}: the tarball ends at byte ${pos + got.length}, in the middle of the member's body`);
      }
      onData(got);
      x += n;
    }
  }
}

/** A member's header, damage where a header should be made a DeltaFileError of that tarball (as delta-file.ts header()). */
async function header(tb: TarBytes, id: string, offset: number, onBytes: (n: number) => void): Promise<{ member: Member; bodyStart: number; next: number }> {
  try {
    return await headerAt(tb, offset, onBytes);
  } catch (e) {
    if (!(e instanceof TarStructureError)) throw e;
    throw new DeltaFileError(`${where(id, offset)}: expected a member, found damage (${e.message}, at byte ${e.offset})`);
  }
}

/** The member whose first header is at `offset`, read block by block up to its last header: its body is not read. */
async function headerAt(tb: TarBytes, offset: number, onBytes: (n: number) => void): Promise<{ member: Member; bodyStart: number; next: number }> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % 512 !== 0) throw new TarStructureError(`offset ${offset} is not a multiple of 512`, offset);
  let hit = undefined as { member: Member; bodyStart: number } | undefined; // set by the walk's callback
  const walk = new TarWalk(() => {}, (m, bodyStart) => {
    hit ??= { member: m, bodyStart };
  });
  let fed = 0; // bytes from offset given to the walk, whole blocks only
  try {
    while (!hit) {
      if (fed >= MAX_HEADER_BYTES) throw new TarStructureError(`no member header within ${MAX_HEADER_BYTES} bytes`, fed);
      const buf = await tb.read(offset + fed, HEADER_READ);
      onBytes(buf.length);
      if (buf.length < 512) throw new TarStructureError(fed === 0 ? 'the tarball ends before this offset, or at it' : "the tarball ends in the middle of the member's headers", fed + buf.length);
      for (let at = 0; at + 512 <= buf.length && !hit; at += 512) {
        walk.write(buf.subarray(at, at + 512));
        fed += 512;
        if (walk.ended) throw new TarStructureError('the end-of-archive marker, not a member, is at this offset', fed - 1024);
      }
    }
  } catch (e) {
    if (e instanceof TarStructureError) throw new TarStructureError(e.message, offset + e.offset);
    throw e;
  }
  const { member, bodyStart } = hit;
  // The walk counts from 0: its offsets are made the tarball's.
  const m: Member = { ...member, offset: offset + member.offset };
  const body = m.type === 'Directory' || m.type === 'SymbolicLink' || m.type === 'Link' ? 0 : m.size;
  const start = offset + bodyStart;
  return { member: m, bodyStart: start, next: start + Math.ceil(body / 512) * 512 };
}

const where = (id: string, offset: number) => `byte ${offset} of the tarball of ${id}`;
