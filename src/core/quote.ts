// A value the user gave, quoted inside a message: long values are cut, so that one bad argument
// cannot flood the terminal, and the length says how much was cut.

/** Cut at 40 characters, with its length when cut. */
export function quoteShort(v: string): string {
  return v.length > 40 ? `${JSON.stringify(`${v.slice(0, 40)}…`)} (${v.length} characters)` : JSON.stringify(v);
}
