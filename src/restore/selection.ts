// Which members a restore of some paths takes, and the refusal when a path is not in the
// snapshot (with the snapshot's own spelling, when it differs only in case or unicode form).
import { refusal, type AirgapError } from '../core/errors.js';
import { collisionKey } from '../core/member-path.js';
import type { ManifestIndex } from './manifest-index.js';

/** The members to restore: the given paths and everything under them, plus the first copy of any selected hard link. */
export function selection(manifest: ManifestIndex, paths: string[]) {
  if (paths.length === 0) return { select: undefined, missing: [], extra: [] as string[] };
  const wanted = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
  const under = (path: string) => wanted.some((w) => path === w || path.startsWith(w + '/'));
  const found = new Set<string>();
  const extra = new Set<string>();
  for (let i = 0; i < manifest.length; i++) {
    const path = manifest.path(i);
    for (const w of wanted) if (path === w || path.startsWith(w + '/')) found.add(w);
    const link = manifest.link(i);
    if (manifest.type(i) === 'hardlink' && link && under(path) && !under(link)) extra.add(link);
  }
  const missing = wanted.filter((w) => !found.has(w));
  return { select: (p: string) => under(p) || extra.has(p), missing, extra: [...extra] };
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
