import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSumLine, parseSumFile, SumSyntaxError, type SumLine } from '../../src/layout/sha256sums.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Names the real tool must agree with us on. */
const NAMES: Record<string, string> = {
  plain: 'plain.txt',
  space: 'a file with spaces.txt',
  'leading space': ' leading',
  'two spaces': 'two  spaces',
  backslash: 'back\\slash',
  'backslash n (literal)': 'lit\\nchars',
  newline: 'new\nline',
  'newline and backslash': 'both\\\nhere',
  unicode: 'résumé 日本語 🎉.txt',
  star: '*star',
  tab: 'tab\there',
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airgap-sums-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Creates the file and returns [what sha256sum prints, what formatSumLine writes]. */
function both(name: string, content: string): [Buffer, Buffer] {
  writeFileSync(join(dir, name), content);
  const gnu = execFileSync('sha256sum', ['--', name], { cwd: dir });
  const ours = Buffer.from(formatSumLine({ sha256: sha256(content), name }), 'utf8');
  return [gnu, ours];
}

describe('formatSumLine matches GNU sha256sum byte for byte', () => {
  for (const [label, name] of Object.entries(NAMES)) {
    it(label, () => {
      const [gnu, ours] = both(name, `content of ${label}\n`);
      expect(ours.toString('latin1')).toBe(gnu.toString('latin1'));
      expect(ours.equals(gnu)).toBe(true);
    });
  }

  it('a name with a carriage return (GNU escapes it as \\r)', () => {
    const [gnu, ours] = both('car\rriage', 'cr');
    expect(JSON.stringify(ours.toString('utf8'))).toBe(JSON.stringify(gnu.toString('utf8')));
  });

  it('escapes only when it must: a plain name gives "<hash>  <name>\\n"', () => {
    const h = sha256('x');
    expect(formatSumLine({ sha256: h, name: 'a b' })).toBe(`${h}  a b\n`);
    expect(formatSumLine({ sha256: h, name: 'a\\b' })).toBe(`\\${h}  a\\\\b\n`);
    expect(formatSumLine({ sha256: h, name: 'a\nb' })).toBe(`\\${h}  a\\nb\n`);
  });
});

describe('sha256sum -c accepts what formatSumLine writes', () => {
  it('every tricky name verifies OK', () => {
    const check = mkdtempSync(join(dir, 'check-'));
    const lines: string[] = [];
    for (const [label, name] of Object.entries(NAMES)) {
      const content = `check ${label}`;
      writeFileSync(join(check, name), content);
      lines.push(formatSumLine({ sha256: sha256(content), name }));
    }
    writeFileSync(join(check, 'SUMS'), lines.join(''));
    const r = spawnSync('sha256sum', ['--strict', '-c', 'SUMS'], { cwd: check, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/: OK$/gm)).toHaveLength(Object.keys(NAMES).length);
  });

  it('a wrong hash fails the check (the check is real)', () => {
    const check = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(check, 'new\nline'), 'actual');
    writeFileSync(join(check, 'SUMS'), formatSumLine({ sha256: sha256('expected'), name: 'new\nline' }));
    const r = spawnSync('sha256sum', ['--strict', '-c', 'SUMS'], { cwd: check, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/FAILED/);
  });
});

describe('parseSumFile', () => {
  const h1 = sha256('1');
  const h2 = sha256('2');

  it('round-trips formatSumLine output for every tricky name', () => {
    const sums: SumLine[] = Object.values(NAMES).map((name, i) => ({ sha256: sha256(String(i)), name }));
    expect(parseSumFile(sums.map(formatSumLine).join(''))).toEqual(sums);
  });

  it('round-trips names with a carriage return or a Unicode line separator', () => {
    const sums: SumLine[] = ['car\rriage', 'line\u2028sep', 'para\u2029sep'].map((name) => ({ sha256: h1, name }));
    expect(parseSumFile(sums.map(formatSumLine).join(''))).toEqual(sums);
  });

  it('reads what GNU sha256sum itself writes', () => {
    const gnuDir = mkdtempSync(join(dir, 'gnu-'));
    const names = Object.values(NAMES);
    names.forEach((n, i) => writeFileSync(join(gnuDir, n), `gnu ${i}`));
    const out = execFileSync('sha256sum', ['--', ...names], { cwd: gnuDir }).toString('utf8');
    expect(parseSumFile(out)).toEqual(names.map((name, i) => ({ sha256: sha256(`gnu ${i}`), name })));
  });

  it("reads GNU sha256sum's \\r escape as a carriage return", () => {
    const gnuDir = mkdtempSync(join(dir, 'gnu-cr-'));
    writeFileSync(join(gnuDir, 'car\rriage'), 'cr');
    const out = execFileSync('sha256sum', ['--', 'car\rriage'], { cwd: gnuDir }).toString('utf8');
    expect(parseSumFile(out)).toEqual([{ sha256: sha256('cr'), name: 'car\rriage' }]);
  });

  it('an empty file is an empty list', () => {
    expect(parseSumFile('')).toEqual([]);
  });

  it('accepts the "*" binary marker', () => {
    expect(parseSumFile(`${h1} *bin.dat\n${h2}  text.txt\n`)).toEqual([
      { sha256: h1, name: 'bin.dat' },
      { sha256: h2, name: 'text.txt' },
    ]);
    expect(parseSumFile(`\\${h1} *a\\\\b\\nc\n`)).toEqual([{ sha256: h1, name: 'a\\b\nc' }]);
  });

  it('keeps a name that itself starts with spaces or a star', () => {
    expect(parseSumFile(`${h1}   lead\n${h2}  *star\n`)).toEqual([
      { sha256: h1, name: ' lead' },
      { sha256: h2, name: '*star' },
    ]);
  });

  it('lowercases an upper-case hash', () => {
    expect(parseSumFile(`${h1.toUpperCase()}  x\n`)).toEqual([{ sha256: h1, name: 'x' }]);
  });

  it('does not unescape a line without the leading backslash', () => {
    expect(parseSumFile(`${h1}  a\\nb\n`)).toEqual([{ sha256: h1, name: 'a\\nb' }]);
  });

  it('rejects a missing final newline', () => {
    expect(() => parseSumFile(`${h1}  a\n${h2}  b`)).toThrow(SumSyntaxError);
    expect(() => parseSumFile(`${h1}  a\n${h2}  b`)).toThrow(/newline/);
  });

  it('rejects malformed lines, naming the line number', () => {
    const bad = [
      `${h1} a`, // one space, no marker
      `${h1}\ta`, // tab
      `${h1}  `, // no name
      `${h1.slice(1)}  a`, // 63 hex digits
      `${h1}0  a`, // 65 hex digits
      `${'g'.repeat(64)}  a`, // not hex
      `a  ${h1}`, // swapped
      '', // blank line
      `# comment`,
      `SHA256 (a) = ${h1}`, // BSD style
    ];
    for (const line of bad) {
      const text = `${h2}  ok\n${line}\n`;
      let err: unknown;
      try {
        parseSumFile(text);
      } catch (e) {
        err = e;
      }
      expect(err, `accepted ${JSON.stringify(line)}`).toBeInstanceOf(SumSyntaxError);
      expect((err as Error).message).toMatch(/line 2/);
    }
  });
});
