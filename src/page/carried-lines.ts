// verify.html's deep mode, format 2: the manifest lines whose content is in an earlier snapshot of
// the chain (carried forward), checked as verify/carried-check.ts checks them: each must name an
// earlier snapshot of the chain whose MANIFEST.tsv.gz holds the same file in its own tarball
// (the same words: layout/carried-diff.ts). A large file stored as changed blocks whose newest
// blocks are in this snapshot's tarball would have to be rebuilt over the chain's tarballs
// (verify/delta-rebuild.ts), which the page does not do: it is named UNCHECKED, never OK.
import { compareArchivePaths } from '../core/archive-order.js';
import { carriedDiff, deltaBaseDiff, deltaCarriedDiff } from '../layout/carried-diff.js';
import { MANIFEST_FILE_GZ } from '../layout/format.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { DeepFinding, DeepSpec } from './deep-walk.js';
import { manifestEntries } from './manifest-lines.js';

/** A referenced snapshot's manifest, walked forward in archive order. */
class Cursor {
  private it: AsyncGenerator<ManifestEntry> | undefined;
  private cur: ManifestEntry | undefined;
  broken: string | undefined;
  unchecked = 0;
  constructor(private readonly blob: Blob) {}
  async find(path: string): Promise<ManifestEntry | undefined> {
    if (!this.it) {
      this.it = manifestEntries(this.blob, true, [2]);
      this.cur = (await this.it.next()).value ?? undefined;
    }
    while (this.cur && compareArchivePaths(this.cur.path, path) < 0) this.cur = (await this.it.next()).value ?? undefined;
    return this.cur?.path === path ? this.cur : undefined;
  }
  close(): void {
    void this.it?.return(undefined);
  }
}

export class CarriedLines {
  private readonly cursors = new Map<string, Cursor | undefined>();
  /** Carried lines seen (snapshot.json's carried.files must agree). */
  count = 0;
  /** Delta'd files whose newest blocks are in this tarball: not rebuilt here. */
  readonly unchecked: string[] = [];

  constructor(private readonly spec: DeepSpec, private readonly report: (member: string, code: string, message: string) => void) {}

  /** The referenced manifests that could not be read, named; all closed. */
  finish(): DeepFinding[] {
    const out: DeepFinding[] = [];
    for (const [from, c] of this.cursors) {
      if (c?.broken) out.push({ code: 'carried-unchecked', message: `${c.unchecked} file(s) carried from snapshot ${from} could not be checked: its ${MANIFEST_FILE_GZ} cannot be read: ${c.broken}` });
      c?.close();
    }
    return out;
  }

  /** carried-check.ts check(): one carried line (`in` set), in manifest order. */
  async check(e: ManifestEntry): Promise<void> {
    const from = e.in!;
    const { id, chain } = this.spec;
    if (e.delta?.at(-1)?.in !== undefined || !e.delta?.length) this.count++;
    const earlier = chain ? chain.slice(0, -1).includes(from) : from !== id;
    if (!earlier) {
      const which = chain ? `its chain (${chain.join(', ')})` : 'this snapshot';
      return this.report(e.path, 'carried-not-in-chain', `its content is said to be in snapshot ${from}, which is not an earlier snapshot of ${which}`);
    }
    if (e.type !== 'file') return this.report(e.path, 'carried-mismatch', `a ${e.type} is never carried (folders, symlinks and hard links are in every tarball), yet its content is said to be in ${from}`);
    this.spec.onCarried(e as ManifestEntry & { in: string });
    if (e.delta?.length) return this.checkDelta(e);
    const there = await this.lineIn(from, e.path);
    if (there === false) return;
    const diff = carriedDiff(e, there, from);
    if (diff) this.report(e.path, 'carried-mismatch', diff);
  }

  private async checkDelta(e: ManifestEntry): Promise<void> {
    const { id, chain } = this.spec;
    const links = e.delta!;
    for (const l of links) {
      const linkId = l.in ?? id;
      this.spec.onCarried({ ...e, in: linkId, offset: l.offset });
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
    // Its newest blocks are in this tarball: only a rebuild over the chain's tarballs checks them
    // (verify/delta-rebuild.ts), which this page does not do. Named, never counted OK.
    this.unchecked.push(e.path);
  }

  private async lineIn(from: string, path: string): Promise<ManifestEntry | undefined | false> {
    if (!this.cursors.has(from)) {
      const blob = this.spec.baseManifest(from);
      this.cursors.set(from, blob && new Cursor(blob));
    }
    const c = this.cursors.get(from);
    if (!c) return false; // the snapshot is not on the drive: the chain check names that
    if (c.broken) {
      c.unchecked++;
      return false;
    }
    try {
      return await c.find(path);
    } catch (err) {
      c.broken = (err as Error).message;
      c.unchecked++;
      return false;
    }
  }
}
