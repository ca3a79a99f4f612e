// The host's catalog (state dir, catalog.json): every known drive — identity, last mountpoint,
// hardware fingerprint, capacity — what it holds, and its ledger (last seen, written, verified,
// restore drill). The drives are the truth for their own contents: the catalog is refreshed
// whenever a drive is seen, and `airgap scan` rebuilds it from the connected drives. Written
// atomically; a damaged catalog is moved aside and reported, never silently reset.
// Two airgap processes may share it: every change is an operation that save() replays onto the
// catalog as it is on disk now, under a short lock file, so neither loses the other's updates.
import { byDriveName } from '../core/drive-name.js';
import { questionOpen } from '../core/prune-gate.js';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lockCatalog } from './catalog-lock.js';
import { check } from '../core/validate.js';
import { catalogSchema, MAX_DRILL_FAILURES_KEPT, type CatalogEntry, type CatalogSnapshot, type DrillRecord } from './catalog-schema.js';
export { MAX_DRILL_FAILURES_KEPT, type CatalogEntry, type CatalogSnapshot, type DrillRecord } from './catalog-schema.js';
import { checkFingerprint, type Fingerprint, type FingerprintCheck } from '../core/drive-model.js';
import { isAirgapError, refusal } from '../core/errors.js';
import { writeFileAtomic } from '../io/durable.js';
import { setAside } from './set-aside.js';

/** The prune record is for telling "pruned here" from "lost": a few years of weekly prunes is plenty. */
const MAX_PRUNED_KEPT = 1000;
export const CATALOG_FILE = 'catalog.json';

type Op = (c: Catalog) => void;

export class Catalog {
  /** Changes since load or the last save, replayed onto the file's current content by save(). */
  private ops: Op[] = [];

  private constructor(
    readonly file: string,
    public drives: CatalogEntry[],
    /** Set when the catalog on disk was damaged and moved aside. */
    readonly loadWarning?: string,
  ) {}

  static async load(stateDir: string, now: Date = new Date()): Promise<Catalog> {
    const file = join(stateDir, CATALOG_FILE);
    let text: string;
    const unreadable = (why: string) => refusal('catalog-unreadable', `cannot read the catalog ${file}: ${why}`,
      'move it out of the way (airgap rebuilds the catalog from the drives: airgap scan), or fix its permissions');
    try {
      // A folder, a FIFO or a device in its place is not ours to reset (and a FIFO would block the read forever).
      const st = await stat(file);
      if (!st.isFile()) throw unreadable(st.isDirectory() ? 'it is a folder, not a file' : 'it is not a regular file');
      text = await readFile(file, 'utf8');
    } catch (e) {
      if (isAirgapError(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return new Catalog(file, []);
      throw unreadable(code ?? (e as Error).message);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const r = check(catalogSchema, data);
    if (r.ok) return new Catalog(file, r.value.drives);
    const aside = await setAside(file, now, { code: 'catalog-unreadable', what: 'the catalog', rebuilt: 'airgap rebuilds the catalog from the drives: airgap scan' });
    return new Catalog(file, [], `the catalog ${file} was damaged; it was moved to ${aside} and is rebuilt from the drives as they are seen (run \`airgap scan\` with them connected)`);
  }

  /** The drive known by this name now: a replaced drive keeps its name in its history, not the name. */
  byName(name: string): CatalogEntry | undefined {
    return byDriveName(this.drives.filter((d) => !d.replaced), name);
  }

  byId(id: string): CatalogEntry | undefined {
    return this.drives.find((d) => d.id === id);
  }

  /**
   * Records that a drive was seen at a path (the drive's own identity is the truth) and checks
   * its hardware fingerprint against the recorded one. A mismatch is never recorded over the
   * old one: only acceptFingerprint() does that, after the user confirmed.
   */
  seen(identity: { id: string; name: string; createdAt: string }, path: string, at: Date, fingerprint?: Fingerprint): FingerprintCheck {
    this.ops.push((c) => c.seen(identity, path, at, fingerprint));
    // A name belongs to one drive (its id): a second drive calling itself by a known name (a copied
    // drive.json, an impostor) is never recorded under it, so the catalog never holds two A's.
    const holder = this.nameHolder(identity);
    let entry = this.byId(identity.id);
    if (entry) Object.assign(entry, { lastPath: path, lastSeenAt: at.toISOString() }, holder ? {} : { name: identity.name });
    else if (holder) return { status: 'unknown' };
    else {
      entry = { id: identity.id, name: identity.name, lastPath: path, labelledAt: identity.createdAt, lastSeenAt: at.toISOString(), snapshots: [], pruned: [], missing: [] };
      this.drives.push(entry);
    }
    const result = checkFingerprint(entry.fingerprint, fingerprint);
    if (result.status === 'new' && fingerprint) entry.fingerprint = { ...entry.fingerprint, ...fingerprint };
    return result;
  }

  /** Another drive (another id) known under this identity's name, if any. */
  nameHolder(identity: { id: string; name: string }): CatalogEntry | undefined {
    const named = this.byName(identity.name);
    return named && named.id !== identity.id ? named : undefined;
  }

  /** Drops a drive from the catalog (`airgap forget`): what this host knows of it, never the drive's contents. */
  forget(id: string): void {
    this.ops.push((c) => c.forget(id));
    const i = this.drives.findIndex((d) => d.id === id);
    if (i >= 0) this.drives.splice(i, 1);
  }

  /** airgap replace: drive `id` gave its name and place to drive `by`; what it held stays recorded. */
  markReplaced(id: string, by: string, at: Date): void {
    this.ops.push((c) => c.markReplaced(id, by, at));
    Object.assign(this.byId(id) ?? {}, { replaced: { by, at: at.toISOString() } });
  }

  acceptFingerprint(id: string, fingerprint: Fingerprint): void {
    this.ops.push((c) => c.acceptFingerprint(id, fingerprint));
    const entry = this.byId(id);
    if (entry) entry.fingerprint = { ...fingerprint };
  }

  /**
   * Replaces what the catalog believes a drive holds with what is on it; verification results
   * survive for snapshots still there. A recorded snapshot that is gone, and that this host did
   * not prune, is never forgotten: it moves to `missing` (reported as damage by verify) until it
   * is found on the drive again.
   */
  recordContents(id: string, snapshots: Omit<CatalogSnapshot, 'verifiedAt' | 'verifyOk' | 'deep' | 'accepted' | 'rejected'>[], capacity: { total: number; free: number } | undefined, at: Date): void {
    this.ops.push((c) => c.recordContents(id, snapshots, capacity, at));
    const entry = this.byId(id);
    if (!entry) return;
    const present = new Set(snapshots.map((s) => s.id));
    const pruned = new Set(entry.pruned.map((p) => p.id));
    const missing = entry.missing.filter((m) => !present.has(m.id));
    for (const old of entry.snapshots) {
      // An incomplete one was never a snapshot (an interrupted copy): its removal loses nothing.
      if (present.has(old.id) || pruned.has(old.id) || old.state === 'incomplete' || missing.some((m) => m.id === old.id)) continue;
      missing.push({ ...old, missingSince: at.toISOString() });
    }
    entry.missing = missing;
    // A prune record of a snapshot still present is kept: the prune may be under way in another
    // process (recorded first, renamed next); the pruning process withdraws what it did not prune.
    const before = new Map(entry.snapshots.map((s) => [s.id, s]));
    entry.snapshots = snapshots.map((s) => {
      const old = before.get(s.id);
      const merged: CatalogSnapshot = { ...s };
      if (old?.verifiedAt) Object.assign(merged, { verifiedAt: old.verifiedAt, verifyOk: old.verifyOk, deep: old.deep });
      if (old?.accepted) merged.accepted = true; // acceptance is the host's decision, made after writing
      if (old?.rejected) merged.rejected = true; // so is rejection
      return merged;
    });
    if (capacity) entry.capacity = { ...capacity, at: at.toISOString() };
  }

  /**
   * Records that this host prunes these snapshots from the drive. Called (and saved) before the
   * prune starts: a prune cut short by a crash must still read as "pruned", not as a loss.
   */
  recordPruned(id: string, snapshotIds: string[], at: Date): void {
    this.ops.push((c) => c.recordPruned(id, snapshotIds, at));
    const entry = this.byId(id);
    if (!entry) return;
    const known = new Set(entry.pruned.map((p) => p.id));
    for (const s of snapshotIds) if (!known.has(s)) entry.pruned.push({ id: s, at: at.toISOString() });
    entry.pruned = entry.pruned.slice(-MAX_PRUNED_KEPT);
  }

  /** Withdraws prune records of snapshots a prune did not remove after all (skipped, or it failed first). */
  withdrawPruned(id: string, snapshotIds: string[]): void {
    this.ops.push((c) => c.withdrawPruned(id, snapshotIds));
    const entry = this.byId(id);
    if (entry) entry.pruned = entry.pruned.filter((p) => !snapshotIds.includes(p.id));
  }

  /** When this host pruned a snapshot of the drive, if it did. */
  prunedAt(id: string, snapshotId: string): string | undefined {
    return this.byId(id)?.pruned.find((p) => p.id === snapshotId)?.at;
  }

  recordWrite(id: string, at: Date): void {
    this.ops.push((c) => c.recordWrite(id, at));
    const entry = this.byId(id);
    if (entry) entry.lastWrittenAt = at.toISOString();
  }

  recordVerify(id: string, results: { id: string; ok: boolean }[], deep: boolean, at: Date): void {
    this.ops.push((c) => c.recordVerify(id, results, deep, at));
    const entry = this.byId(id);
    if (!entry) return;
    for (const r of results) {
      const s = entry.snapshots.find((x) => x.id === r.id);
      if (s) Object.assign(s, { verifiedAt: at.toISOString(), verifyOk: r.ok, deep });
    }
    if (results.length) {
      entry.lastVerifiedAt = at.toISOString();
      entry.lastVerifyOk = results.every((r) => r.ok);
    }
  }

  /** Snapshots the gate flagged whose question is open (neither accepted nor rejected), on any drive. */
  unacceptedSuspects(): { drive: string; id: string }[] {
    return this.drives.flatMap((d) => d.snapshots.filter(questionOpen).map((s) => ({ drive: d.name, id: s.id })));
  }

  /** The owner's answer for one flagged snapshot (airgap accept / reject); false if this host does not know it. */
  decideSuspect(driveId: string, snapshotId: string, decision: 'accepted' | 'rejected'): boolean {
    this.ops.push((c) => c.decideSuspect(driveId, snapshotId, decision));
    const snap = this.byId(driveId)?.snapshots.find((x) => x.id === snapshotId);
    if (!snap) return false;
    snap[decision] = true;
    return true;
  }

  acceptAllSuspects(): { drive: string; id: string }[] {
    this.ops.push((c) => c.acceptAllSuspects());
    const list = this.unacceptedSuspects();
    for (const d of this.drives) for (const s of d.snapshots) if (questionOpen(s)) s.accepted = true; // a rejected one stays rejected
    return list;
  }

  /** Any other change to one drive's entry (state/catalog-health.ts), replayed on save like the rest. */
  updateEntry(id: string, change: (e: CatalogEntry) => void): void {
    this.ops.push((c) => c.updateEntry(id, change));
    const entry = this.byId(id);
    if (entry) change(entry);
  }

  recordRestoreDrill(id: string, at: Date): void {
    this.ops.push((c) => c.recordRestoreDrill(id, at));
    Object.assign(this.byId(id) ?? {}, { lastRestoreDrillAt: at.toISOString() });
  }

  /** An `airgap drill`: kept as the drive's last drill; a good one is also its last good restore drill. */
  recordDrill(id: string, drill: DrillRecord): void {
    this.ops.push((c) => c.recordDrill(id, drill));
    const entry = this.byId(id);
    if (!entry) return;
    entry.lastDrill = { ...drill, failures: drill.failures.slice(0, MAX_DRILL_FAILURES_KEPT) };
    if (drill.ok) entry.lastRestoreDrillAt = drill.at;
  }

  async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const release = await lockCatalog(`${this.file}.lock`);
    try {
      const current = await Catalog.load(dirname(this.file));
      for (const op of this.ops) op(current);
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, drives: current.drives }, null, 2) + '\n');
      this.drives = current.drives;
      this.ops = [];
    } finally {
      await release();
    }
  }
}
