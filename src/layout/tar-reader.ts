// A push parser for the tar stream: feed it chunks, it reports each member's header and body
// slices (without copying) and where the archive ends. Headers are decoded by node-tar's
// Header (which checks the header checksum); pax records by our own parser. Any structural
// problem stops the reader with the byte offset where it was found.
import { Header } from 'tar';
import { parsePax, type PaxFields } from './pax.js';

export interface TarEntry {
  /** Byte offset of the member's first header (its pax header, if any). */
  offset: number;
  type: string; // node-tar type name: File, Directory, SymbolicLink, Link, ...
  path: string; // without a trailing slash
  linkpath?: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export interface TarReaderEvents {
  entry(e: TarEntry): void;
  data(chunk: Buffer): void;
  entryEnd(): void;
}

export class TarFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

type State = 'header' | 'body' | 'pax' | 'skip' | 'end';

export class TarReader {
  private state: State = 'header';
  private offset = 0; // bytes consumed so far
  private carry: Buffer[] = [];
  private carryLen = 0;
  private remaining = 0; // body bytes left in the current member
  private pad = 0; // padding bytes after the body
  private pax: PaxFields | undefined;
  private paxOffset = -1;
  private paxLen = 0;
  private zeroBlocks = 0;
  /** Set once the two zero blocks were seen. */
  ended = false;
  /** Where the end-of-archive marker starts, once seen (a restore compares it with the file's size). */
  endAt = -1;
  /** Non-zero bytes found after the end marker. */
  trailingGarbageAt = -1;
  entries = 0;

  constructor(private readonly on: TarReaderEvents) {}

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.remaining, chunk.length - pos);
        if (n > 0) this.on.data(chunk.subarray(pos, pos + n));
        this.remaining -= n;
        pos += n;
        this.offset += n;
        if (this.remaining === 0) {
          this.on.entryEnd();
          this.state = this.pad > 0 ? 'skip' : 'header';
          this.remaining = this.pad;
        }
      } else if (this.state === 'skip') {
        const n = Math.min(this.remaining, chunk.length - pos);
        this.remaining -= n;
        pos += n;
        this.offset += n;
        if (this.remaining === 0) this.state = 'header';
      } else if (this.state === 'end') {
        const rest = chunk.subarray(pos);
        const nz = rest.findIndex((b) => b !== 0);
        if (nz >= 0 && this.trailingGarbageAt < 0) this.trailingGarbageAt = this.offset + nz;
        this.offset += rest.length;
        pos = chunk.length;
      } else {
        // header or pax body: gather whole blocks
        const need = this.state === 'header' ? 512 : this.paxLen;
        const take = Math.min(need - this.carryLen, chunk.length - pos);
        const piece = chunk.subarray(pos, pos + take);
        this.carryLen += take;
        pos += take;
        if (this.carryLen < need) {
          // Kept across chunks: copy, since the caller may reuse its buffer for the next read.
          this.carry.push(Buffer.from(piece));
          break;
        }
        this.carry.push(piece);
        const block = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry);
        this.carry = [];
        this.carryLen = 0;
        const at = this.offset;
        this.offset += need;
        if (this.state === 'header') this.header(block, at);
        else this.paxBody(block, at);
      }
    }
  }

  /** Call after the last chunk: the archive must have ended cleanly. */
  end(): void {
    if (this.ended) return;
    if (this.state === 'body' || this.state === 'skip' || this.carryLen > 0 || this.state === 'pax') {
      throw new TarFormatError('archive is truncated in the middle of a member', this.offset);
    }
    throw new TarFormatError('archive has no end-of-archive marker (truncated?)', this.offset);
  }

  private header(block: Buffer, at: number): void {
    if (block.every((b) => b === 0)) {
      if (this.pax) throw new TarFormatError('pax header is followed by the end of the archive', at);
      this.zeroBlocks++;
      if (this.zeroBlocks === 1) this.endAt = at;
      if (this.zeroBlocks === 2) {
        this.ended = true;
        this.state = 'end';
      }
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError('a lone zero block inside the archive', at - 512);
    let h: Header;
    try {
      h = new Header(block);
    } catch (e) {
      // node-tar throws on some damaged numeric fields before it checks the checksum.
      throw new TarFormatError(`damaged header (${(e as Error).message})`, at);
    }
    if (!h.cksumValid) throw new TarFormatError('header checksum mismatch (damaged header)', at);
    const size = h.size ?? 0;
    const type = h.type;
    if (type === 'ExtendedHeader' || type === 'GlobalExtendedHeader') {
      if (size > 1 << 20) throw new TarFormatError(`pax header of ${size} bytes is absurdly large`, at);
      this.paxLen = Math.ceil(size / 512) * 512;
      this.paxOffset = at;
      this.state = 'pax';
      this.pax = type === 'ExtendedHeader' ? {} : this.pax; // global headers are read and ignored
      this.paxSize = size;
      this.paxGlobal = type === 'GlobalExtendedHeader';
      if (this.paxLen === 0) this.state = 'header';
      return;
    }
    const ex = this.pax ?? {};
    const memberOffset = this.paxOffset >= 0 && this.pax ? this.paxOffset : at;
    this.pax = undefined;
    this.paxOffset = -1;
    const path = (ex.path ?? h.path ?? '').replace(/\/+$/, '');
    const bodySize = ex.size ?? size;
    const entry: TarEntry = {
      offset: memberOffset,
      type,
      path,
      size: type === 'Directory' ? 0 : bodySize,
      mode: (h.mode ?? 0) & 0o7777,
      uid: ex.uid ?? h.uid ?? 0,
      gid: ex.gid ?? h.gid ?? 0,
      mtime: ex.mtime ?? (h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0),
    };
    const linkpath = ex.linkpath ?? h.linkpath;
    if (linkpath) entry.linkpath = linkpath;
    this.entries++;
    this.on.entry(entry);
    const body = type === 'Directory' || type === 'SymbolicLink' || type === 'Link' ? 0 : entry.size;
    if (body === 0) {
      this.on.entryEnd();
      return;
    }
    this.remaining = body;
    this.pad = (512 - (body % 512)) % 512;
    this.state = 'body';
  }

  private paxSize = 0;
  private paxGlobal = false;

  private paxBody(block: Buffer, at: number): void {
    this.state = 'header';
    if (this.paxGlobal) return;
    try {
      this.pax = parsePax(block.subarray(0, this.paxSize));
    } catch (e) {
      throw new TarFormatError((e as Error).message, at);
    }
  }
}

/** Where a member's data starts in a whole tarball held in memory (−1 when absent or empty). */
export function memberDataOffset(tarball: Buffer, member: string): number {
  let inMember = false;
  let found = -1;
  new TarReader({
    entry: (e) => { inMember = e.path === member; },
    // Fed as one buffer, so each data slice's position in it is its offset in the file.
    data: (slice) => { if (inMember && found < 0) found = slice.byteOffset - tarball.byteOffset; },
    entryEnd: () => { inMember = false; },
  }).write(tarball);
  return found;
}
