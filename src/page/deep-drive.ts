// Deep mode over a whole drive: for each plain snapshot, a walk of its tarball against its
// manifest (deep-walk.ts) fed by the same read that hashes the tarball for SHA256SUMS
// (check-snapshot.ts TarballTap); then, as verify/chain-check.ts does, the files of later
// snapshots whose content is in what is damaged of an earlier tarball. Snapshots are checked
// oldest first, so a base's damage is known when the increments that carry files from it are walked.
// Format 3 (a block-gzipped `<ID>.tar.gz`): its index is read and checked first; the stored bytes
// are hashed as read and the walk is fed their tar, block by block (gzip-tarball.ts).
import { dependantsOf, type ChainSnapshot } from '../core/chains.js';
import { DEPENDANT_FILES_SHOWN } from '../core/findings.js';
import {
  fileSumsFileOf, gzipIndexName, isChainedFormat, MANIFEST_FILE, MANIFEST_FILE_GZ, MAX_SNAPSHOT_JSON_BYTES, SNAPSHOT_JSON, SUMS_FILE, type SnapshotMeta,
} from '../layout/format.js';
import { parseSnapshotMetaText } from '../layout/snapshot-meta-parse.js';
import type { SnapshotResult, TarballTap } from './check-snapshot.js';
import { rebuildProblem, type TarballBlob } from './delta-rebuild.js';
import { affects, type TarballDamage } from '../core/tarball-damage.js';
import { DeepWalk, type DeepFinding } from './deep-walk.js';
import { BlockFeed, gzipTarBytes, plainTarBytes, readIndex } from './gzip-tarball.js';
import type { DriveTree, SnapshotFiles } from './drive-tree.js';
import { FileSumsLines } from './file-sums-lines.js';

/** A snapshot's deep result, shown under its SHA256SUMS check (render.ts). */
export interface DeepResult {
  /** Why the tarball was not walked (encrypted, a part missing, a format 3 index unusable); undefined when it was. */
  notWalked?: string;
  findings: DeepFinding[];
  unchecked: string[];
  checked: number;
  /** Files of later snapshots whose content is in what is damaged here (when every one of them was walked). */
  dependantFiles?: { snapshot: string; path: string }[];
  dependantFilesTotal?: number;
}

const ALL_DAMAGED: TarballDamage = { all: true, paths: new Set() };

export class DeepDrive {
  private readonly damage = new Map<string, TarballDamage>();
  private readonly files = new Map<string, { shown: { snapshot: string; path: string }[]; total: number }>();
  private readonly walked = new Set<string>();
  /** Each snapshot's tarball as start() was given it (oldest first: a delta'd file's chain is known when it is rebuilt). */
  private readonly tarballs = new Map<string, TarballBlob>();
  readonly results = new Map<string, DeepResult>();

  /**
   * `rebuildBytes`: the progress line, told of the bytes a delta'd file's rebuild will read
   * (`more`: they were not in its total) and of each read (`read`): they are read a second time.
   */
  constructor(private readonly tree: DriveTree<Blob>, private readonly rebuildBytes?: { more(n: number): void; read(n: number): void }) {}

  /** The tap that walks snapshot `s`'s tarball while it is hashed; `done` after its check. */
  forSnapshot(s: SnapshotFiles<Blob>): TarballTap & { done(r: SnapshotResult): Promise<void> } {
    let walk: DeepWalk | undefined;
    let fileSums: FileSumsLines | undefined;
    let tarNames: string[] = [];
    const result: DeepResult = { findings: [], unchecked: [], checked: 0 };
    this.results.set(s.id, result);
    return {
      start: async (names, listed, encrypted, compressed) => {
        tarNames = names;
        // Random access for delta rebuilds: the parts as one Blob (a lazy view: nothing is copied).
        const whole = names.length === 0 || names.some((n) => !s.files.has(n)) ? undefined : new Blob(names.map((n) => s.files.get(n)!));
        this.tarballs.set(s.id, encrypted ? 'sealed' : whole && !compressed ? plainTarBytes(whole) : undefined);
        if (encrypted) {
          result.notWalked = 'encrypted: checking the files inside needs the passphrase and airgap (airgap verify --deep)';
          return undefined;
        }
        if (!whole) {
          result.notWalked = 'the tarball (or a part of it) is missing: not walked';
          return undefined;
        }
        const meta = await metaOf(s);
        const gz = compressed ? await this.gzipFeed(s, names, listed, whole, meta) : undefined;
        if (gz && 'why' in gz) {
          result.notWalked = `${gz.why}: the tarball is not walked`;
          return undefined;
        }
        const gzipped = listed.has(MANIFEST_FILE_GZ);
        const sumsName = fileSumsFileOf(gzipped ? 2 : 1);
        const sums = new FileSumsLines(s.files.get(sumsName), gzipped, sumsName, gzipped ? MANIFEST_FILE_GZ : MANIFEST_FILE);
        fileSums = sums;
        walk = new DeepWalk({
          id: s.id,
          // A listed manifest that is not there reads as empty: manifest-invalid, as the CLI finds it.
          manifest: s.files.get(gzipped ? MANIFEST_FILE_GZ : MANIFEST_FILE) ?? new Blob([]),
          gzipped,
          versions: meta ? (isChainedFormat(meta.formatVersion) ? [2] : [1]) : [1, 2],
          carried: meta?.formatVersion !== 1,
          chain: meta?.chain,
          onEntry: (e) => sums.next(e),
          rebuild: (e) => rebuildProblem(e, s.id, (id) => this.tarballs.get(id), (n) => this.rebuildBytes?.more(n), (n) => this.rebuildBytes?.read(n)),
          baseManifest: (id) => {
            const base = this.tree.snapshots.find((b) => b.id === id && b.files.has(SUMS_FILE));
            return base && (base.files.get(MANIFEST_FILE_GZ) ?? new Blob([]));
          },
          onCarried: (e) => {
            const d = this.damage.get(e.in);
            if (!d || !affects(d, e)) return;
            const f = this.files.get(e.in)!;
            f.total++;
            if (f.shown.length < DEPENDANT_FILES_SHOWN) f.shown.push({ snapshot: s.id, path: e.path });
          },
        });
        const w = walk;
        const tap = gz ? gz.feed(w) : (piece: Uint8Array) => w.feed(piece);
        return new Map(names.map((n) => [n, tap]));
      },
      done: async (r) => {
        const tarBad = tarNames.length === 0 || tarNames.some((n) => r.files.find((f) => f.name === n)?.verdict !== 'OK');
        if (walk) {
          await walk.finish();
          this.walked.add(s.id);
          await fileSums!.finish(!walk.manifestBroken);
          result.findings.push(...walk.findings, ...fileSums!.findings);
          result.unchecked.push(...walk.unchecked);
          result.checked = walk.checked;
          const meta = await metaOf(s);
          if (meta?.carried && !walk.manifestBroken && meta.carried.files !== walk.carriedCount) {
            result.findings.push({ code: 'meta-mismatch', file: SNAPSHOT_JSON, message: `${SNAPSHOT_JSON} says ${meta.carried.files} file(s) are carried from the chain, ${MANIFEST_FILE_GZ} has ${walk.carriedCount}` });
          }
        }
        // Only a tarball that differs from SHA256SUMS has damaged content (verify-snapshot.ts):
        // the walk says which members; unwalked or unreadable, all of them.
        if (tarBad) {
          this.damage.set(s.id, walk && tarNames.every((n) => s.files.has(n)) ? walk.damage() : ALL_DAMAGED);
          this.files.set(s.id, { shown: [], total: 0 });
        }
        if (result.findings.length > 0 || result.unchecked.length > 0) applyToResult(r, result);
      },
    };
  }

  /**
   * Format 3: the index places every tar offset in the stored bytes, so it is read, checked against
   * SHA256SUMS and parsed before the first byte of the tarball is walked; then the tarball can be
   * read by tar offset (delta rebuilds) and its stored bytes, as hashed, fed to the walk as tar.
   */
  private async gzipFeed(s: SnapshotFiles<Blob>, names: string[], listed: Map<string, string>, whole: Blob, meta: SnapshotMeta | undefined): Promise<{ why: string } | { feed: (w: DeepWalk) => (piece: Uint8Array) => Promise<void> }> {
    const name = gzipIndexName(s.id);
    const file = s.files.get(name);
    const got = await readIndex(name, file && { size: file.size, bytes: async () => new Uint8Array(await file.arrayBuffer()) }, listed.get(name), whole.size, meta?.tarball.gzip?.tarSize);
    if ('why' in got) return got;
    const index = got.index;
    this.tarballs.set(s.id, gzipTarBytes(whole, index));
    const partAt = partFinder(names.map((n) => [n, s.files.get(n)!.size]));
    return {
      feed: (w) => {
        // A block that does not inflate: a hole in the tar, named in the part that holds it.
        const blocks = new BlockFeed(index, (tar) => w.feed(tar), (e) => w.skipDamaged(e.block.uncompressedOffset, e.block.uncompressedOffset + e.size, {
          code: 'tarball-damaged', file: partAt(e.block.compressedOffset), message: `${partAt(e.block.compressedOffset)}: ${e.message}`,
        }));
        return (piece) => blocks.push(piece);
      },
    };
  }

  /** After the chain is judged: each damaged snapshot's dependants' files, when every dependant was walked. */
  dependants(results: SnapshotResult[]): void {
    const all: ChainSnapshot[] = this.tree.snapshots.map((s) => {
      const base = results.find((r) => r.id === s.id)?.meta?.base;
      return { id: s.id, bytes: 0, complete: s.files.has(SUMS_FILE), ...(base !== undefined ? { base } : {}) };
    });
    for (const r of results) {
      const res = this.results.get(r.id);
      if (!res || r.verdict === 'OK' || r.verdict === 'UNCHECKED' || !this.walked.has(r.id)) continue;
      const deps = dependantsOf(all, r.id);
      const f = this.files.get(r.id);
      if (deps.length && f && deps.every((d) => this.walked.has(d))) {
        res.dependantFiles = f.shown;
        res.dependantFilesTotal = f.total;
      }
    }
  }
}

/** Which of the tarball's files (`parts`: name and size, in order) holds stored byte `at`. */
function partFinder(parts: [string, number][]): (at: number) => string {
  return (at) => {
    let end = 0;
    for (const [name, size] of parts) {
      end += size;
      if (at < end) return name;
    }
    return parts.at(-1)![0];
  };
}

/** The deep findings into the snapshot's verdict: damage makes it DAMAGED; files not checkable here, UNCHECKED (never OK). */
function applyToResult(r: SnapshotResult, d: DeepResult): void {
  for (const f of d.findings) {
    const row = f.file && r.files.find((x) => x.name === f.file);
    if (row && row.verdict === 'OK') Object.assign(row, { verdict: 'DAMAGED', why: f.message });
  }
  if (d.findings.length > 0) r.verdict = 'DAMAGED';
  else if (r.verdict === 'OK') r.verdict = 'UNCHECKED';
}

/** snapshot.json as the CLI's deep check reads it (whether or not it matches SHA256SUMS): which manifest versions, the chain. */
const metas = new WeakMap<Blob, Promise<SnapshotMeta | undefined>>();
function metaOf(s: SnapshotFiles<Blob>): Promise<SnapshotMeta | undefined> {
  const f = s.files.get(SNAPSHOT_JSON);
  if (!f || f.size > MAX_SNAPSHOT_JSON_BYTES) return Promise.resolve(undefined);
  let p = metas.get(f);
  if (!p) {
    p = f.text().then((t) => {
      const { meta, problems } = parseSnapshotMetaText(t, s.id);
      return problems.some((x) => x.code === 'format-too-new') ? undefined : meta;
    });
    metas.set(f, p);
  }
  return p;
}
