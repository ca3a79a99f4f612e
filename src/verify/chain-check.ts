// Format 2's (and 3's) chains, as verify sees them (docs/FORMAT.md): an increment can be restored only
// with every snapshot of its chain, so a link that is missing, incomplete or damaged makes the
// increment damage too, naming that link; and a damaged snapshot names every snapshot that
// builds on it (core/chains.ts dependantsOf) and, with --deep, the files of theirs whose content
// is in what is damaged of its tarball (issue 16). Snapshots are verified oldest first, so a base's
// damage is known when the increments that carry files from it are walked.
import { dependantsOf, type ChainSnapshot } from '../core/chains.js';
import { damaged, DEPENDANT_FILES_SHOWN, type Finding } from '../core/findings.js';
import { readDriveContents, type DriveContents } from '../layout/drive-contents.js';
import { isChainedFormat, type SnapshotMeta } from '../layout/format.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { readSnapshotMeta } from '../layout/snapshot-meta.js';
import type { VerifiedSnapshot } from './verify-snapshot.js';
import { plural } from '../core/plural.js';
import { affects, type TarballDamage } from '../core/tarball-damage.js';


/** What verifying one snapshot of a drive needs to know of the others, and tells about itself. */
export interface ChainContext {
  /** The folder of a complete snapshot on this drive; undefined when it is not there. */
  dirOf(id: string): string | undefined;
  /** --deep: its tarball does not check out; this is what of it is damaged. */
  onTarballDamage?(snapshot: string, d: TarballDamage): void;
  /** --deep: a file line of `snapshot` whose content is in an earlier snapshot (`e.in`) of its chain. */
  onCarried?(snapshot: string, e: ManifestEntry & { in: string }): void;
}

/** For a snapshot verified on its own: its sibling folders are the drive's other snapshots. */
export async function siblingContext(airgapDir: string): Promise<ChainContext> {
  const contents = await readDriveContents(airgapDir).catch(() => undefined);
  return { dirOf: (id) => contents?.snapshots.find((s) => s.id === id && s.complete)?.dir };
}

interface DependantFiles {
  shown: { snapshot: string; path: string }[];
  total: number;
}

/** The chains of one drive through one verify run: collects what the snapshots' checks report, then judges. */
export class DriveChains {
  private readonly tarballDamage = new Map<string, TarballDamage>();
  private readonly files = new Map<string, DependantFiles>();

  constructor(private readonly contents: DriveContents) {}

  readonly context: ChainContext = {
    dirOf: (id) => this.contents.snapshots.find((s) => s.id === id && s.complete)?.dir,
    onTarballDamage: (id, d) => {
      this.tarballDamage.set(id, d);
      this.files.set(id, { shown: [], total: 0 });
    },
    onCarried: (snapshot, e) => {
      const d = this.tarballDamage.get(e.in);
      if (!d || !affects(d, e)) return;
      const f = this.files.get(e.in)!;
      f.total++;
      if (f.shown.length < DEPENDANT_FILES_SHOWN) f.shown.push({ snapshot, path: e.path });
    },
  };

  /**
   * After the snapshots of this run were verified (each with its own findings): every increment
   * whose chain is not whole gets a finding per bad link, and every damaged snapshot one naming
   * what depends on it. A snapshot damaged only through its chain is no bad link of another
   * (its base is named there instead).
   */
  async judge(reports: VerifiedSnapshot[]): Promise<void> {
    const own = new Map(reports.map((r) => [r.id, r.status]));
    const metas = await this.metas(reports);
    const all: ChainSnapshot[] = this.contents.snapshots.map((s) => {
      const base = metas.get(s.id)?.base;
      return { id: s.id, bytes: 0, complete: s.complete, ...(base !== undefined ? { base } : {}) };
    });
    for (const r of reports) {
      const chain = r.meta && isChainedFormat(r.meta.formatVersion) ? r.meta.chain : undefined;
      if (chain && chain.length > 1) r.findings.push(...linkFindings(chain, r.meta!.formatVersion, own, metas, (id) => this.contents.snapshots.find((s) => s.id === id)));
      if (own.get(r.id) !== 'ok') {
        const deps = dependantsOf(all, r.id);
        // Their files are known only when every one of them was walked (--deep) in this run.
        const walked = r.deep && deps.every((d) => own.has(d));
        if (deps.length) r.findings.push(dependantsFinding(r.id, deps, walked ? this.files.get(r.id) : undefined));
      }
      if (damaged(r.findings) && r.status === 'ok') r.status = 'damaged';
    }
  }

  /** snapshot.json of every complete snapshot: from the reports, else read (undefined when unusable). */
  private async metas(reports: VerifiedSnapshot[]): Promise<Map<string, SnapshotMeta | undefined>> {
    const out = new Map<string, SnapshotMeta | undefined>(reports.map((r) => [r.id, r.meta]));
    for (const s of this.contents.snapshots) {
      if (!out.has(s.id) && s.complete) out.set(s.id, await readSnapshotMeta(s).catch(() => undefined));
    }
    return out;
  }
}

/** One finding per link of `chain` (itself excluded) that a restore of it could not use; a note for links not verified in this run. */
function linkFindings(
  chain: string[], format: number, own: Map<string, string>, metas: Map<string, SnapshotMeta | undefined>,
  folderOf: (id: string) => { complete: boolean } | undefined,
): Finding[] {
  const out: Finding[] = [];
  const unverified: string[] = [];
  const bad = (link: string, code: string, why: string) =>
    out.push({ severity: 'damage', code, link, message: `cannot be restored: its chain needs ${link}, which ${why}` });
  for (const [i, link] of chain.slice(0, -1).entries()) {
    const folder = folderOf(link);
    const meta = metas.get(link);
    const expected = chain.slice(0, i + 1).join(', ');
    if (!folder) bad(link, 'chain-link-missing', 'is missing from this drive');
    else if (!folder.complete) bad(link, 'chain-link-incomplete', 'is incomplete (never finished, or partly copied)');
    else if (own.get(link) === 'damaged') bad(link, 'chain-link-damaged', 'is damaged (see its findings)');
    else if (!meta) bad(link, 'chain-link-damaged', 'has no usable snapshot.json');
    else if (meta.chain?.join(', ') !== expected) {
      bad(link, 'chain-link-mismatch', `is not the snapshot it built on: its chain should be ${expected}, its snapshot.json says ${meta.chain ? meta.chain.join(', ') : `format ${meta.formatVersion}, no chain`}`);
    } else if (meta.formatVersion !== format) {
      // Formats 2 and 3 store their tarballs differently (`.tar`, `.tar.gz`): a restore reads a chain as one format.
      bad(link, 'chain-link-mismatch', `is of snapshot format ${meta.formatVersion}, this snapshot of format ${format}: a chain never mixes formats`);
    } else if (!own.has(link)) unverified.push(link);
  }
  if (unverified.length) {
    out.push({ severity: 'note', code: 'chain-unverified', message: `restoring it also needs ${unverified.join(', ')}, not verified in this run (verify the whole drive to check them)` });
  }
  return out;
}

/** A damaged snapshot's finding: the snapshots whose chain runs through it, and (deep) their files whose content is damaged here. */
function dependantsFinding(id: string, deps: string[], files: DependantFiles | undefined): Finding {
  const shown = deps.length > 10 ? `${deps.slice(0, 10).join(', ')} and ${deps.length - 10} more` : deps.join(', ');
  let message = `${plural(deps.length, 'later snapshot')} ${deps.length === 1 ? 'builds' : 'build'} on ${id} and cannot be restored from this drive while it is damaged: ${shown}`;
  const f: Finding = { severity: 'damage', code: 'chain-dependants', message, dependants: deps };
  if (files) {
    f.dependantFiles = files.shown;
    f.dependantFilesTotal = files.total;
    // The files themselves are in dependantFiles (the text output lists them below the message).
    message += files.total
      ? `; ${files.total} of their files ${files.total === 1 ? 'has its' : 'have their'} content in what is damaged here`
      : '; none of their files has its content in what is damaged here';
    f.message = message;
  }
  return f;
}

