// The drive README's Linux/macOS commands, as a user reads them (src/core/drive-readme.ts
// describes the layout): the lines indented by exactly four spaces are the commands to type,
// in order; "  <label>:  <command>" lines are alternatives.
import { expect } from 'vitest';

const SECTION = /^Restoring with stock tools: Linux and macOS\n-+\n([^]*?)\n(?=Windows )/m;

function section(readme: string): string {
  const m = SECTION.exec(readme);
  expect(m, `the README has a "Restoring with stock tools: Linux and macOS" part:\n${readme}`).not.toBeNull();
  return m![1]!;
}

/** The commands to type, in order (the main path). */
export function readmeCommands(readme: string): string[] {
  return section(readme).split('\n').filter((l) => /^ {4}\S/.test(l)).map((l) => l.slice(4));
}

/** The command after "  <label>:  " (an alternative), e.g. "Parts" or "macOS". */
export function readmeAlternative(readme: string, label: string): string {
  const line = section(readme).split('\n').find((l) => l.startsWith(`  ${label}:  `));
  expect(line, `the README has a "${label}:" alternative`).toBeDefined();
  return line!.slice(`  ${label}:  `.length);
}
