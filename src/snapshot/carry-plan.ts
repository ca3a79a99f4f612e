// For an incremental snapshot: for every scanned file, whether it is stored, carried forward from
// the chain without being read, or read to check (core/carry.ts decides). Built in one pass over
// the scan, walking the base's MANIFEST.tsv and the host's gate baseline beside it: all three are
// in archive order, so neither file is held in memory. What the plan keeps per entry is a few
// typed-array slots (about 47 bytes), not an object.
import { compareArchivePaths } from '../core/archive-order.js';
import { carryAction, type CarryBase, type CarryHost, type CarryScan } from '../core/carry.js';
import type { ListingEntry } from '../core/change-analysis.js';
import type { ManifestEntry } from '../layout/manifest.js';
import type { ScanEntries } from './scan.js';

export const STORE = 0;
export const CARRY = 1;
export const CHECK = 2;
/** Checked only because of --reread: a different hash is silent corruption of the source. */
export const CHECK_SILENT = 3;

/** Where a carried file's content is: a snapshot of the chain, the member's offset, its hash. */
export interface Carried {
  in: string;
  offset: number;
  sha256: string;
  /** The host's entropy sample of it (the gate baseline), when recorded. */
  entropy: number | undefined;
}

export class CarryPlan {
  private readonly action: Uint8Array;
  private readonly offset: Float64Array;
  private readonly sha: Uint8Array;
  private readonly entropy: Float32Array;
  private readonly inIndex: Uint16Array;
  private readonly ids: string[] = [];
  /** The base's lines of the files that have a block list (16 MiB and more: few), ids resolved. */
  private readonly priors = new Map<number, ManifestEntry>();
  carried = 0;
  checked = 0;

  constructor(readonly length: number) {
    this.action = new Uint8Array(length);
    this.offset = new Float64Array(length);
    this.sha = new Uint8Array(length * 32);
    this.entropy = new Float32Array(length).fill(Number.NaN);
    this.inIndex = new Uint16Array(length);
  }

  set(i: number, action: number, where: { in: string; offset: number; sha256: string }, entropy: number | undefined): void {
    this.action[i] = action;
    let k = this.ids.indexOf(where.in);
    if (k < 0) k = this.ids.push(where.in) - 1;
    this.inIndex[i] = k;
    this.offset[i] = where.offset;
    this.sha.set(Buffer.from(where.sha256, 'hex'), i * 32);
    if (entropy !== undefined) this.entropy[i] = entropy;
    if (action === CARRY) this.carried++;
    else this.checked++;
  }

  actionOf(i: number): number {
    return this.action[i]!;
  }

  /** The base's line of entry i when it has a block list (a large file), with every `.` replaced by the base's id. */
  prior(i: number): ManifestEntry | undefined {
    return this.priors.get(i);
  }

  setPrior(i: number, line: ManifestEntry): void {
    this.priors.set(i, line);
  }

  /** Where entry i's content is in the chain (for CARRY and CHECK entries). */
  where(i: number): Carried {
    const e = this.entropy[i]!;
    return {
      in: this.ids[this.inIndex[i]!]!, offset: this.offset[i]!,
      sha256: Buffer.from(this.sha.buffer, this.sha.byteOffset + i * 32, 32).toString('hex'),
      entropy: Number.isNaN(e) ? undefined : e,
    };
  }
}

/** Walks a stream sorted in archive order alongside an increasing sequence of paths. */
class SortedCursor<T extends { path: string }> {
  private cur: T | undefined;
  private started = false;

  constructor(private readonly next: () => Promise<T | undefined>) {}

  async find(path: string): Promise<T | undefined> {
    if (!this.started) {
      this.started = true;
      this.cur = await this.next();
    }
    while (this.cur && compareArchivePaths(this.cur.path, path) < 0) this.cur = await this.next();
    return this.cur?.path === path ? this.cur : undefined;
  }
}

export interface CarryPlanInput {
  entries: ScanEntries;
  baseId: string;
  /** The base's MANIFEST.tsv entries (checked against its SHA256SUMS by the caller). */
  base: () => Promise<ManifestEntry | undefined>;
  /** The host's gate baseline (undefined: none; every candidate is read to check). */
  host?: () => Promise<ListingEntry | undefined>;
  reread: boolean;
}

export async function buildCarryPlan(input: CarryPlanInput): Promise<CarryPlan> {
  const { entries } = input;
  const plan = new CarryPlan(entries.length);
  const base = new SortedCursor(input.base);
  const host = input.host ? new SortedCursor(input.host) : undefined;
  for (let i = 0; i < entries.length; i++) {
    if (entries.kind(i) !== 'file') continue;
    const path = entries.path(i);
    const b = await base.find(path);
    if (!b || b.type !== 'file' || b.sha256 === undefined || b.offset === undefined) continue;
    const h = await host?.find(path);
    const hostRecord: CarryHost | undefined = h?.type === 'file' && h.sha256 ? { stamp: h.stamp, sha256: h.sha256 } : undefined;
    // A literal of the fields carryAction reads, not a copy of entries.at(i) with the stamp
    // ({ ...e, stamp }): at 400,000 files those copies grew the old generation as format 2's
    // manifest lines once did (archive.ts, record).
    // Field by field, not from entries.at(i): that object also builds `abs`, a path string
    // joined per file, which the plan never reads (issue 16's profile).
    const scanned: CarryScan = {
      size: entries.size(i), mtime: entries.mtime(i), mode: entries.mode(i), uid: entries.uid(i), gid: entries.gid(i),
      nlink: entries.nlink(i), stamp: entries.stamp(i),
    };
    const decision = carryAction(scanned, b as CarryBase, hostRecord, input.reread);
    if (b.blocks) plan.setPrior(i, resolveIds(b, input.baseId));
    if (decision.action === 'store') continue;
    const where = { in: b.in ?? input.baseId, offset: b.offset, sha256: b.sha256 };
    const action = decision.action === 'carry' ? CARRY : decision.silent ? CHECK_SILENT : CHECK;
    plan.set(i, action, where, hostRecord && h!.sha256 === b.sha256 ? h!.entropy : undefined);
  }
  return plan;
}

/** A base line with its `.` (the base itself) spelled as the base's id, as a later snapshot must write it. */
function resolveIds(b: ManifestEntry, baseId: string): ManifestEntry {
  const line: ManifestEntry = { ...b, in: b.in ?? baseId };
  if (b.blocks) line.blocks = { in: b.blocks.in ?? baseId, offset: b.blocks.offset };
  if (b.delta) line.delta = b.delta.map((l) => ({ ...l, in: l.in ?? baseId }));
  return line;
}
