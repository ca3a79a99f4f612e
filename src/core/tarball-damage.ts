// What a deep walk found damaged in a tarball, and whether a file whose content is in that tarball
// is damaged with it: one rule for `airgap verify --deep` (verify/chain-check.ts) and the browser
// page's deep check (page/deep-drive.ts), so that both name the same dependent files.

/** What the deep walk found damaged in a tarball: which members' content cannot be trusted. */
export interface TarballDamage {
  /** Which members is not known (the tarball missing or unreadable, its manifest broken): all of them. */
  all: boolean;
  /** Members found damaged, missing or unlisted. */
  paths: Set<string>;
  /** Every member starting at or after this offset (the walk broke off, or stopped naming them). */
  from?: number;
}

/** Whether a file whose content is at `e.offset` of a tarball with this damage is damaged too. */
export const affects = (d: TarballDamage, e: { path: string; offset?: number }): boolean =>
  d.all || d.paths.has(e.path) || (d.from !== undefined && (e.offset === undefined || e.offset >= d.from));
