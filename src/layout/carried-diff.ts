// What a format 2 manifest line carried from an earlier snapshot of its chain must agree on with
// that snapshot's own line (docs/FORMAT.md): pure, so that `verify --deep` (verify/carried-check.ts)
// and verify.html's deep mode (src/page/deep-walk.ts) give the same words for the same damage.
import { MANIFEST_FILE_GZ } from './format.js';
import { formatDelta, type DeltaLink, type ManifestEntry } from './manifest.js';

/** A delta'd line's base: the whole copy in `from`'s tarball, at the same offset, with the mode and owner a delta never changes. */
export function deltaBaseDiff(e: ManifestEntry, there: ManifestEntry | undefined, from: string): string | undefined {
  const where = `its base copy is said to be in snapshot ${from} at byte ${e.offset}`;
  if (!there) return `${where}, whose ${MANIFEST_FILE_GZ} does not list it`;
  if (there.type !== 'file' || there.in !== undefined) return `${where}, whose ${MANIFEST_FILE_GZ} does not hold it in its own tarball`;
  if (there.offset !== e.offset) return `${where}, whose ${MANIFEST_FILE_GZ} says byte ${there.offset}`;
  if (there.mode !== e.mode || there.uid !== e.uid || there.gid !== e.gid) return `${where}, whose ${MANIFEST_FILE_GZ} gives it another mode or owner (a delta never changes them)`;
  return undefined;
}

/** A delta'd line carried unchanged: the same line as in `from`, the snapshot that wrote its newest blocks (its `.` spelled out). */
export function deltaCarriedDiff(e: ManifestEntry, there: ManifestEntry | undefined, from: string): string | undefined {
  const where = `its newest blocks are said to be in snapshot ${from}`;
  if (!there) return `${where}, whose ${MANIFEST_FILE_GZ} does not list it`;
  const spell = (links: readonly DeltaLink[] | undefined) => formatDelta((links ?? []).map((l) => ({ ...l, in: l.in ?? from })));
  const diffs: string[] = [];
  if (there.type !== 'file') diffs.push(`type ${there.type} there`);
  if (there.in !== e.in || there.offset !== e.offset) diffs.push('another base copy there');
  if (spell(there.delta) !== spell(e.delta)) diffs.push('other blocks there');
  if (there.size !== e.size) diffs.push(`size ${e.size} here, ${there.size} there`);
  if (there.sha256 !== e.sha256) diffs.push(`sha256 ${e.sha256} here, ${there.sha256} there`);
  if (there.mtime !== e.mtime) diffs.push(`mtime ${e.mtime} here, ${there.mtime} there`);
  if (there.mode !== e.mode || there.uid !== e.uid || there.gid !== e.gid) diffs.push('another mode or owner there');
  return diffs.length ? `${where}, whose ${MANIFEST_FILE_GZ} disagrees: ${diffs.join('; ')}` : undefined;
}

/** What the referenced snapshot's line says differently (undefined: the same file, its content there). */
export function carriedDiff(e: ManifestEntry, there: ManifestEntry | undefined, from: string): string | undefined {
  const where = `its content is said to be in snapshot ${from} at byte ${e.offset}`;
  if (!there) return `${where}, whose ${MANIFEST_FILE_GZ} does not list it`;
  if (there.type !== 'file') return `${where}, whose ${MANIFEST_FILE_GZ} lists it as a ${there.type}`;
  if (there.in !== undefined) return `${where}, whose ${MANIFEST_FILE_GZ} says its content is in ${there.in} instead`;
  const diffs: string[] = [];
  const field = (name: string, here: unknown, other: unknown, show = (v: unknown) => String(v)) => {
    if (here !== other) diffs.push(`${name} ${show(here)} here, ${show(other)} there`);
  };
  field('offset', e.offset, there.offset);
  field('size', e.size, there.size);
  field('sha256', e.sha256, there.sha256);
  // A stock restore of the chain gives the file that tarball's header: it must be this line's.
  field('mode', e.mode, there.mode, (v) => (v as number).toString(8));
  field('owner', `${e.uid}:${e.gid}`, `${there.uid}:${there.gid}`);
  field('mtime', e.mtime, there.mtime);
  return diffs.length ? `${where}, whose ${MANIFEST_FILE_GZ} disagrees: ${diffs.join('; ')}` : undefined;
}
