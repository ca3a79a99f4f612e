// What the catalog keeps of a drive's health (issue 19): its SMART readings (`airgap health`;
// HEALTH_READINGS_KEPT of them: the first, which later ones are judged against, and the newest)
// and the read I/O errors each verify met. The trend is there to read in catalog.json.
import { HEALTH_READINGS_KEPT, withReading, type ReadErrorRecord } from '../core/drive-health.js';
import type { HealthReading } from '../core/smart-report.js';
import { object, v } from '../core/validate.js';
import type { Catalog } from './catalog.js';

const count = () => v.pipe(v.number(), v.finite(), v.minValue(0));
const counters = object({
  reallocated: v.optional(count()), reportedUncorrectable: v.optional(count()), commandTimeout: v.optional(count()),
  pending: v.optional(count()), offlineUncorrectable: v.optional(count()), udmaCrcErrors: v.optional(count()),
  mediaErrors: v.optional(count()), criticalWarning: v.optional(count()), percentageUsed: v.optional(count()),
});
const reading = object({
  at: v.string(), type: v.string(), protocol: v.optional(v.string()), model: v.optional(v.string()), serial: v.optional(v.string()),
  passed: v.optional(v.boolean()), exit: count(), counters,
});

/** The catalog entry's fields (spread into its schema): absent on drives never read. */
export const healthEntries = {
  health: v.optional(v.array(reading)),
  readErrors: v.optional(v.array(object({ at: v.string(), count: count() }))),
};

export function recordHealth(catalog: Catalog, id: string, r: HealthReading): void {
  catalog.updateEntry(id, (e) => { e.health = withReading(e.health ?? [], r); });
}

/** A verify's read I/O errors (zero too: the newest record says whether the last verify met any). */
export function recordReadErrors(catalog: Catalog, id: string, rec: ReadErrorRecord): void {
  catalog.updateEntry(id, (e) => { e.readErrors = [...(e.readErrors ?? []), rec].slice(-HEALTH_READINGS_KEPT); });
}
