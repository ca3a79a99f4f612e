import { describe, expect, it } from 'vitest';
import {
  escapeField,
  formatManifestLine,
  isManifestComment,
  ManifestSyntaxError,
  MANIFEST_COLUMNS,
  parseManifestLine,
  unescapeField,
  type ManifestEntry,
} from '../../src/layout/manifest.js';

const SHA = 'ab'.repeat(32);
const SHA2 = '0123456789abcdef'.repeat(4);

/** A 300-byte name: longer than tar's 100-byte name field and than most file systems allow. */
const LONG_ASCII = 'n'.repeat(300);
const LONG_UNICODE = 'é'.repeat(150); // 2 bytes each in UTF-8

const TRICKY_PATHS: Record<string, string> = {
  plain: 'docs/readme.txt',
  space: 'my docs/a file with spaces.txt',
  'leading and trailing space': ' lead/trail ',
  tab: 'tab\there',
  newline: 'new\nline',
  'carriage return': 'cr\rhere',
  crlf: 'dos\r\nname',
  backslash: 'back\\slash\\',
  'backslash before n': 'literal\\n-not-a-newline',
  'backslash before x': 'literal\\x41',
  'control 0x01': 'ctl\x01x',
  'control 0x1f': 'unit\x1fsep',
  'DEL 0x7f': 'del\x7fete',
  NUL: 'nul\x00byte',
  'every control char': Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\x7f',
  unicode: 'résumé/日本語/emoji-🎉.txt',
  'unicode line separators': 'ls\u2028ps\u2029nel\u0085',
  '300-byte ascii name': `dir/${LONG_ASCII}`,
  '300-byte unicode name': `${LONG_UNICODE}/x`,
  'hash and equals': '#not-a-comment=1',
};

function entriesFor(path: string): ManifestEntry[] {
  return [
    { type: 'file', path, mode: 0o644, uid: 1000, gid: 1000, size: 12345, mtime: 1_790_000_000, sha256: SHA },
    { type: 'dir', path, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 },
    { type: 'symlink', path, mode: 0o777, uid: 501, gid: 20, size: 0, mtime: 1, link: `../target/${path}` },
    { type: 'hardlink', path, mode: 0o4755, uid: 65534, gid: 65534, size: 7, mtime: 2_000_000_000, sha256: SHA2, link: `first copy of ${path}` },
  ];
}

/** The line without its terminating newline, as a line reader hands it to the parser. */
const body = (line: string) => {
  expect(line.endsWith('\n')).toBe(true);
  return line.slice(0, -1);
};

describe('formatManifestLine / parseManifestLine round trip', () => {
  for (const [label, path] of Object.entries(TRICKY_PATHS)) {
    for (const entry of entriesFor(path)) {
      it(`${entry.type} with ${label} path`, () => {
        const line = formatManifestLine(entry);
        const text = body(line);
        // Exactly one line: no raw line break anywhere but the end.
        expect(text).not.toMatch(/[\n\r]/);
        // Exactly 9 columns.
        expect(text.split('\t')).toHaveLength(9);
        expect(parseManifestLine(text)).toEqual(entry);
      });
    }
  }

  it('writes the columns in the documented order', () => {
    const line = formatManifestLine({
      type: 'hardlink', path: 'a b', mode: 0o644, uid: 1, gid: 2, size: 3, mtime: 4, sha256: SHA, link: 'c',
    });
    expect(line).toBe(`h\t0644\t1\t2\t3\t4\t${SHA}\ta b\tc\n`);
    expect(MANIFEST_COLUMNS.slice(2).split('\t')).toEqual(['type', 'mode', 'uid', 'gid', 'size', 'mtime', 'sha256', 'path', 'link']);
  });

  it('writes modes as zero-padded octal, keeping setuid/setgid/sticky bits', () => {
    const f = (mode: number) => body(formatManifestLine({ type: 'dir', path: 'd', mode, uid: 0, gid: 0, size: 0, mtime: 0 })).split('\t')[1];
    expect(f(0)).toBe('0000');
    expect(f(0o7)).toBe('0007');
    expect(f(0o755)).toBe('0755');
    expect(f(0o1777)).toBe('1777');
    expect(f(0o7777)).toBe('7777');
    for (const mode of [0, 0o7, 0o600, 0o2755, 0o4711, 0o7777]) {
      expect(parseManifestLine(`d\t${f(mode)}\t0\t0\t0\t0\t\td\t`).mode).toBe(mode);
    }
  });

  it('leaves the sha256 and link columns empty for a directory', () => {
    const cols = body(formatManifestLine(entriesFor('x')[1]!)).split('\t');
    expect(cols[6]).toBe('');
    expect(cols[8]).toBe('');
  });

  it('a path starting with "#" is not mistaken for a comment line', () => {
    const line = body(formatManifestLine(entriesFor('#x')[0]!));
    expect(isManifestComment(line)).toBe(false);
    expect(isManifestComment('# airgap manifest v1')).toBe(true);
  });
});

describe('escapeField / unescapeField', () => {
  it('escapes exactly the characters that would break a line or a column', () => {
    expect(escapeField('a\\b')).toBe('a\\\\b');
    expect(escapeField('a\tb')).toBe('a\\tb');
    expect(escapeField('a\nb')).toBe('a\\nb');
    expect(escapeField('a\rb')).toBe('a\\rb');
    expect(escapeField('\x00\x01\x1b\x1f\x7f')).toBe('\\x00\\x01\\x1b\\x1f\\x7f');
    expect(escapeField('plain ascii, spaces & unicode é 日本 🎉')).toBe('plain ascii, spaces & unicode é 日本 🎉');
  });

  it('the escaped form holds no control characters at all', () => {
    const all = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    const esc = escapeField(all);
    expect(esc).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(unescapeField(esc)).toBe(all);
  });

  it('unescapes every escape it produces', () => {
    for (const s of Object.values(TRICKY_PATHS)) expect(unescapeField(escapeField(s))).toBe(s);
  });

  it('does not double-decode: an escaped backslash followed by "n" stays a backslash and an n', () => {
    expect(unescapeField('\\\\n')).toBe('\\n');
    expect(unescapeField('\\\\x41')).toBe('\\x41');
    expect(unescapeField('\\x41')).toBe('A');
  });
});

describe('parseManifestLine errors', () => {
  const good = `f\t0644\t1000\t1000\t5\t1700000000\t${SHA}\tsome/path\t`;
  /** Replaces column i of the good file line. */
  const withField = (i: number, v: string, base = good) => {
    const f = base.split('\t');
    f[i] = v;
    return f.join('\t');
  };

  const expectError = (line: string, message: RegExp) => {
    let err: unknown;
    try {
      parseManifestLine(line);
    } catch (e) {
      err = e;
    }
    expect(err, `no error for ${JSON.stringify(line)}`).toBeInstanceOf(ManifestSyntaxError);
    expect((err as Error).message).toMatch(message);
  };

  it('the baseline line parses', () => {
    expect(parseManifestLine(good)).toMatchObject({ type: 'file', path: 'some/path', size: 5, sha256: SHA });
  });

  it('wrong field count', () => {
    expectError(good.split('\t').slice(0, 8).join('\t'), /9 tab-separated fields.*8/);
    expectError(`${good}\textra`, /9 tab-separated fields.*10/);
    expectError('', /fields/);
    // A raw (unescaped) tab inside the path adds a column.
    expectError(withField(7, 'a\tb'), /fields/);
  });

  it('a line with its newline still attached is rejected, not silently mangled', () => {
    expectError(`${good}\n`, /link/);
  });

  it('bad type', () => {
    expectError(withField(0, 'x'), /type/);
    expectError(withField(0, 'F'), /type/);
    expectError(withField(0, ''), /type/);
    expectError(withField(0, 'file'), /type/);
  });

  it('bad mode', () => {
    for (const m of ['', '0648', 'rwx', '-644', '0x1ff', ' 644']) expectError(withField(1, m), /mode/);
  });

  it('bad uid, gid, size, mtime', () => {
    expectError(withField(2, '-1'), /uid/);
    expectError(withField(3, 'abc'), /gid/);
    expectError(withField(4, '1.5'), /size/);
    expectError(withField(4, ''), /size/);
    expectError(withField(4, '007'), /size/);
    expectError(withField(5, '1e9'), /mtime/);
  });

  it('bad sha256', () => {
    expectError(withField(6, ''), /sha256/);
    expectError(withField(6, SHA.slice(1)), /sha256/);
    expectError(withField(6, SHA + '0'), /sha256/);
    expectError(withField(6, SHA.toUpperCase()), /sha256/);
    expectError(withField(6, 'g'.repeat(64)), /sha256/);
    // A directory or a symlink must not carry a hash.
    expectError(`d\t0755\t0\t0\t0\t0\t${SHA}\tdir\t`, /sha256/);
    expectError(`l\t0777\t0\t0\t0\t0\t${SHA}\tlink\ttarget`, /sha256/);
    // A hardlink must carry one.
    expectError(`h\t0644\t0\t0\t5\t0\t\tsecond\tfirst`, /sha256/);
  });

  it('empty path', () => {
    expectError(withField(7, ''), /path/);
  });

  it('missing link for a symlink or a hardlink, stray link for a file or a directory', () => {
    expectError(`l\t0777\t0\t0\t0\t0\t\tlink\t`, /link/);
    expectError(`h\t0644\t0\t0\t5\t0\t${SHA}\tsecond\t`, /link/);
    expectError(withField(8, 'target'), /link/);
    expectError(`d\t0755\t0\t0\t0\t0\t\tdir\ttarget`, /link/);
  });

  it('unknown escape in the path names the path field', () => {
    expectError(withField(7, 'a\\qb'), /escape/);
    expectError(withField(7, 'a\\qb'), /path/);
  });

  it('unknown escape in the link names the link field', () => {
    expectError(`l\t0777\t0\t0\t0\t0\t\tlink\tbad\\escape`, /escape/);
    expectError(`l\t0777\t0\t0\t0\t0\t\tlink\tbad\\escape`, /link/);
  });

  it('a \\x escape without two lowercase hex digits is rejected, not decoded as NUL', () => {
    expectError(withField(7, 'a\\xzz'), /escape/);
    expectError(withField(7, 'a\\x4'), /escape/);
    expectError(withField(7, 'a\\x'), /escape/);
  });

  it('a lone trailing backslash is rejected', () => {
    expectError(withField(7, 'dangling\\'), /escape/);
  });
});
