import { Header, Pax } from 'tar';
import { describe, expect, it } from 'vitest';
import { parsePax } from '../../src/layout/pax.js';

interface PaxInput {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: Date;
  uid?: number;
  gid?: number;
}

/** node-tar's own encoding: a 512-byte ExtendedHeader block, then the records, NUL-padded. */
function encode(fields: PaxInput): { block: Buffer; body: Buffer; padded: Buffer } {
  const block = new Pax(fields).encode();
  const header = new Header(block.subarray(0, 512));
  expect(header.type).toBe('ExtendedHeader');
  expect(header.cksumValid).toBe(true);
  const size = header.size!;
  return { block, body: block.subarray(512, 512 + size), padded: block.subarray(512) };
}

/** Builds one record with a correct length prefix, independently of node-tar. */
function record(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restLen = Buffer.byteLength(rest);
  let len = restLen + 1;
  while (String(len).length + restLen !== len) len = String(len).length + restLen;
  return `${len}${rest}`;
}

describe('parsePax on records written by node-tar', () => {
  it('path, linkpath, size and mtime', () => {
    const { body, padded } = encode({
      path: 'some/dir/' + 'long-name-'.repeat(20),
      linkpath: 'target/' + 'x'.repeat(150),
      size: 123456789,
      mtime: new Date('2026-11-21T09:30:00.750Z'),
    });
    expect(body[512 - 512]).not.toBe(0); // body really starts at byte 512 of the encoding
    const expected = {
      path: 'some/dir/' + 'long-name-'.repeat(20),
      linkpath: 'target/' + 'x'.repeat(150),
      size: 123456789,
      mtime: Math.floor(new Date('2026-11-21T09:30:00.750Z').getTime() / 1000),
    };
    expect(parsePax(body)).toEqual(expected);
    // The NUL padding up to the block boundary is ignored.
    expect(padded.length % 512).toBe(0);
    expect(parsePax(padded)).toEqual(expected);
  });

  it('a path holding a newline, "=" characters and unicode', () => {
    const path = 'weird/a=b==c\nsecond line = yes/日本語 é 🎉\n';
    const linkpath = '=leading\nand=trailing=';
    const { body, padded } = encode({ path, linkpath });
    // The encoded body has more newlines than records: a newline-splitting parser would break.
    expect(body.toString('utf8').split('\n').length - 1).toBeGreaterThan(2);
    expect(parsePax(body)).toEqual({ path, linkpath });
    expect(parsePax(padded)).toEqual({ path, linkpath });
  });

  it('unicode lengths are counted in bytes', () => {
    // 3-byte characters push the record across a digit-count boundary (99 -> 100+ bytes).
    for (const n of [20, 27, 28, 29, 30, 31, 32, 33, 330, 331, 332, 333]) {
      const path = '語'.repeat(n);
      expect(parsePax(encode({ path }).body).path, `n=${n}`).toBe(path);
    }
  });

  it('large sizes and a fractional mtime (rounded down to whole seconds)', () => {
    const { body } = encode({ size: 2 ** 40 + 3, mtime: new Date(1_700_000_000_999) });
    expect(body.toString()).toContain('mtime=1700000000.999\n');
    expect(parsePax(body)).toEqual({ size: 2 ** 40 + 3, mtime: 1_700_000_000 });
  });

  it('uid and gid', () => {
    const { body } = encode({ path: 'p', uid: 4_000_000_000, gid: 65534 });
    expect(parsePax(body)).toEqual({ path: 'p', uid: 4_000_000_000, gid: 65534 });
  });
});

describe('parsePax on hand-made records', () => {
  it('the record helper agrees with node-tar', () => {
    const path = 'a\nb=c/日本';
    expect(record('path', path)).toBe(encode({ path }).body.toString('utf8'));
  });

  it('ignores keys it does not check, including SCHILY and atime/ctime', () => {
    const text = record('atime', '1.5') + record('SCHILY.dev', '7') + record('path', 'x') + record('comment', 'y=z') + record('ctime', '2');
    expect(parsePax(Buffer.from(text))).toEqual({ path: 'x' });
  });

  it('the last record wins when a key repeats', () => {
    expect(parsePax(Buffer.from(record('path', 'first') + record('path', 'second')))).toEqual({ path: 'second' });
  });

  it('an empty value is kept as an empty string', () => {
    expect(parsePax(Buffer.from(record('linkpath', '')))).toEqual({ linkpath: '' });
  });

  it('an empty body gives no fields', () => {
    expect(parsePax(Buffer.alloc(0))).toEqual({});
    expect(parsePax(Buffer.alloc(512))).toEqual({});
  });
});

describe('parsePax rejects malformed records', () => {
  const bad = (text: string | Buffer) => () => parsePax(Buffer.isBuffer(text) ? text : Buffer.from(text));

  it('a length that is not a number', () => {
    expect(bad('abc path=x\n')).toThrow(/malformed pax record at byte 0/);
    expect(bad(' path=x\n')).toThrow(/malformed/);
  });

  it('a length that runs past the end of the body', () => {
    expect(bad('99 path=x\n')).toThrow(/malformed/);
    expect(bad(record('path', 'x').replace(/^\d+/, (d) => String(Number(d) + 5)))).toThrow(/malformed/);
  });

  it('a length that does not end on the newline', () => {
    expect(bad(record('path', 'x').replace(/^\d+/, (d) => String(Number(d) - 1)))).toThrow(/malformed/);
    expect(bad('5 path=x\n')).toThrow(/malformed/);
    expect(bad('1 path=x\n')).toThrow(/malformed/);
    expect(bad('0 path=x\n')).toThrow(/malformed/);
    expect(bad('-9 path=x\n')).toThrow(/malformed/);
  });

  it('a bad length in a later record reports that record\'s offset', () => {
    const first = record('path', 'ok');
    expect(bad(first + 'zz linkpath=x\n')).toThrow(new RegExp(`at byte ${Buffer.byteLength(first)}\\b`));
  });

  it('a length field with no space after it', () => {
    expect(bad('12345678901234567890123 path=x\n')).toThrow(/malformed/);
    expect(bad('9path=x\n')).toThrow(/malformed/);
  });

  it('a length that is not plain decimal digits', () => {
    // " path=x\n" is 8 bytes; each prefix below evaluates to the right total only if read as
    // something other than a decimal number.
    expect(bad('0xb path=x\n')).toThrow(/malformed/); // hex 11
    expect(bad('1e1 pa=xx\n')).toThrow(/malformed/); // 1e1 = 10
    expect(bad('\t10 pa=xx\n')).toThrow(/malformed/); // leading whitespace
  });

  it('a record without "=" or with an empty key', () => {
    expect(bad('9 pathxy\n')).toThrow(/malformed/);
    expect(bad('9 =value\n')).toThrow(/malformed/);
  });

  it('a non-numeric size, uid or gid', () => {
    expect(bad(record('size', '12a'))).toThrow(/size/);
    expect(bad(record('size', '-1'))).toThrow(/size/);
    expect(bad(record('uid', ''))).toThrow(/uid/);
    expect(bad(record('gid', '1.5'))).toThrow(/gid/);
  });

  it('garbage after the last record', () => {
    expect(bad(record('path', 'x') + 'junk')).toThrow(/malformed/);
  });
});
