// `airgap find`: which snapshots hold a file, from their manifests (no tarball is read).
import { join } from 'node:path';
import picomatch from 'picomatch';
import { SNAPSHOT_JSON, tarballName } from '../layout/format.js';
import type { SnapshotFolder } from '../layout/drive-contents.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import { manifestFileFor, manifestVersionsIn } from '../layout/snapshot-meta.js';
import { isKeyProblem } from '../io/age-feed.js';

export interface FoundFile {
  snapshot: string;
  path: string;
  type: string;
  size: number;
  mtime: number;
  sha256?: string;
  /**
   * Format 2: the snapshot whose tarball holds the file's content (this snapshot's own, or an
   * earlier one of its chain): the tarball a restore of this file reads. Absent for format 1.
   */
  in?: string;
  /**
   * Format 3: the stored tarball of `in` (`<ID>.tar.gz`, `.age` when encrypted: a chain never
   * mixes formats), whose inflated tar holds the content.
   */
  tarball?: string;
  /** Format 2, a large file changed in place: the snapshots whose tarballs hold its changed blocks, oldest first (a restore reads them too). */
  blocksIn?: string[];
}

/**
 * A pattern with a slash matches whole archive paths (`Documents/**\/*.pdf`); one without
 * matches names at any depth (`*.pdf`, `report.docx`); a plain string with no glob characters
 * also matches any path containing it.
 */
export function matcher(pattern: string): (path: string) => boolean {
  // Compared in one unicode form (NFC): "Café" typed on a Mac (NFD) finds the "Café" a Linux
  // backup stored (NFC), and the reverse; the path shown is the snapshot's own spelling.
  const nfc = pattern.normalize('NFC');
  const glob = /[*?[\]{}!]/.test(nfc);
  if (!glob) return (path) => {
    const p = path.normalize('NFC');
    return p === nfc || p.endsWith('/' + nfc) || p.includes(nfc);
  };
  const m = picomatch(nfc, { dot: true, basename: !nfc.includes('/') });
  return (p) => m(p.normalize('NFC'));
}

/** A snapshot whose MANIFEST.tsv could not be read to the end, and why. */
export interface UnreadableManifest {
  snapshot: string;
  /** MANIFEST.tsv, or format 2's MANIFEST.tsv.gz. */
  file: string;
  message: string;
}

export async function findInSnapshots(snapshots: SnapshotFolder[], pattern: string, limit = 1000): Promise<{ found: FoundFile[]; truncated: boolean; unreadable: UnreadableManifest[] }> {
  const match = matcher(pattern);
  const found: FoundFile[] = [];
  const unreadable: UnreadableManifest[] = [];
  for (const s of snapshots) {
    // Its snapshot.json says which manifest versions it may hold (format 2: v2, with `in`).
    const { versions, encrypted, compressed, metaProblem } = await manifestVersionsIn(s);
    const reader = new ManifestReader(join(s.dir, manifestFileFor(versions, encrypted)), versions);
    try {
      for (let e = await reader.next(); e; e = await reader.next()) {
        if (e.type === 'dir' || !match(e.path)) continue;
        if (found.length >= limit) return { found, truncated: true, unreadable };
        const f: FoundFile = { snapshot: s.id, path: e.path, type: e.type, size: e.size, mtime: e.mtime };
        if (e.sha256) f.sha256 = e.sha256;
        if (reader.version === 2) f.in = e.in ?? s.id;
        if (f.in !== undefined && compressed) f.tarball = tarballName(f.in, encrypted, true);
        if (e.delta?.length) f.blocksIn = e.delta.map((l) => l.in ?? s.id);
        found.push(f);
      }
    } catch (e) {
      if (isKeyProblem(e)) throw e; // an encrypted manifest without its key: say so once, not per snapshot
      unreadable.push({ snapshot: s.id, file: manifestFileFor(versions, encrypted), message: `${(e as Error).message}${metaProblem ? ` (its ${SNAPSHOT_JSON} cannot be read either: ${metaProblem})` : ''}` });
    } finally {
      reader.close();
    }
  }
  return { found, truncated: false, unreadable };
}
