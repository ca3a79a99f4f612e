// `verify --deep`, format 2: the manifest lines whose content is not in this snapshot's tarball
// but in an earlier one of its chain (files carried forward unchanged, docs/FORMAT-v2.md). The
// walk of this tarball cannot check them, so each must name an earlier snapshot of the chain, and
// that snapshot's MANIFEST.tsv must hold the same file with its content in its own tarball, at
// the same offset and with the same header: what a restore relies on (readMemberAt at the offset,
// or stock tar over the chain, which gives the file that tarball's header). The snapshot that
// holds the content checks it against its own tarball when it is verified.
// Each referenced manifest is walked in archive order beside this one, never loaded: memory stays
// flat however many files a snapshot holds.
import { join } from 'node:path';
import { compareArchivePaths } from '../core/archive-order.js';
import type { Finding } from '../core/findings.js';
import { MANIFEST_FILE } from '../layout/format.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import type { ManifestEntry } from '../layout/manifest.js';

export interface CarriedSpec {
  /** This snapshot's id. */
  id: string;
  /** Its chain (snapshot.json), oldest first, itself last; undefined when snapshot.json is unusable. */
  chain: readonly string[] | undefined;
  /** The folder of a complete snapshot on this drive (undefined when it is not there: the chain check names that). */
  dirOf: (id: string) => string | undefined;
  /** Every carried file line that names an earlier link (the drive's verify ties it to damage found in that tarball). */
  onCarried?: (e: ManifestEntry & { in: string }) => void;
}

/** Records a member finding (the deep check's, with its cap). */
export type MemberReport = (member: string, code: string, message: string) => void;

/** One referenced snapshot's MANIFEST.tsv, walked forward in archive order. */
class ManifestCursor {
  private readonly reader: ManifestReader;
  private cur: ManifestEntry | undefined;
  private started = false;
  /** Why it cannot be read (then the files carried from it are not checked, and counted). */
  broken: string | undefined;
  unchecked = 0;

  constructor(dir: string) {
    this.reader = new ManifestReader(join(dir, MANIFEST_FILE), [2]); // only format 2 snapshots are bases
  }

  /** The line for `path`, or undefined; paths must come in archive order. Throws on a damaged manifest. */
  async find(path: string): Promise<ManifestEntry | undefined> {
    if (!this.started) {
      this.started = true;
      this.cur = await this.reader.next();
    }
    while (this.cur && compareArchivePaths(this.cur.path, path) < 0) this.cur = await this.reader.next();
    return this.cur?.path === path ? this.cur : undefined;
  }

  close(): void {
    this.reader.close();
  }
}

export class CarriedCheck {
  private readonly cursors = new Map<string, ManifestCursor | undefined>();
  /** Carried lines seen (snapshot.json's `carried.files` must agree). */
  count = 0;

  constructor(private readonly spec: CarriedSpec, private readonly findings: Finding[], private readonly report: MemberReport) {}

  /** One carried line of this snapshot's manifest (`in` set), in manifest order. */
  readonly check = async (e: ManifestEntry): Promise<void> => {
    const from = e.in!;
    const { id, chain } = this.spec;
    this.count++;
    const earlier = chain ? chain.slice(0, -1).includes(from) : from !== id;
    if (!earlier) {
      const which = chain ? `its chain (${chain.join(', ')})` : 'this snapshot';
      return this.report(e.path, 'carried-not-in-chain', `its content is said to be in snapshot ${from}, which is not an earlier snapshot of ${which}`);
    }
    if (e.type !== 'file') return this.report(e.path, 'carried-mismatch', `a ${e.type} is never carried (folders, symlinks and hard links are in every tarball), yet its content is said to be in ${from}`);
    this.spec.onCarried?.(e as ManifestEntry & { in: string });
    const cursor = this.cursorOf(from);
    if (!cursor) return;
    if (cursor.broken) {
      cursor.unchecked++;
      return;
    }
    let there: ManifestEntry | undefined;
    try {
      there = await cursor.find(e.path);
    } catch (err) {
      cursor.broken = (err as Error).message;
      cursor.unchecked++;
      return;
    }
    const diff = carriedDiff(e, there, from);
    if (diff) this.report(e.path, 'carried-mismatch', diff);
  };

  /** Names the referenced manifests that could not be read, and closes them all. */
  finish(): void {
    for (const [from, c] of this.cursors) {
      if (c?.broken) {
        this.findings.push({ severity: 'damage', code: 'carried-unchecked', link: from,
          message: `${c.unchecked} file(s) carried from snapshot ${from} could not be checked: its ${MANIFEST_FILE} cannot be read: ${c.broken}` });
      }
    }
    this.close();
  }

  /** Closes the referenced manifests (also when the walk ended early: a tarball that could not be read). */
  close(): void {
    for (const c of this.cursors.values()) c?.close();
    this.cursors.clear();
  }

  private cursorOf(from: string): ManifestCursor | undefined {
    if (!this.cursors.has(from)) {
      const dir = this.spec.dirOf(from);
      this.cursors.set(from, dir === undefined ? undefined : new ManifestCursor(dir));
    }
    return this.cursors.get(from);
  }
}

/** What the referenced snapshot's line says differently (undefined: the same file, its content there). */
export function carriedDiff(e: ManifestEntry, there: ManifestEntry | undefined, from: string): string | undefined {
  const where = `its content is said to be in snapshot ${from} at byte ${e.offset}`;
  if (!there) return `${where}, whose ${MANIFEST_FILE} does not list it`;
  if (there.type !== 'file') return `${where}, whose ${MANIFEST_FILE} lists it as a ${there.type}`;
  if (there.in !== undefined) return `${where}, whose ${MANIFEST_FILE} says its content is in ${there.in} instead`;
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
  return diffs.length ? `${where}, whose ${MANIFEST_FILE} disagrees: ${diffs.join('; ')}` : undefined;
}
