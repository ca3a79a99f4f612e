// Lines in the exact format of GNU `sha256sum` (hash, two spaces, name), including its escape
// rule (coreutils 9): a name holding a backslash, newline or carriage return is written with
// `\\`, `\n`, `\r` and the line starts with a backslash. `sha256sum -c` reads these files
// with no airgap installed.

export interface SumLine {
  sha256: string;
  name: string;
}

export function formatSumLine({ sha256, name }: SumLine): string {
  if (/[\\\n\r]/.test(name)) {
    return `\\${sha256}  ${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}\n`;
  }
  return `${sha256}  ${name}\n`;
}

const LINE = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/s;

/** Parses a whole SHA256SUMS file; throws with the line number on anything malformed. */
export function parseSumFile(text: string): SumLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else throw new SumSyntaxError('file does not end with a newline (truncated?)');
  const first = new Map<string, number>();
  return lines.map((line, i) => {
    const parsed = parseSumLine(line, i + 1);
    // `sha256sum -c` checks every line: a second line for a name must not hide the first one.
    const seen = first.get(parsed.name);
    if (seen !== undefined) throw new SumSyntaxError(`line ${i + 1} lists ${JSON.stringify(parsed.name)} again (first on line ${seen})`);
    first.set(parsed.name, i + 1);
    return parsed;
  });
}

/** One line (without its newline) of a sha256sum file; `lineNo` is for the error message. */
export function parseSumLine(line: string, lineNo: number): SumLine {
  // A name never holds a raw carriage return (it is written as \r): CRLF means the file was converted.
  if (line.endsWith('\r')) throw new SumSyntaxError(`line ${lineNo} ends with a carriage return (CRLF line endings: the file was converted or edited)`);
  const m = LINE.exec(line);
  if (!m) throw new SumSyntaxError(`line ${lineNo} is not "<sha256>  <name>"`);
  const [, escaped, sha256, rawName] = m as unknown as [string, string, string, string];
  const name = escaped ? rawName.replace(/\\(.)/gs, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)) : rawName;
  return { sha256: sha256.toLowerCase(), name };
}

export class SumSyntaxError extends Error {}
