// pax extended header records ("<len> <key>=<value>\n"), parsed by their length prefix.
// node-tar's own parser splits on newlines and so loses values that contain one (a file name
// with a newline), hence this small parser. On Uint8Array and TextDecoder, no Buffer: verify.html's
// deep mode (src/page/tar-walk.ts) parses pax headers with this same code in the browser.

export interface PaxFields {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // a path may start with U+FEFF: kept, as Buffer kept it

export function parsePax(body: Uint8Array): PaxFields {
  const out: PaxFields = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // NUL padding after the last record
    const space = body.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw new Error(`malformed pax record at byte ${pos}`);
    const digits = latin1.decode(body.subarray(pos, space));
    const len = /^\d+$/.test(digits) ? Number(digits) : NaN;
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      throw new Error(`malformed pax record at byte ${pos}`);
    }
    const record = utf8.decode(body.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf('=');
    if (eq < 1) throw new Error(`malformed pax record at byte ${pos}`);
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    switch (key) {
      case 'path': out.path = value; break;
      case 'linkpath': out.linkpath = value; break;
      case 'size': out.size = toInt(value, key); break;
      case 'uid': out.uid = toInt(value, key); break;
      case 'gid': out.gid = toInt(value, key); break;
      case 'mtime':
        if (!/^-?\d+(\.\d+)?$/.test(value)) throw new Error(`pax mtime is not a number: ${value}`);
        out.mtime = Math.floor(Number(value));
        break;
      default: break; // atime, ctime, SCHILY.*, ...: not part of what we check
    }
    pos += len;
  }
  return out;
}

function toInt(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`pax ${key} is not a number: ${v}`);
  return Number(v);
}
