// `verify --deep`: walks the tarball and MANIFEST.tsv side by side (both are in archive
// order) and names every member whose type, size, hash, mode, owner, mtime or link differs,
// every member missing from either side, and where the archive structure breaks. A format 2
// manifest also says where each member starts (checked against the tarball) and which files'
// content is in an earlier tarball of the chain: those lines go to carried-check instead.
import { isKeyProblem } from '../io/age-feed.js';
import { createHash, type Hash } from 'node:crypto';
import { compareArchivePaths } from '../core/archive-order.js';
import type { ManifestEntry, ManifestVersion, MemberType } from '../layout/manifest.js';
import type { Finding } from '../core/findings.js';
import { ManifestReader } from '../layout/manifest-reader.js';
import { TarFormatError, TarReader, type TarEntry } from '../layout/tar-reader.js';
import { CarriedCheck, type CarriedSpec } from './carried-check.js';
import { DELTA_DIR, isDeltaMember } from '../layout/delta-file.js';
import type { TarballDamage } from '../core/tarball-damage.js';

/** Beyond this many, member findings are summarised: one broken header can hide thousands. */
export const MAX_MEMBER_FINDINGS = 200;

/**
 * The tar type each manifest type is written as. The manifest is the truth: airgap writes a
 * file as type '0' (File) only, so a member of another type (a '7' contiguous file, an old-style
 * '\0' file) where the manifest says file is damage, here and in restore (which uses this too).
 */
const TAR_TYPE: Record<MemberType, string> = {
  file: 'File',
  dir: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
};

/** Whether a tar member's type (node-tar's name) is what the manifest says; if not, the finding's words. */
export function typeDisagreement(manifestType: MemberType, tarType: string): string | undefined {
  return TAR_TYPE[manifestType] === tarType ? undefined : `type is ${tarType}, manifest says ${manifestType}`;
}

interface ReadMember {
  entry: TarEntry;
  sha256?: string;
}

export interface DeepOptions {
  /** The manifest versions the snapshot may hold (its snapshot.json's format says which). */
  versions: readonly ManifestVersion[];
  /** Format 2: how to check the lines whose content is in an earlier tarball of the chain. */
  carried?: CarriedSpec;
}

/** Member findings that say this tarball's own content is damaged (not a carried line's). */
const TARBALL_DAMAGE = new Set(['member-damaged', 'member-missing', 'member-unlisted']);

export class DeepCheck {
  private reader: TarReader;
  private queue: ReadMember[] = [];
  private current: ReadMember | undefined;
  private hash: Hash | undefined;
  private manifest: ManifestReader;
  private pendingManifest: ManifestEntry | undefined;
  private manifestDone = false;
  /** MANIFEST.tsv could not be parsed to its end (reported as manifest-invalid). */
  manifestBroken = false;
  private memberFindings = 0;
  private suppressed = 0;
  checked = 0;
  structureError: TarFormatError | undefined;
  /** Format 2's carried lines, checked against the manifests of the chain. */
  readonly carried: CarriedCheck | undefined;
  /** What of this tarball the walk found damaged, for the files of later snapshots that depend on it. */
  private readonly damaged: TarballDamage = { all: false, paths: new Set() };
  /** Offset of the last member read whole: the walk broke off after it. */
  private lastGoodOffset = -1;

  /**
   * `onManifestEntry` sees every manifest entry once, in order, as the walk reads it (verify
   * checks FILES.sha256 against it in the same pass, instead of reading the manifest twice).
   */
  constructor(
    manifestPath: string, private readonly findings: Finding[], private readonly onManifestEntry?: (e: ManifestEntry) => Promise<void>,
    opts: DeepOptions = { versions: [1] },
  ) {
    this.manifest = new ManifestReader(manifestPath, opts.versions);
    this.carried = opts.carried && new CarriedCheck(opts.carried, findings, (member, code, message) => this.memberFinding(member, code, message));
    this.reader = new TarReader({
      entry: (e) => {
        this.current = { entry: e };
        this.hash = e.type === 'File' || e.type === 'OldFile' ? createHash('sha256') : undefined;
      },
      data: (chunk) => this.hash?.update(chunk),
      entryEnd: () => {
        const m = this.current!;
        if (this.hash) m.sha256 = this.hash.digest('hex');
        this.queue.push(m);
        this.current = undefined;
        this.hash = undefined;
      },
    });
  }

  /** Feeds one chunk of the tarball, then compares the members it completed. */
  async feed(chunk: Buffer): Promise<void> {
    if (this.structureError) return;
    try {
      this.reader.write(chunk);
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw e;
      this.structureError = e;
    }
    await this.drain();
  }

  async finish(): Promise<void> {
    if (!this.structureError) {
      try {
        this.reader.end();
      } catch (e) {
        if (!(e instanceof TarFormatError)) throw e;
        this.structureError = e;
      }
    }
    await this.drain();
    const s = this.structureError;
    if (s) {
      // Every member after the last one read whole is unreadable from here.
      this.damaged.from = Math.min(this.damaged.from ?? Infinity, this.lastGoodOffset + 1);
      const after = this.lastPath ? ` (after member "${this.lastPath}")` : '';
      this.findings.push({ severity: 'damage', code: 'archive-damaged', member: this.current?.entry.path,
        message: `tarball structure is damaged at byte ${s.offset}${after}: ${s.message}` });
      // Whatever the manifest still lists could not be checked.
      let unchecked = 0;
      const examples: string[] = [];
      for (let m = await this.nextManifest(); m; m = await this.nextManifest()) {
        unchecked++;
        if (examples.length < 5) examples.push(m.path);
      }
      if (unchecked > 0) {
        this.findings.push({ severity: 'damage', code: 'members-unchecked',
          message: `${unchecked} member(s) after the damage could not be read, e.g. ${examples.map((p) => JSON.stringify(p)).join(', ')}` });
      }
    } else {
      for (let m = await this.nextManifest(); m; m = await this.nextManifest()) this.memberFinding(m.path, 'member-missing', 'listed in the manifest but not in the tarball', undefined, undefined, m.offset);
      if (this.reader.trailingGarbageAt >= 0) {
        this.findings.push({ severity: 'damage', code: 'trailing-garbage', message: `non-zero bytes after the end of the archive at byte ${this.reader.trailingGarbageAt}` });
      }
    }
    if (this.suppressed > 0) {
      this.findings.push({ severity: 'damage', code: 'more-members-damaged', message: `${this.suppressed} more damaged member(s) not listed` });
    }
    this.manifest.close();
    this.carried?.finish();
  }

  /** What the walk found damaged in this tarball (every member, when the manifest could not say which). */
  damage(): TarballDamage {
    return this.manifestBroken ? { all: true, paths: new Set() } : this.damaged;
  }

  private lastPath: string | undefined;

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const got = this.queue.shift()!;
      this.lastPath = got.entry.path;
      this.lastGoodOffset = got.entry.offset;
      this.checked++;
      // Format 2's changed blocks of a large file, at the file's place in the archive order: not
      // files of the tree. They are checked by rebuilding the files they belong to (carried-check.ts).
      if (this.carried && isDeltaMember(got.entry.path)) {
        if (got.entry.type !== 'File' || !got.entry.path.startsWith(`${DELTA_DIR}/${this.carried.id}/`)) {
          this.memberFinding(got.entry.path, 'member-unlisted', `in the tarball but not in the manifest (not a changed-blocks member of this snapshot)`, undefined, undefined, got.entry.offset);
        }
        continue;
      }
      // Merge-join: skip manifest entries that sort before this member (missing from the tar).
      for (;;) {
        const m = await this.peekManifest();
        if (!m) {
          // With an unreadable manifest there is nothing to compare against (already reported).
          if (!this.manifestBroken) this.memberFinding(got.entry.path, 'member-unlisted', 'in the tarball but not in the manifest', undefined, undefined, got.entry.offset);
          break;
        }
        const c = compareArchivePaths(m.path, got.entry.path);
        if (c < 0) {
          this.pendingManifest = undefined;
          this.memberFinding(m.path, 'member-missing', 'listed in the manifest but not in the tarball', undefined, undefined, m.offset);
          continue;
        }
        if (c > 0) {
          this.memberFinding(got.entry.path, 'member-unlisted', 'in the tarball but not in the manifest', undefined, undefined, got.entry.offset);
          break;
        }
        this.pendingManifest = undefined;
        this.compare(m, got);
        break;
      }
    }
  }

  private compare(m: ManifestEntry, got: ReadMember): void {
    const e = got.entry;
    const diffs: string[] = [];
    let expected: string | undefined;
    let actual: string | undefined;
    const wrongType = typeDisagreement(m.type, e.type);
    if (wrongType) diffs.push(wrongType);
    else if (m.type === 'file') {
      if (e.size !== m.size) diffs.push(`size is ${e.size}, manifest says ${m.size}`);
      if (got.sha256 !== m.sha256) {
        diffs.push('content does not match its SHA-256');
        expected = m.sha256;
        actual = got.sha256;
      }
    } else if ((m.type === 'symlink' || m.type === 'hardlink') && e.linkpath !== m.link) {
      diffs.push(`link target is ${JSON.stringify(e.linkpath)}, manifest says ${JSON.stringify(m.link)}`);
    }
    if (e.mode !== m.mode) diffs.push(`mode is ${e.mode.toString(8)}, manifest says ${m.mode.toString(8)}`);
    if (e.mtime !== m.mtime) diffs.push(`mtime is ${e.mtime}, manifest says ${m.mtime}`);
    if (e.uid !== m.uid || e.gid !== m.gid) diffs.push(`owner is ${e.uid}:${e.gid}, manifest says ${m.uid}:${m.gid}`);
    // Format 2: a member read alone from the manifest's offset (layout/member-at) must start there.
    if (m.offset !== undefined && m.offset !== e.offset) diffs.push(`starts at byte ${e.offset}, manifest says ${m.offset}`);
    if (diffs.length > 0) this.memberFinding(m.path, 'member-damaged', diffs.join('; '), expected, actual, e.offset);
  }

  /** `offset`: where the member starts in this tarball, for a finding about its content (TARBALL_DAMAGE). */
  private memberFinding(member: string, code: string, message: string, expected?: string, actual?: string, offset?: number): void {
    const suppress = this.memberFindings >= MAX_MEMBER_FINDINGS;
    if (TARBALL_DAMAGE.has(code)) {
      // Past the cap the members are no longer named: count every one from the first unnamed on.
      if (!suppress) this.damaged.paths.add(member);
      else if (offset === undefined) this.damaged.all = true;
      else this.damaged.from ??= offset;
    }
    if (suppress) {
      this.suppressed++;
      return;
    }
    this.memberFindings++;
    const f: Finding = { severity: 'damage', code, member, message: `${JSON.stringify(member)}: ${message}` };
    if (expected) f.expected = expected;
    if (actual) f.actual = actual;
    this.findings.push(f);
  }

  private async peekManifest(): Promise<ManifestEntry | undefined> {
    if (!this.pendingManifest && !this.manifestDone) this.pendingManifest = await this.readManifest();
    return this.pendingManifest;
  }

  private async nextManifest(): Promise<ManifestEntry | undefined> {
    const m = await this.peekManifest();
    this.pendingManifest = undefined;
    return m;
  }

  private async readManifest(): Promise<ManifestEntry | undefined> {
    if (this.manifestBroken) return undefined;
    try {
      for (;;) {
        const m = await this.manifest.next();
        if (!m) this.manifestDone = true;
        else await this.onManifestEntry?.(m);
        // A carried file's content is in an earlier tarball of the chain, never in this one.
        if (m?.in === undefined) return m;
        if (this.carried) await this.carried.check(m);
        else this.memberFinding(m.path, 'carried-not-in-chain', `its content is said to be in snapshot ${m.in}, which this check was not told about`);
      }
    } catch (e) {
      if (isKeyProblem(e)) throw e; // no key, or the wrong one: a refusal, never "damaged"
      this.manifestBroken = true;
      this.manifestDone = true;
      this.findings.push({ severity: 'damage', code: 'manifest-invalid', message: `${this.manifest.file} cannot be read: ${(e as Error).message}` });
      return undefined;
    }
  }
}
