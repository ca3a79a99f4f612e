// The folder the user picked, seen as airgap's layout (docs/FORMAT.md): which files sit in which
// snapshot folder. Paths come from the folder picker (webkitRelativePath) or from the dropped
// folder's entries, "/"-separated and starting with the picked folder's name. The user may pick
// the airgap folder itself or the drive above it: the folder that holds drive.json is the root.
import { isSnapshotId } from '../layout/snapshot-id.js';
import { IDENTITY_FILE } from '../layout/format.js';

export interface Picked<F> {
  path: string;
  file: F;
}

export interface SnapshotFiles<F> {
  id: string;
  /** The files directly in the snapshot folder, by name. */
  files: Map<string, F>;
}

export interface DriveTree<F> {
  /** The picked airgap folder's path, as the browser gives it. */
  root: string;
  driveJson?: F;
  /** Oldest first: ids sort by time (layout/snapshot-id.ts). */
  snapshots: SnapshotFiles<F>[];
}

/** The airgap folder among the picked files, or why there is none. */
export function driveTree<F>(picked: Picked<F>[]): DriveTree<F> | { error: string } {
  const split = picked.map((p) => ({ parts: p.path.split('/').filter((s) => s !== ''), file: p.file }));
  const root = rootOf(split.map((s) => s.parts));
  if (root === undefined) return { error: 'no files were picked' };
  const snapshots = new Map<string, Map<string, F>>();
  let driveJson: F | undefined;
  for (const { parts, file } of split) {
    if (!startsWith(parts, root)) continue;
    const rest = parts.slice(root.length);
    if (rest.length === 1 && rest[0] === IDENTITY_FILE) driveJson = file;
    // Only a file directly in a snapshot folder is one of the snapshot's files; unfinished
    // (.partial-…) and pruned (.pruning-…) folders are not named like snapshots and are skipped.
    if (rest.length === 2 && isSnapshotId(rest[0]!)) {
      const files = snapshots.get(rest[0]!) ?? new Map<string, F>();
      files.set(rest[1]!, file);
      snapshots.set(rest[0]!, files);
    }
  }
  if (!driveJson && snapshots.size === 0) return { error: `no airgap drive here: pick the folder named "airgap" on the backup drive (it holds ${IDENTITY_FILE} and one folder per snapshot)` };
  const ids = [...snapshots.keys()].sort();
  return { root: root.join('/'), driveJson, snapshots: ids.map((id) => ({ id, files: snapshots.get(id)! })) };
}

/** The folder holding drive.json (the shallowest one), else the picked folder itself. */
function rootOf(paths: string[][]): string[] | undefined {
  const identities = paths.filter((p) => p.at(-1) === IDENTITY_FILE).map((p) => p.slice(0, -1));
  identities.sort((a, b) => a.length - b.length);
  if (identities[0]) return identities[0];
  return paths[0] ? paths[0].slice(0, 1) : undefined;
}

const startsWith = (parts: string[], prefix: string[]): boolean => prefix.every((p, i) => parts[i] === p);
