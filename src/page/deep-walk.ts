// verify.html's deep mode for one plain snapshot: its tarball (the parts as one stream) walked
// beside its manifest, both in archive order, every member compared with its line, as
// `airgap verify --deep` does (src/verify/deep-check.ts): the same finding codes and words, by
// member. Format 2's lines whose content is in an earlier snapshot are checked by carried-lines.ts.
// Format 3 feeds it the tar block by block (gzip-tarball.ts BlockFeed); a gzip block that does not
// inflate is a hole in the tar (skipDamaged): the members the manifest places before the first
// member starting after the hole are named damaged, and the walk starts again at that member.
import { compareArchivePaths } from '../core/archive-order.js';
import type { TarballDamage } from '../core/tarball-damage.js';
import { CarriedLines } from './carried-lines.js';
import { DELTA_DIR } from '../layout/delta-names.js';
import { MANIFEST_FILE_GZ } from '../layout/format.js';
import type { ManifestEntry, ManifestVersion, MemberType } from '../layout/manifest.js';
import { manifestEntries } from './manifest-lines.js';
import { TarStructureError, TarWalk, type Member } from './tar-walk.js';

/** As the CLI's MAX_MEMBER_FINDINGS: one broken header can hide thousands. */
const MAX_MEMBER_FINDINGS = 200;
const TAR_TYPE: Record<MemberType, string> = { file: 'File', dir: 'Directory', symlink: 'SymbolicLink', hardlink: 'Link' };
const TARBALL_DAMAGE = new Set(['member-damaged', 'member-missing', 'member-unlisted']);

export interface DeepFinding {
  code: string;
  message: string;
  member?: string;
  file?: string;
}

export interface DeepSpec {
  id: string;
  manifest: Blob;
  gzipped: boolean;
  versions: readonly ManifestVersion[];
  /** Format 2 (or unknown): carried lines are checked; the chain from snapshot.json, if usable. */
  carried: boolean;
  chain: readonly string[] | undefined;
  /** A complete snapshot's MANIFEST.tsv.gz on the picked drive (undefined: not there, or not readable here). */
  baseManifest: (id: string) => Blob | undefined;
  /** Every manifest entry, in order (file-sums-lines.ts checks FILES.sha256 against them). */
  onEntry?: (e: ManifestEntry) => Promise<void>;
  /**
   * A delta'd file whose newest blocks are in this tarball, rebuilt from the chain's tarballs
   * (delta-rebuild.ts): undefined when it checks out; 'cannot' when the page cannot read a tarball
   * it needs (UNCHECKED). Absent: every such file is UNCHECKED.
   */
  rebuild?: (e: ManifestEntry) => Promise<{ message: string } | 'cannot' | undefined>;
  /** Every carried file line (the drive's page ties it to damage found in that tarball). */
  onCarried: (e: ManifestEntry & { in: string }) => void;
}

export class DeepWalk {
  readonly findings: DeepFinding[] = [];
  /** Delta'd files the page cannot rebuild (a tarball they need is encrypted): not OK, not damaged; airgap verify --deep checks them. */
  get unchecked(): string[] {
    return this.carried.unchecked;
  }
  checked = 0;
  manifestBroken = false;
  private tar: TarWalk;
  /** The tar offset of the next byte fed. */
  private at = 0;
  /** After a damaged gzip block: bytes before this tar offset are not walked (Infinity: none after it). */
  private resumeAt = 0;
  private readonly queue: Member[] = [];
  private readonly manifest: AsyncGenerator<ManifestEntry>;
  private pending: ManifestEntry | undefined;
  private manifestDone = false;
  private structure: TarStructureError | undefined;
  private lastPath: string | undefined;
  private lastGoodOffset = -1;
  private memberFindings = 0;
  private suppressed = 0;
  private readonly damaged: TarballDamage = { all: false, paths: new Set() };
  private readonly carried: CarriedLines;

  constructor(private readonly spec: DeepSpec) {
    this.tar = new TarWalk((m) => this.queue.push(m));
    this.manifest = manifestEntries(spec.manifest, spec.gzipped, spec.versions);
    this.carried = new CarriedLines(spec, (member, code, message) => this.memberFinding(member, code, message));
  }

  /** Carried lines seen (snapshot.json's carried.files must agree). */
  get carriedCount(): number {
    return this.carried.count;
  }

  /** One piece of the tarball, in order; the members it completed are compared. */
  async feed(chunk: Uint8Array): Promise<void> {
    const from = this.at;
    this.at += chunk.length;
    if (this.structure || this.at <= this.resumeAt) return;
    if (from < this.resumeAt) chunk = chunk.subarray(this.resumeAt - from);
    try {
      this.tar.write(chunk);
    } catch (e) {
      if (!(e instanceof TarStructureError)) throw e;
      this.structure = e;
    }
    await this.drain();
  }

  /**
   * Format 3: the tar bytes [start, end) are lost (a gzip block that does not inflate; `finding`
   * says which). The members the manifest places before the first one that starts at or after
   * `end` and that were not read whole are damaged; the walk goes on at that member, a new tar
   * walk from its offset (the blocks after are read as usual). Without a manifest that says where
   * members start, nothing after the hole can be placed: the walk stops there, as at a broken header.
   */
  async skipDamaged(start: number, end: number, finding: DeepFinding): Promise<void> {
    this.findings.push(finding);
    this.at = end; // the hole's bytes never come: the next block's first byte is tar byte `end`
    if (this.structure) return;
    await this.drain(); // the members read whole before the hole are compared first
    for (;;) {
      const m = await this.peekManifest();
      if (!m) {
        this.resumeAt = Infinity; // nothing the manifest lists comes after: the rest of the tar is not walked
        return;
      }
      if (m.offset === undefined) {
        this.structure = new TarStructureError(`a gzip block does not inflate (tar bytes ${start} to ${end}), and the manifest does not say where members start`, start);
        return;
      }
      if (m.offset >= end) {
        this.resumeAt = m.offset;
        this.tar = new TarWalk((x) => this.queue.push(x), undefined, m.offset);
        return;
      }
      this.pending = undefined;
      this.memberFinding(m.path, 'member-damaged', `its bytes are in a gzip block that does not inflate (tar bytes ${start} to ${end})`, m.offset);
    }
  }

  async finish(): Promise<void> {
    // After a hole past the manifest's last member, the rest of the tar (its end marker) is not
    // walked: what it may hold cannot be named, and the hole is damage already.
    const walkedToEnd = this.resumeAt !== Infinity;
    if (!this.structure && walkedToEnd) {
      try {
        this.tar.end();
      } catch (e) {
        if (!(e instanceof TarStructureError)) throw e;
        this.structure = e;
      }
    }
    await this.drain();
    const s = this.structure;
    if (s) {
      this.damaged.from = Math.min(this.damaged.from ?? Infinity, this.lastGoodOffset + 1);
      const after = this.lastPath ? ` (after member "${this.lastPath}")` : '';
      this.findings.push({ code: 'archive-damaged', message: `tarball structure is damaged at byte ${s.offset}${after}: ${s.message}` });
      let unchecked = 0;
      const examples: string[] = [];
      for (let m = await this.nextManifest(); m; m = await this.nextManifest()) {
        unchecked++;
        if (examples.length < 5) examples.push(m.path);
      }
      if (unchecked > 0) this.findings.push({ code: 'members-unchecked', message: `${unchecked} member(s) after the damage could not be read, e.g. ${examples.map((p) => JSON.stringify(p)).join(', ')}` });
    } else {
      for (let m = await this.nextManifest(); m; m = await this.nextManifest()) this.memberFinding(m.path, 'member-missing', 'listed in the manifest but not in the tarball', m.offset);
      if (walkedToEnd && this.tar.trailingGarbageAt >= 0) this.findings.push({ code: 'trailing-garbage', message: `non-zero bytes after the end of the archive at byte ${this.tar.trailingGarbageAt}` });
    }
    if (this.suppressed > 0) this.findings.push({ code: 'more-members-damaged', message: `${this.suppressed} more damaged member(s) not listed` });
    this.findings.push(...this.carried.finish());
  }

  /** What of this tarball the walk found damaged (every member, when the manifest could not say which). */
  damage(): TarballDamage {
    return this.manifestBroken ? { all: true, paths: new Set() } : this.damaged;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const got = this.queue.shift()!;
      this.lastPath = got.path;
      this.lastGoodOffset = got.offset;
      this.checked++;
      // Format 2's changed blocks of a large file: not files of the tree (deep-check.ts).
      if (this.spec.carried && got.path.startsWith(`${DELTA_DIR}/`)) {
        if (got.type !== 'File' || !got.path.startsWith(`${DELTA_DIR}/${this.spec.id}/`)) {
          this.memberFinding(got.path, 'member-unlisted', 'in the tarball but not in the manifest (not a changed-blocks member of this snapshot)', got.offset);
        }
        continue;
      }
      for (;;) {
        const m = await this.peekManifest();
        if (!m) {
          if (!this.manifestBroken) this.memberFinding(got.path, 'member-unlisted', 'in the tarball but not in the manifest', got.offset);
          break;
        }
        const c = compareArchivePaths(m.path, got.path);
        if (c < 0) {
          this.pending = undefined;
          this.memberFinding(m.path, 'member-missing', 'listed in the manifest but not in the tarball', m.offset);
          continue;
        }
        if (c > 0) {
          this.memberFinding(got.path, 'member-unlisted', 'in the tarball but not in the manifest', got.offset);
          break;
        }
        this.pending = undefined;
        this.compare(m, got);
        break;
      }
    }
  }

  /** The member against its line: deep-check.ts compare(), the same words. */
  private compare(m: ManifestEntry, e: Member): void {
    const diffs: string[] = [];
    if (TAR_TYPE[m.type] !== e.type) diffs.push(`type is ${e.type}, manifest says ${m.type}`);
    else if (m.type === 'file') {
      if (e.size !== m.size) diffs.push(`size is ${e.size}, manifest says ${m.size}`);
      if (e.sha256 !== m.sha256) diffs.push('content does not match its SHA-256');
    } else if ((m.type === 'symlink' || m.type === 'hardlink') && e.linkpath !== m.link) {
      diffs.push(`link target is ${JSON.stringify(e.linkpath)}, manifest says ${JSON.stringify(m.link)}`);
    }
    if (e.mode !== m.mode) diffs.push(`mode is ${e.mode.toString(8)}, manifest says ${m.mode.toString(8)}`);
    if (e.mtime !== m.mtime) diffs.push(`mtime is ${e.mtime}, manifest says ${m.mtime}`);
    if (e.uid !== m.uid || e.gid !== m.gid) diffs.push(`owner is ${e.uid}:${e.gid}, manifest says ${m.uid}:${m.gid}`);
    if (m.offset !== undefined && m.offset !== e.offset) diffs.push(`starts at byte ${e.offset}, manifest says ${m.offset}`);
    if (diffs.length > 0) this.memberFinding(m.path, 'member-damaged', diffs.join('; '), e.offset);
  }

  private memberFinding(member: string, code: string, message: string, offset?: number): void {
    const suppress = this.memberFindings >= MAX_MEMBER_FINDINGS;
    if (TARBALL_DAMAGE.has(code)) {
      if (!suppress) this.damaged.paths.add(member);
      else if (offset === undefined) this.damaged.all = true;
      else this.damaged.from ??= offset;
    }
    if (suppress) {
      this.suppressed++;
      return;
    }
    this.memberFindings++;
    this.findings.push({ code, member, message: `${JSON.stringify(member)}: ${message}` });
  }

  private async peekManifest(): Promise<ManifestEntry | undefined> {
    if (!this.pending && !this.manifestDone) this.pending = await this.readManifest();
    return this.pending;
  }

  private async nextManifest(): Promise<ManifestEntry | undefined> {
    const m = await this.peekManifest();
    this.pending = undefined;
    return m;
  }

  private async readManifest(): Promise<ManifestEntry | undefined> {
    if (this.manifestBroken) return undefined;
    try {
      for (;;) {
        const r = await this.manifest.next();
        const m = r.done ? undefined : r.value;
        if (!m) this.manifestDone = true;
        else await this.spec.onEntry?.(m); // FILES.sha256 checked in the same read of the manifest
        if (m?.in === undefined) return m;
        if (this.spec.carried) await this.carried.check(m);
        else this.memberFinding(m.path, 'carried-not-in-chain', `its content is said to be in snapshot ${m.in}, which this check was not told about`);
      }
    } catch (e) {
      this.manifestBroken = true;
      this.manifestDone = true;
      this.findings.push({ code: 'manifest-invalid', message: `${this.spec.gzipped ? MANIFEST_FILE_GZ : 'MANIFEST.tsv'} cannot be read: ${(e as Error).message}` });
      return undefined;
    }
  }
}
