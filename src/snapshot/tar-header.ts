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

export function encodeHeader(m: TarMember): Buffer {
  const path = m.type === 'Directory' ? `${m.path}/` : m.path;
  const data = {
    path,
    type: m.type,
    mode: m.mode,
    uid: m.uid,
    gid: m.gid,
    size: m.type === 'File' ? m.size : 0,
    mtime: new Date(m.mtime * 1000),
    linkpath: m.linkpath,
  };
  const header = new Header(data);
  const needPax = header.encode();
  const block = header.block!;
  if (!needPax) return block;
  const pax = new Pax(data).encode();
  return Buffer.concat([pax, block]);
}

export const padding = (size: number) => (512 - (size % 512)) % 512;

/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(1024);
