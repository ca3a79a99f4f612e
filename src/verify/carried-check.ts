// `verify --deep`, format 2: the manifest lines whose content is not in this snapshot's tarball
// but in an earlier one of its chain (files carried forward unchanged, docs/FORMAT.md). The
// walk of this tarball cannot check them, so each must name an earlier snapshot of the chain, and
// that snapshot's MANIFEST.tsv must hold the same file with its content in its own tarball, at
// the same offset and with the same header: what a restore relies on (readMemberAt at the offset,
// or stock tar over the chain, which gives the file that tarball's header). The snapshot that
// holds the content checks it against its own tarball when it is verified.
// Each referenced manifest is walked in archive order beside this one, never loaded: memory stays
// flat however many files a snapshot holds.
import { isKeyProblem } from '../io/age-feed.js';
import { basename } from 'node:path';
import { compareArchivePaths } from '../core/archive-order.js';
import { rebuildProblem } from './delta-rebuild.js';
import { tarballPartsOf } from './tarball-parts.js';
import type { Finding } from '../core/findings.js';
import { MANIFEST_FILE_GZ } from '../layout/format.js';
import { chainManifestPath } from '../layout/snapshot-meta.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { carriedDiff, deltaBaseDiff, deltaCarriedDiff } from '../layout/carried-diff.js';

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
  private reader: ManifestReader | undefined;
  private cur: ManifestEntry | undefined;
  private started = false;
  /** Why it cannot be read (then the files carried from it are not checked, and counted). */
  broken: string | undefined;
  unchecked = 0;

  constructor(private readonly dir: string) {}

  /** The line for `path`, or undefined; paths must come in archive order. Throws on a damaged manifest. */
  async find(path: string): Promise<ManifestEntry | undefined> {
    if (!this.started) {
      this.started = true;
      // Only format 2 snapshots are bases; an encrypted one's manifest is MANIFEST.tsv.gz.age.
      this.reader = new ManifestReader(await chainManifestPath(this.dir, basename(this.dir)), [2]);
      this.cur = await this.reader.next();
    }
    while (this.cur && compareArchivePaths(this.cur.path, path) < 0) this.cur = await this.reader!.next();
    return this.cur?.path === path ? this.cur : undefined;
  }

  close(): void {
    this.reader?.close();
  }
}

export class CarriedCheck {
  private readonly cursors = new Map<string, ManifestCursor | undefined>();
  /** Carried lines seen (snapshot.json's `carried.files` must agree). */
  count = 0;

  constructor(private readonly spec: CarriedSpec, private readonly findings: Finding[], private readonly report: MemberReport) {}

  /** The snapshot being checked. */
  get id(): string {
    return this.spec.id;
  }

  /** One carried line of this snapshot's manifest (`in` set), in manifest order. */
  readonly check = async (e: ManifestEntry): Promise<void> => {
    const from = e.in!;
    const { id, chain } = this.spec;
    // A delta'd file whose newest blocks this snapshot wrote is stored here, not carried.
    if (e.delta?.at(-1)?.in !== undefined || !e.delta?.length) this.count++;
    const earlier = chain ? chain.slice(0, -1).includes(from) : from !== id;
    if (!earlier) {
      const which = chain ? `its chain (${chain.join(', ')})` : 'this snapshot';
      return this.report(e.path, 'carried-not-in-chain', `its content is said to be in snapshot ${from}, which is not an earlier snapshot of ${which}`);
    }
    if (e.type !== 'file') return this.report(e.path, 'carried-mismatch', `a ${e.type} is never carried (folders, symlinks and hard links are in every tarball), yet its content is said to be in ${from}`);
    this.spec.onCarried?.(e as ManifestEntry & { in: string });
    if (e.delta?.length) return this.checkDelta(e);
    const there = await this.lineIn(from, e.path);
    if (there === false) return;
    const diff = carriedDiff(e, there, from);
    if (diff) this.report(e.path, 'carried-mismatch', diff);
  };

  /** The line for `path` in snapshot `from`'s manifest; false when that manifest cannot be read (counted, named at the end). */
  private async lineIn(from: string, path: string): Promise<ManifestEntry | undefined | false> {
    const cursor = this.cursorOf(from);
    if (!cursor) return false;
    if (cursor.broken) {
      cursor.unchecked++;
      return false;
    }
    try {
      return await cursor.find(path);
    } catch (err) {
      if (isKeyProblem(err)) throw err; // no key: a refusal, not damage of the base
      cursor.broken = (err as Error).message;
      cursor.unchecked++;
      return false;
    }
  }

  /**
   * A delta'd file (a large file stored as its changed blocks). Its base line must be the whole
   * copy at the line's offset, with the same header bits a delta keeps. Then: when this snapshot
   * wrote its newest blocks, the file is rebuilt from the drive and hashed (the only check of
   * those blocks); else the line must be the one of the snapshot that wrote them, which checks
   * it when it is verified.
   */
  private async checkDelta(e: ManifestEntry): Promise<void> {
    const { id, chain } = this.spec;
    const links = e.delta!;
    for (const l of links) {
      const linkId = l.in ?? id;
      this.spec.onCarried?.({ ...e, in: linkId, offset: l.offset });
      if (l.in !== undefined && !(chain ? chain.slice(0, -1).includes(l.in) : l.in !== id)) {
        return this.report(e.path, 'carried-not-in-chain', `its changed blocks are said to be in snapshot ${l.in}, which is not an earlier snapshot of its chain`);
      }
    }
    const base = await this.lineIn(e.in!, e.path);
    if (base === false) return;
    const baseDiff = deltaBaseDiff(e, base, e.in!);
    if (baseDiff) return this.report(e.path, 'carried-mismatch', baseDiff);
    const newest = links.at(-1)!.in;
    if (newest !== undefined) {
      const there = await this.lineIn(newest, e.path);
      if (there === false) return;
      const diff = deltaCarriedDiff(e, there, newest);
      if (diff) this.report(e.path, 'carried-mismatch', diff);
      return;
    }
    await this.rebuild(e);
  }

  /** Reads the file as a restore would build it, and compares it with the line's SHA-256. */
  private async rebuild(e: ManifestEntry): Promise<void> {
    const problem = await rebuildProblem(e, this.spec.id, async (s) => {
      const dir = this.spec.dirOf(s);
      return dir === undefined ? undefined : tarballPartsOf(dir, s);
    });
    // Whatever keeps it from being rebuilt is damage of this snapshot's tarball (its dependants are named).
    if (problem) this.report(e.path, 'member-damaged', problem.message);
  }

  /** Names the referenced manifests that could not be read, and closes them all. */
  finish(): void {
    for (const [from, c] of this.cursors) {
      if (c?.broken) {
        this.findings.push({ severity: 'damage', code: 'carried-unchecked', link: from,
          message: `${c.unchecked} file(s) carried from snapshot ${from} could not be checked: its ${MANIFEST_FILE_GZ} cannot be read: ${c.broken}` });
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
