// The path rules every member passes before anything is created for it: a safe relative path,
// not through a symlink or a non-folder made earlier, no clash with another name once case or
// unicode form is ignored, not our staging folder's name, not twice. Checked on the names alone,
// so that nothing is ever created for a member that breaks one.
import { checkMemberPath, collisionKey, describePathProblem } from '../core/member-path.js';
import type { TarEntry } from '../layout/tar-reader.js';
import { isDeltaMember } from '../layout/delta-file.js';
import type { ExtractState } from './extract-state.js';
import { STAGING_NAME } from './extract-types.js';

/** Checks a member against every rule; returns its safe path and its manifest row (-1: none), or undefined (refused). */
export function admitMember(state: ExtractState, e: TarEntry): { path: string; row: number } | undefined {
  const { manifest } = state.opts;
  // Format 2's changed blocks of large files: read at their offsets by extract-delta.ts, never
  // extracted as files (a source never has this top folder: jobs/sources.ts).
  if (state.pass && !state.deltaStep && isDeltaMember(e.path)) return undefined;
  const c = checkMemberPath(e.path);
  if ('problem' in c) {
    // Named as refused: not also as missing, should the manifest list it verbatim.
    const listed = manifest.find(e.path);
    // An earlier tarball of the chain: only what the manifest takes from it is any concern.
    if (state.pass && !takenFromHere(state, listed, e)) return undefined;
    if (listed >= 0) state.seenRows[listed] = 1;
    return void state.refuse(e.path, describePathProblem(c.problem));
  }
  let path = c.parts.join('/');
  // One string per path for the whole restore, the manifest's: the maps below all hold it
  // (a second copy per path, and a third for its collision key, cost ~90 bytes a file).
  const row = manifest.find(path);
  if (state.pass && !takenFromHere(state, row, e)) return undefined;
  if (row >= 0) {
    path = manifest.path(row);
    state.seenRows[row] = 1;
  }
  state.lastMember = path;
  const prefixes: string[] = [];
  const prefixKeys: string[] = [];
  // Built a component at a time ('/' neither composes nor changes case, so a path's key is its
  // components' keys joined): a 1024-deep path costs one pass, not one per level.
  let prefix = '';
  let prefixKey = '';
  for (let i = 0; i < c.parts.length - 1; i++) {
    prefix = i === 0 ? c.parts[0]! : `${prefix}/${c.parts[i]}`;
    prefixKey = i === 0 ? collisionKey(c.parts[0]!) : `${prefixKey}/${collisionKey(c.parts[i]!)}`;
    prefixes.push(prefix);
    prefixKeys.push(prefixKey);
    const k = state.kinds.get(prefix);
    if (k === 'symlink') return void state.refuse(path, `goes through the symlink ${prefix} (created earlier in this archive)`);
    if (k && k !== 'dir') return void state.refuse(path, `goes through ${prefix}, which is not a folder`);
    // Parent folders too, listed or not: "Café/" (NFC) and "Café/" (NFD), or "Docs/" and
    // "DOCS/", are one folder on a normalising or case-insensitive disk, two look-alikes elsewhere.
    const other = state.seen.get(prefixKey);
    if (other !== undefined && other !== prefix) return void state.refuse(path, `its folder ${prefix} collides with ${other} (same name once case or unicode form is ignored)`);
  }
  if (c.parts[0]!.startsWith(STAGING_NAME)) return void state.refuse(path, `${STAGING_NAME}* names are reserved for airgap's own staging folder`);
  let key = collisionKey(path);
  if (key === path) key = path;
  const earlier = state.seen.get(key);
  if (earlier === path && state.implicit.has(path) && e.type === 'Directory') {
    state.implicit.delete(path); // the folder's own entry, after one of its contents: fine
    return { path, row };
  }
  if (earlier !== undefined) {
    return void state.refuse(path, earlier === path ? 'appears twice in the archive' : `collides with ${earlier} (same name once case or unicode form is ignored)`);
  }
  state.seen.set(key, path);
  occupyParents(state, prefixes, prefixKeys);
  return { path, row };
}

/** Its parents occupy their names from now on (created or not, selected or not). */
function occupyParents(state: ExtractState, prefixes: string[], prefixKeys: string[]): void {
  for (const [j, p] of prefixes.entries()) {
    const k = prefixKeys[j]!;
    if (state.seen.has(k)) continue;
    state.seen.set(k, p);
    if (!state.kinds.has(p)) {
      state.kinds.set(p, 'dir');
      state.implicit.add(p);
    }
  }
}

/**
 * Format 2: whether this member of the tarball being read is one the manifest takes from it.
 * Never extracted otherwise: a file's content comes from the tarball its `in` names, at its
 * offset; folders, symlinks and hard links from the snapshot's own tarball. A member of an earlier
 * tarball that the manifest does not list (deleted since) or takes from elsewhere (changed since)
 * is passed over; one the snapshot's own tarball holds but the manifest does not list goes on,
 * to be reported as damage like any unlisted member.
 */
function takenFromHere(state: ExtractState, row: number, e: TarEntry): boolean {
  const { manifest } = state.opts;
  const pass = state.pass!;
  if (row < 0) return pass.own;
  // A delta'd file's base member is only the start of its content: extract-delta.ts builds it.
  if (!state.deltaStep && manifest.delta(row)) return false;
  const from = manifest.type(row) === 'file' ? manifest.in(row) : undefined;
  if (pass.own ? from !== undefined : from !== pass.snapshot) return false;
  const at = manifest.offset(row);
  // The offset is what a restore of one file reads at (extract-at.ts): it must be where the member is.
  if (at === undefined || at === e.offset || state.seenRows[row]) return true;
  const path = manifest.path(row);
  if (state.opts.select && !state.opts.select(path)) return false;
  state.seenRows[row] = 1;
  state.report.damaged.push({ path, reason: `found at byte ${e.offset} of the tarball of ${pass.snapshot}, where the manifest says byte ${at} (not restored)` });
  return false;
}
