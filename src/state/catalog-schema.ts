// The catalog file's shape (catalog.json, state/catalog.ts): each known drive, its ledger and
// what it holds, as valibot schemas. Kept apart so that catalog.ts holds the operations.
import { finite, object, v } from '../core/validate.js';
import { healthEntries } from './catalog-health.js';

const fingerprintSchema = object({
  serial: v.optional(v.string()),
  model: v.optional(v.string()),
  fsType: v.optional(v.string()),
  fsUuid: v.optional(v.string()),
  label: v.optional(v.string()),
  partUuid: v.optional(v.string()),
});

export const snapshotEntries = {
  id: v.string(),
  bytes: v.pipe(v.number(), v.finite(), v.minValue(0)),
  files: v.pipe(v.number(), v.finite(), v.minValue(0)),
  state: v.picklist(['complete', 'incomplete', 'damaged']),
  /** The last verification of this snapshot: when, whether it passed, and how deep. */
  verifiedAt: v.optional(v.string()),
  verifyOk: v.optional(v.boolean()),
  deep: v.optional(v.boolean()),
  /** The mass-change gate tripped when it was written; pruning waits until it is accepted. */
  suspect: v.optional(v.boolean()),
  accepted: v.optional(v.boolean()),
  /** Rejected as evidence by its owner (airgap reject): still never restored by default, no longer blocking prunes. */
  rejected: v.optional(v.boolean()),
  /** Format 2: full or incremental, and the snapshot an increment builds on (retention keeps bases). */
  kind: v.optional(v.picklist(['full', 'incremental'])),
  base: v.optional(v.string()),
  /** Its on-drive format (snapshot.json formatVersion); absent in catalogs older than format 3. */
  format: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
};
export const snapshotSchema = object(snapshotEntries);

/** Failures kept in the catalog per drill (the count says how many there were in all). */
export const MAX_DRILL_FAILURES_KEPT = 20;
const drillSchema = object({
  at: v.string(),
  snapshot: v.string(),
  files: v.pipe(v.number(), v.finite(), v.minValue(0)),
  bytes: v.pipe(v.number(), v.finite(), v.minValue(0)),
  ok: v.boolean(),
  failures: v.array(object({ path: v.string(), reason: v.string() })),
  failureCount: v.pipe(v.number(), v.finite(), v.minValue(0)),
  seed: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
  /** What failed beside single files: the manifest, the snapshot's own verification. */
  problem: v.optional(v.string()),
});
export type DrillRecord = v.InferOutput<typeof drillSchema>;

export const entrySchema = object({
  id: v.string(),
  name: v.string(),
  lastPath: v.string(),
  labelledAt: v.string(),
  lastSeenAt: v.string(),
  /** Hardware fingerprint recorded the first time the drive was seen with one. */
  fingerprint: v.optional(fingerprintSchema),
  capacity: v.optional(object({ total: finite(), free: finite(), at: v.string() })),
  lastWrittenAt: v.optional(v.string()),
  lastVerifiedAt: v.optional(v.string()),
  lastVerifyOk: v.optional(v.boolean()),
  /** The last good restore drill: `airgap drill` that passed, or a clean restore. */
  lastRestoreDrillAt: v.optional(v.string()),
  /** The last `airgap drill` (good or not), as a user wants to see it: when, which snapshot, how much, and what failed, by name. */
  lastDrill: v.optional(drillSchema),
  snapshots: v.optional(v.array(snapshotSchema), () => []),
  /** Snapshots this host pruned from the drive (most recent MAX_PRUNED_KEPT): only these are "pruned". */
  pruned: v.optional(v.array(object({ id: v.string(), at: v.string() })), () => []),
  /** Snapshots once recorded on the drive that vanished without a prune by this host: damage until found again. */
  missing: v.optional(v.array(object({ ...snapshotEntries, missingSince: v.string() })), () => []),
  /** airgap replace: the drive that took this one's name and place (its history is kept; its name is free). */
  replaced: v.optional(object({ by: v.string(), at: v.string() })),
  /** Its SMART readings and the read errors verify met (airgap health; state/catalog-health.ts). */
  ...healthEntries,
});
export const catalogSchema = object({ version: v.literal(1), drives: v.array(entrySchema) });

export type CatalogEntry = v.InferOutput<typeof entrySchema>;
export type CatalogSnapshot = v.InferOutput<typeof snapshotSchema>;
