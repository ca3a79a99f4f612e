// The rules for the folders a user names to protect, as text: `~` expanded, the system root
// refused, and folders that overlap others already chosen (a folder inside another would be
// backed up twice; one that holds another takes its place). Whether a path exists and is a
// folder is asked of the disk by the caller (cli/wizard-folders.ts).
import { isAbsolute, parse, relative, sep } from 'node:path';

/** `~` and `~/…` as the home folder; anything else as typed (a comma is an ordinary character). */
export function expandHome(typed: string, home: string): string {
  const t = typed.trim();
  if (t === '~') return home;
  if (t.startsWith('~/') || t.startsWith(`~${sep}`)) return home + t.slice(1);
  return t;
}

/** The whole system: `/` (or a drive root such as `C:\`): never a source. */
export function isSystemRoot(absolute: string): boolean {
  return parse(absolute).root === absolute;
}

/** True when `inner` is `outer` or a folder under it (absolute, resolved paths). */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export type Overlap =
  | { kind: 'same' | 'inside'; other: string }
  /** It holds folders chosen before: it takes their place. */
  | { kind: 'holds'; others: string[] };

/** How a new folder overlaps the ones chosen before; undefined when it does not. */
export function overlap(folder: string, chosen: readonly string[]): Overlap | undefined {
  const same = chosen.find((c) => c === folder);
  if (same) return { kind: 'same', other: same };
  const outer = chosen.find((c) => within(folder, c));
  if (outer) return { kind: 'inside', other: outer };
  const inner = chosen.filter((c) => within(c, folder));
  return inner.length ? { kind: 'holds', others: inner } : undefined;
}
