// What `smartctl -j` says about a disk, as one reading airgap keeps: smartctl's exit-code bits
// decoded exactly as its man page defines them (EXIT STATUS), its JSON checked with valibot (the
// schema library the project already has: one is enough, zod is not added), and the counters
// that predict a failure picked out. Pure: the JSON and the exit code are parameters.
import { check, object, v } from './validate.js';

/** smartctl(8), EXIT STATUS: one meaning per bit. */
export const SMARTCTL_BITS = [
  'command line did not parse',
  'device open failed, it returned no IDENTIFY DEVICE, or it is in a low-power mode',
  'a SMART or other ATA command failed, or a SMART data structure had a checksum error',
  'SMART status check returned "DISK FAILING"',
  'prefail attributes at or below their threshold',
  'SMART status "DISK OK", but some attributes were at or below their threshold in the past',
  'the device error log has records of errors',
  'the device self-test log has records of errors',
] as const;

export interface SmartExit {
  code: number;
  /** The bits set (0–7), each with its meaning. */
  bits: { bit: number; meaning: string }[];
  /** Bits 0–2: smartctl could not read the disk's SMART (or was called wrong): no verdict on health. */
  unread: boolean;
  /** Bit 3 or 4: the disk says it is failing now. */
  failing: boolean;
}

export function decodeSmartExit(code: number): SmartExit {
  const bits = SMARTCTL_BITS.flatMap((meaning, bit) => ((code >> bit) & 1 ? [{ bit, meaning }] : []));
  return { code, bits, unread: (code & 0b111) !== 0, failing: (code & 0b11000) !== 0 };
}

/** ATA attribute ids whose raw counts predict a failure (Backblaze's and smartmontools' usual five, and CRC errors: a cable or a bridge). */
export const ATA_COUNTERS = { 5: 'reallocated', 187: 'reportedUncorrectable', 188: 'commandTimeout', 197: 'pending', 198: 'offlineUncorrectable', 199: 'udmaCrcErrors' } as const;
export type CounterName = (typeof ATA_COUNTERS)[keyof typeof ATA_COUNTERS] | 'mediaErrors' | 'criticalWarning' | 'percentageUsed';
export type Counters = Partial<Record<CounterName, number>>;

/** In words, for the lines status and health print. */
export const COUNTER_WORDS: Record<CounterName, string> = {
  reallocated: 'reallocated sectors (ATA 5)', reportedUncorrectable: 'reported uncorrectable errors (ATA 187)', commandTimeout: 'command timeouts (ATA 188)',
  pending: 'pending sectors (ATA 197)', offlineUncorrectable: 'offline uncorrectable sectors (ATA 198)', udmaCrcErrors: 'UDMA CRC errors (ATA 199: often a cable or a bridge)',
  mediaErrors: 'NVMe media errors', criticalWarning: 'NVMe critical warning', percentageUsed: 'NVMe percentage used',
};

const count = () => v.pipe(v.number(), v.finite(), v.minValue(0));
const messages = v.optional(v.array(object({ string: v.string(), severity: v.optional(v.string()) })), () => []);
// Only what airgap reads; everything else in smartctl's JSON is dropped (object() ignores unknown keys).
const reportSchema = object({
  smartctl: object({ messages, exit_status: v.optional(v.number()) }),
  device: v.optional(object({ name: v.optional(v.string()), type: v.optional(v.string()), protocol: v.optional(v.string()) })),
  model_name: v.optional(v.string()),
  serial_number: v.optional(v.string()),
  smart_support: v.optional(object({ available: v.optional(v.boolean()), enabled: v.optional(v.boolean()) })),
  smart_status: v.optional(object({ passed: v.boolean() })),
  ata_smart_attributes: v.optional(object({ table: v.array(object({ id: v.number(), raw: object({ value: count() }) })) })),
  nvme_smart_health_information_log: v.optional(object({ critical_warning: v.optional(count()), media_errors: v.optional(count()), percentage_used: v.optional(count()) })),
});

/** One reading of a disk's health, as the catalog keeps it. */
export interface HealthReading {
  at: string;
  /** The smartctl -d type that answered ('auto' for smartctl's own guess). */
  type: string;
  protocol?: string;
  model?: string;
  serial?: string;
  /** SMART overall-health self-assessment; absent when the disk gave none. */
  passed?: boolean;
  /** smartctl's exit code (its bits: decodeSmartExit). */
  exit: number;
  counters: Counters;
}

export type SmartParse =
  | { ok: true; reading: Omit<HealthReading, 'at' | 'type'> }
  /** No SMART data in the answer: `messages` are smartctl's own words (an unknown bridge, a refused open). */
  | { ok: false; why: 'no-smart' | 'malformed'; messages: string[]; exit: SmartExit };

/** Parses one `smartctl -j` answer (its stdout, and its exit code). */
export function parseSmartctl(stdout: string, exitCode: number): SmartParse {
  const exit = decodeSmartExit(exitCode);
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return { ok: false, why: 'malformed', messages: [stdout.trim() ? 'smartctl printed something that is not JSON (smartctl 7.0 or later is needed for -j)' : 'smartctl printed nothing'], exit };
  }
  const r = check(reportSchema, json);
  if (!r.ok) return { ok: false, why: 'malformed', messages: [`smartctl's JSON has an unexpected ${r.path.join('.') || 'shape'}: ${r.message}`], exit };
  const j = r.value;
  const words = j.smartctl.messages.map((m) => m.string);
  const counters = countersOf(j);
  // Neither a verdict nor a single counter: smartctl reached no SMART data (whatever it says it tried).
  if (!j.smart_status && !Object.keys(counters).length) return { ok: false, why: 'no-smart', messages: words, exit };
  const reading: Omit<HealthReading, 'at' | 'type'> = { exit: exitCode, counters };
  if (j.device?.protocol) reading.protocol = j.device.protocol;
  if (j.model_name) reading.model = j.model_name;
  if (j.serial_number) reading.serial = j.serial_number;
  if (j.smart_status) reading.passed = j.smart_status.passed;
  return { ok: true, reading };
}

function countersOf(j: v.InferOutput<typeof reportSchema>): Counters {
  const c: Counters = {};
  for (const a of j.ata_smart_attributes?.table ?? []) {
    const name = ATA_COUNTERS[a.id as keyof typeof ATA_COUNTERS];
    // Some drives pack several 16-bit counters into one raw value (Seagate's 188): it still
    // grows only when one of them does, and growth is all that is compared.
    if (name) c[name] = a.raw.value;
  }
  const n = j.nvme_smart_health_information_log;
  if (n?.critical_warning !== undefined) c.criticalWarning = n.critical_warning;
  if (n?.media_errors !== undefined) c.mediaErrors = n.media_errors;
  if (n?.percentage_used !== undefined) c.percentageUsed = n.percentage_used;
  return c;
}

/**
 * Why no smartctl -d type read a disk's SMART, from smartctl's own words: a USB bridge that
 * hides it (an unknown bridge, or every pass-through refused), no permission to send SMART
 * commands, or no SMART at all (a virtual disk, a card reader, a RAID volume).
 */
export function whyNoSmart(attempts: { messages: string[] }[]): 'bridge' | 'permission' | 'none' {
  const words = attempts.flatMap((a) => a.messages);
  if (words.some((m) => /Unknown USB bridge|USB bridge/i.test(m))) return 'bridge';
  if (words.some((m) => /Permission denied|Operation not permitted/i.test(m))) return 'permission';
  return 'none';
}
