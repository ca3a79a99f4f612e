// The header encoder fills node-tar's Header field by field and can encode into a reused
// buffer: it must give exactly the bytes node-tar gives from a data object, pax header included,
// whatever the buffer held before.
import { Header, Pax } from 'tar';
import { describe, expect, it } from 'vitest';
import { encodeHeader, encodeHeaderInto, type TarMember } from '../../src/layout/tar-header.js';

/** node-tar's own way: new Header(data) (and new Pax(data) when needed). */
function reference(m: TarMember): Buffer {
  const data = {
    path: m.type === 'Directory' ? `${m.path}/` : m.path, type: m.type, mode: m.mode, uid: m.uid, gid: m.gid,
    size: m.type === 'File' ? m.size : 0, mtime: new Date(m.mtime * 1000), linkpath: m.linkpath,
  };
  const h = new Header(data);
  return h.encode() ? Buffer.concat([new Pax(data).encode(), h.block!]) : h.block!;
}

const base = { mode: 0o644, uid: 1000, gid: 1000, mtime: 1_763_780_000, size: 0 };
const members: TarMember[] = [
  { ...base, path: 'root/a.txt', type: 'File', size: 1234 },
  { ...base, path: 'root/dir', type: 'Directory', mode: 0o755 },
  { ...base, path: 'root/link', type: 'SymbolicLink', linkpath: '../target' },
  { ...base, path: 'root/hard', type: 'Link', linkpath: 'root/a.txt' },
  { ...base, path: `root/${'x'.repeat(99)}`, type: 'File', size: 1 }, // ustar name field exactly full
  { ...base, path: `root/${'d'.repeat(120)}/${'f'.repeat(90)}`, type: 'File', size: 7 }, // prefix + name
  { ...base, path: `root/${'y'.repeat(300)}`, type: 'File', size: 7 }, // pax path
  { ...base, path: 'root/ünïcødé €.txt', type: 'File', size: 3 }, // pax (non-ASCII)
  { ...base, path: 'root/big', type: 'File', size: 8 * 1024 ** 3 + 1 }, // pax size
  { ...base, path: 'root/ids', type: 'File', uid: 5_000_000, gid: 3, size: 1 }, // uid beyond 7 octal digits
  { ...base, path: 'root/l2', type: 'SymbolicLink', linkpath: `/${'t'.repeat(150)}` }, // pax linkpath
  { ...base, path: 'root/old', type: 'File', mtime: 0, mode: 0o4755 },
];

describe('tar headers', () => {
  it.each(members.map((m) => [m.path.slice(0, 40), m] as const))('%s: encodeHeader gives node-tar\'s bytes', (_, m) => {
    expect(encodeHeader(m).equals(reference(m))).toBe(true);
  });

  it.each(members.map((m) => [m.path.slice(0, 40), m] as const))('%s: encodeHeaderInto a dirty buffer gives the same bytes', (_, m) => {
    const buf = Buffer.alloc(4096, 0xa5); // what a reused slot may hold
    const n = encodeHeaderInto(m, buf, 100);
    const want = reference(m);
    expect(n).toBe(want.length);
    expect(buf.subarray(100, 100 + n).equals(want)).toBe(true);
    expect(buf.subarray(0, 100).every((b) => b === 0xa5)).toBe(true);
    expect(buf.subarray(100 + n).every((b) => b === 0xa5)).toBe(true);
  });

  it('says -1 when the header does not fit the room left, and writes nothing past the end', () => {
    const small = members[0]!;
    const buf = Buffer.alloc(600, 0xa5);
    expect(encodeHeaderInto(small, buf, 200)).toBe(-1);
    expect(buf.every((b) => b === 0xa5)).toBe(true);
    const long = members[6]!; // needs a pax header: more than 512 bytes
    const room = Buffer.alloc(700);
    expect(encodeHeaderInto(long, room, 0)).toBe(-1);
  });
});
