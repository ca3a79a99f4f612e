// Which members a restore of some paths takes, and the refusal when a path is not in the
// snapshot (with the snapshot's own spelling, when it differs only in case or unicode form).
import { refusal, type AirgapError } from '../core/errors.js';
import { collisionKey } from '../core/member-path.js';
import type { ManifestIndex } from './manifest-index.js';

/** The members to restore: the given paths and everything under them, plus the first copy of any selected hard link. */
export function selection(manifest: ManifestIndex, paths: string[]) {
  if (paths.length === 0) return { select: undefined, missing: [], extra: [] as string[] };
  const wanted = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
  const matches = matcher(wanted);
  const under = (path: string) => matches(path).length > 0;
  const found = new Set<string>();
  const extra = new Set<string>();
  for (let i = 0; i < manifest.length; i++) {
    const path = manifest.path(i);
    const hit = matches(path);
    for (const w of hit) found.add(w);
    const link = manifest.link(i);
    if (manifest.type(i) === 'hardlink' && link && hit.length && !under(link)) extra.add(link);
  }
  const missing = wanted.filter((w) => !found.has(w));
  return { select: (p: string) => under(p) || extra.has(p), missing, extra: [...extra] };
}

/** Up to this many paths are compared one by one with each manifest path; more are looked up by each path's folders. */
const FEW_PATHS = 16;

/**
 * The wanted paths a manifest path is, or lies under. A few are compared directly; many (a
 * restore drill names up to 1000 files) are found in a set by the path and each of its
 * folders, so a big manifest is not compared with every wanted path line by line.
 */
function matcher(wanted: string[]): (path: string) => string[] {
  if (wanted.length <= FEW_PATHS) return (path) => wanted.filter((w) => path === w || path.startsWith(w + '/'));
  const set = new Set(wanted);
  return (path) => {
    const out: string[] = [];
    if (set.has(path)) out.push(path);
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const folder = path.slice(0, i);
      if (set.has(folder)) out.push(folder);
    }
    return out;
  };
}

/** The refusal for paths the snapshot does not have (`missing`, from selection), before anything is read or written. */
export function notInSnapshot(snapshotId: string, manifest: ManifestIndex, missing: string[], driveName: string): AirgapError {
  // A path typed in another case or unicode form (NFD from a Mac keyboard, say) is not the
  // snapshot's path: say which spelling it has rather than leave the user to guess.
  const keys = new Map(missing.map((m) => [collisionKey(m), m]));
  const spelled = new Map<string, string>();
  for (let i = 0; i < manifest.length && spelled.size < keys.size; i++) {
    const m = keys.get(collisionKey(manifest.path(i)));
    if (m !== undefined && !spelled.has(m)) spelled.set(m, manifest.path(i));
  }
  const hint = spelled.size
    ? `the snapshot spells it differently (case or unicode form): ${[...spelled].map(([m, p]) => `${JSON.stringify(m)} is ${JSON.stringify(p)}`).join(', ')}; give that exact path`
    : `find it with: airgap find ${driveName} '${missing[0]!.split('/').pop()}*' --all-snapshots`;
  return refusal('not-in-snapshot', `snapshot ${snapshotId} has no ${missing.map((p) => JSON.stringify(p)).join(', ')} (nothing was read or written)`, hint);
}
