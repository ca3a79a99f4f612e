// The names of format 2's changed-blocks members (docs/FORMAT.md, "Large files changed in place"),
// apart from delta-file.ts (which reads files with node fs) so that verify.html's deep check,
// which rebuilds delta'd files in the browser (src/page/delta-rebuild.ts), uses the same names.

/** Top folder of the delta members in a tarball: `.airgap-delta/<ID>/<n>/<first>`. */
export const DELTA_DIR = '.airgap-delta';

/** A tarball member under `.airgap-delta/`: changed blocks of a large file, never a file of the tree. */
export const isDeltaMember = (path: string): boolean => path.startsWith(`${DELTA_DIR}/`);

/** The name of the member of link `linkId`'s tarball that holds blocks from `first` on of its `n`th delta'd file. */
export const deltaMemberName = (linkId: string, n: number, first: number) => `${DELTA_DIR}/${linkId}/${n}/${first}`;

/** A name from the drive, as shown in a message: quoted, cut at 200 characters, control and bidi characters escaped. */
export function shown(v: string): string {
  const cut = v.length > 200 ? `${v.slice(0, 200)}…` : v;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What was found instead of the member a line needs: its type, name and size (node-tar's type names). */
export const found = (e: { type: string; path: string; size: number }) =>
  `${e.type === 'File' ? 'the regular file' : `a member of type ${e.type}`} ${shown(e.path)} (${e.size} bytes)`;
