// The tar reader of verify.html's deep mode: a push parser over the tarball's bytes as the browser
// reads them (ustar headers, pax extended headers: what airgap writes, docs/FORMAT.md), reporting
// each member with its offset and the SHA-256 of its body. The CLI's reader (layout/tar-reader.ts)
// decodes headers with node-tar's Header, which does not bundle for the browser; so the header is
// decoded here, the pax records by the CLI's own parser (layout/pax.ts), and test/e2e/
// verify-html-deep.test.ts compares this reader's verdicts with `airgap verify --deep` on the same
// damaged drives. Structural damage stops the walk with the byte offset, as the CLI's does.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { parsePax, type PaxFields } from '../layout/pax.js';

export interface Member {
  /** Byte offset of the member's first header (its pax header, if any), the parts as one stream. */
  offset: number;
  /** node-tar's type names, as the CLI's findings use them: File, Directory, SymbolicLink, Link, … */
  type: string;
  path: string;
  linkpath?: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** SHA-256 of the body, for a file. */
  sha256?: string;
}

export class TarStructureError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const TYPES: Record<string, string> = {
  '0': 'File', '\0': 'OldFile', '1': 'Link', '2': 'SymbolicLink', '3': 'CharacterDevice', '4': 'BlockDevice',
  '5': 'Directory', '6': 'FIFO', '7': 'ContiguousFile', g: 'GlobalExtendedHeader', x: 'ExtendedHeader',
  L: 'NextFileHasLongPath', K: 'NextFileHasLongLinkpath', A: 'SolarisACL', D: 'GNUDumpDir', V: 'Unsupported',
};

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A NUL-terminated text field. */
function text(b: Uint8Array, at: number, len: number): string {
  const f = b.subarray(at, at + len);
  const nul = f.indexOf(0);
  return utf8.decode(nul < 0 ? f : f.subarray(0, nul));
}

/** A numeric field: octal (space or NUL ended), or base-256 when its first byte's high bit is set (large values). */
function num(b: Uint8Array, at: number, len: number, name: string, headerAt: number): number {
  const f = b.subarray(at, at + len);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) throw new TarStructureError(`damaged header (negative ${name})`, headerAt);
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new TarStructureError(`damaged header (${name} too large)`, headerAt);
    return v;
  }
  const s = String.fromCharCode(...f).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarStructureError(`damaged header (${name} is not a number)`, headerAt);
  return parseInt(s, 8);
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces. */
function checksumOk(b: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  const s = String.fromCharCode(...b.subarray(148, 156)).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return /^[0-7]+$/.test(s) && parseInt(s, 8) === sum;
}

type State = 'header' | 'pax' | 'body' | 'skip' | 'end';

export class TarWalk {
  private state: State = 'header';
  private offset = 0;
  private carry = new Uint8Array(0);
  private need = 512;
  private remaining = 0;
  private pad = 0;
  private pax: PaxFields | undefined;
  private paxAt = -1;
  private paxSize = 0;
  private paxGlobal = false;
  private zeroBlocks = 0;
  private member: Member | undefined;
  private hash: ReturnType<typeof sha256.create> | undefined;
  ended = false;
  trailingGarbageAt = -1;

  /**
   * `onMember`: each member once read whole (its body hashed). `onHeader`: each member as soon as
   * its last header is read, with where its body starts (no sha256 yet): delta-rebuild.ts finds a
   * member by its header alone, never parsing a body to get there. `startAt`: the tar offset of
   * the first byte written (a deep walk that starts again after a damaged gzip block, deep-walk.ts).
   */
  constructor(private readonly onMember: (m: Member) => void, private readonly onHeader?: (m: Member, bodyStart: number) => void, startAt = 0) {
    this.offset = startAt;
  }

  write(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.remaining, chunk.length - pos);
        this.hash?.update(chunk.subarray(pos, pos + n));
        this.remaining -= n;
        pos += n;
        this.offset += n;
        if (this.remaining === 0) {
          this.memberEnd();
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
        // A header block, or a pax header's body: gathered whole across chunks.
        const take = Math.min(this.need - this.carry.length, chunk.length - pos);
        const joined = new Uint8Array(this.carry.length + take);
        joined.set(this.carry);
        joined.set(chunk.subarray(pos, pos + take), this.carry.length);
        this.carry = joined;
        pos += take;
        if (this.carry.length < this.need) break;
        const block = this.carry;
        this.carry = new Uint8Array(0);
        const at = this.offset;
        this.offset += this.need;
        if (this.state === 'header') this.header(block, at);
        else this.paxBody(block, at);
      }
    }
  }

  /** After the last chunk: the archive must have ended with its two zero blocks. */
  end(): void {
    if (this.ended) return;
    if (this.state !== 'header' || this.carry.length > 0) throw new TarStructureError('archive is truncated in the middle of a member', this.offset);
    throw new TarStructureError('archive has no end-of-archive marker (truncated?)', this.offset);
  }

  private header(b: Uint8Array, at: number): void {
    if (b.every((x) => x === 0)) {
      if (this.pax) throw new TarStructureError('pax header is followed by the end of the archive', at);
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) {
        this.ended = true;
        this.state = 'end';
      }
      return;
    }
    if (this.zeroBlocks > 0) throw new TarStructureError('a lone zero block inside the archive', at - 512);
    if (!checksumOk(b)) throw new TarStructureError('header checksum mismatch (damaged header)', at);
    const size = num(b, 124, 12, 'size', at);
    const type = TYPES[String.fromCharCode(b[156]!)] ?? 'Unsupported';
    if (type === 'ExtendedHeader' || type === 'GlobalExtendedHeader') {
      if (size > 1 << 20) throw new TarStructureError(`pax header of ${size} bytes is absurdly large`, at);
      this.need = Math.ceil(size / 512) * 512;
      this.paxAt = at;
      this.paxSize = size;
      this.paxGlobal = type === 'GlobalExtendedHeader';
      this.pax = type === 'ExtendedHeader' ? {} : this.pax; // a global header is read and ignored
      this.state = this.need === 0 ? 'header' : 'pax';
      if (this.need === 0) this.need = 512;
      return;
    }
    const ex = this.pax ?? {};
    const offset = this.paxAt >= 0 && this.pax ? this.paxAt : at;
    this.pax = undefined;
    this.paxAt = -1;
    // ustar: a long path is split into prefix (345, 155) and name.
    const magic = text(b, 257, 6);
    const prefix = magic === 'ustar' ? text(b, 345, 155) : '';
    const name = text(b, 0, 100);
    const headerPath = prefix ? `${prefix}/${name}` : name;
    const path = (ex.path ?? headerPath).replace(/\/+$/, '');
    const bodySize = ex.size ?? size;
    const m: Member = {
      offset, type, path,
      size: type === 'Directory' ? 0 : bodySize,
      mode: num(b, 100, 8, 'mode', at) & 0o7777,
      uid: ex.uid ?? num(b, 108, 8, 'uid', at),
      gid: ex.gid ?? num(b, 116, 8, 'gid', at),
      mtime: ex.mtime ?? num(b, 136, 12, 'mtime', at),
    };
    const linkpath = ex.linkpath ?? text(b, 157, 100);
    if (linkpath) m.linkpath = linkpath;
    this.member = m;
    this.onHeader?.(m, at + 512);
    this.hash = type === 'File' || type === 'OldFile' ? sha256.create() : undefined;
    const body = type === 'Directory' || type === 'SymbolicLink' || type === 'Link' ? 0 : m.size;
    if (body === 0) return this.memberEnd();
    this.remaining = body;
    this.pad = (512 - (body % 512)) % 512;
    this.state = 'body';
  }

  private memberEnd(): void {
    const m = this.member!;
    if (this.hash) m.sha256 = bytesToHex(this.hash.digest());
    this.member = undefined;
    this.hash = undefined;
    this.onMember(m);
  }

  private paxBody(block: Uint8Array, at: number): void {
    this.state = 'header';
    this.need = 512;
    if (this.paxGlobal) return;
    try {
      this.pax = parsePax(block.subarray(0, this.paxSize));
    } catch (e) {
      throw new TarStructureError((e as Error).message, at);
    }
  }
}
