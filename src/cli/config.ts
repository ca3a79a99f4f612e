// The user's config file: what to back up and the drives of the rotation. Validated with a
// schema so that a bad config gets one clear line naming the file and the field.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { usageError } from '../core/errors.js';
import { isDate, weekdayOf, WEEKDAYS, type Cadence, type Weekday } from '../core/calendar.js';
import { DRIVE_NAME_RE } from '../core/format.js';
import { DEFAULT_EPOCH, DEFAULT_RETENTION, type Policy } from '../core/policy.js';
import { DEFAULT_GATE } from '../core/change-analysis.js';
import { writeFileAtomic } from '../io/durable.js';

const count = z.number().int().min(0).max(1000);
const retentionSchema = z.strictObject({
  keepLast: count.default(DEFAULT_RETENTION.keepLast),
  daily: count.default(DEFAULT_RETENTION.daily),
  weekly: count.default(DEFAULT_RETENTION.weekly),
  monthly: count.default(DEFAULT_RETENTION.monthly),
  yearly: count.default(DEFAULT_RETENTION.yearly),
});
const weekday = z.enum(WEEKDAYS as [Weekday, ...Weekday[]]);
const date = z.string().refine(isDate, 'a date like 2026-11-21');

export const configSchema = z.strictObject({
  version: z.literal(1),
  sources: z.array(z.string().min(1)).min(1, 'list at least one folder'),
  excludes: z.array(z.string()).default([]),
  drives: z.strictObject({
    /** The drives of the rotation, in order. */
    rotation: z.array(z.strictObject({
      name: z.string().regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-"'),
      role: z.enum(['home', 'offsite']).default('home'),
      /** Where the drive lives when it is not connected, in the user's words ("office drawer"). */
      location: z.string().max(200).optional(),
      /** Overrides policy.retention for this drive. */
      retention: retentionSchema.optional(),
    })).default([]),
    /** Extra folders whose sub-folders may be drive mountpoints (beyond /media, /mnt, /Volumes). */
    mountRoots: z.array(z.string().min(1)).default([]),
  }).default({ rotation: [], mountRoots: [] }),
  /** daily, weekly (on policy.start's weekday), or on given weekdays. */
  cadence: z.union([z.enum(['daily', 'weekly']), z.strictObject({ weekdays: z.array(weekday).min(1) })]).default('weekly'),
  policy: z.strictObject({
    scheme: z.enum(['round-robin', 'hanoi', 'oldest-first']).default('round-robin'),
    /** Rotation drives that must be disconnected while one is written (the air gap). */
    offline: z.number().int().min(0).max(100).default(1),
    start: date.default(DEFAULT_EPOCH),
    retention: retentionSchema.default(DEFAULT_RETENTION),
    alerts: z.strictObject({
      rotationDays: z.number().int().positive().default(30),
      verifyDays: z.number().int().positive().default(90),
    }).default({ rotationDays: 30, verifyDays: 90 }),
  }).default({ scheme: 'round-robin', offline: 1, start: DEFAULT_EPOCH, retention: DEFAULT_RETENTION, alerts: { rotationDays: 30, verifyDays: 90 } }),
  /** The mass-change (ransomware) gate: see docs/ransomware.md. */
  gate: z.strictObject({
    changedShare: z.number().min(0).max(1).default(DEFAULT_GATE.changedShare),
    encryptedShare: z.number().min(0).max(1).default(DEFAULT_GATE.encryptedShare),
    deletedShare: z.number().min(0).max(1).default(DEFAULT_GATE.deletedShare),
    newExtensionFiles: z.number().int().min(1).default(DEFAULT_GATE.newExtensionFiles),
    minFiles: z.number().int().min(0).default(DEFAULT_GATE.minFiles),
  }).default(DEFAULT_GATE),
}).superRefine((c, ctx) => {
  const n = c.drives.rotation.length;
  if (n > 0 && c.policy.offline > n - 1) {
    ctx.addIssue({ code: 'custom', path: ['policy', 'offline'], message: `${c.policy.offline} drive(s) must stay offline, but the rotation has ${n} drive(s): at most ${n - 1}` });
  }
  const names = c.drives.rotation.map((d) => d.name.toLowerCase());
  const dup = names.find((x, i) => names.indexOf(x) !== i);
  if (dup) ctx.addIssue({ code: 'custom', path: ['drives', 'rotation'], message: `drive ${dup} is listed twice` });
});
export type Config = z.infer<typeof configSchema>;

/** The planner's view of the config. */
export function policyOf(config: Config): Policy {
  const cadence: Cadence = config.cadence === 'daily' ? { kind: 'daily' }
    : config.cadence === 'weekly' ? { kind: 'weekdays', days: [weekdayOf(config.policy.start)] }
    : { kind: 'weekdays', days: [...new Set(config.cadence.weekdays.map((d) => WEEKDAYS.indexOf(d)))].sort() };
  return {
    drives: config.drives.rotation.map((d) => ({
      name: d.name, role: d.role, retention: d.retention ?? config.policy.retention, ...(d.location ? { location: d.location } : {}),
    })),
    cadence,
    scheme: config.policy.scheme,
    offline: config.policy.offline,
    epoch: config.policy.start,
    alerts: config.policy.alerts,
  };
}

/** Loads the config; undefined when there is none and none was asked for explicitly. */
export async function loadConfig(path: string, explicit: boolean): Promise<Config | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw usageError('config-unreadable', `cannot read config ${path}: ${code ?? (e as Error).message}`, 'check the path given with --config or AIRGAP_CONFIG, or create one with `airgap init`');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError('config-invalid', `config ${path} is not valid JSON: ${(e as Error).message}`, 'fix the file, or write a new one with `airgap init --force`');
  }
  const r = configSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw usageError('config-invalid', `config ${path}: ${i.path.join('.') || '(root)'}: ${i.message}`, 'fix that field (see docs/cli.md for the config format)');
  }
  return r.data;
}

export async function saveConfig(path: string, config: Config): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n');
}
