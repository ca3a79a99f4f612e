// The user's config file: what to back up and the drives of the rotation. Validated with a
// schema so that a bad config gets one clear line naming the file and the field.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import picomatch from 'picomatch';
import { z } from 'zod';
import { isAirgapError, usageError } from '../core/errors.js';
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
/** A folder path: bounded (PATH_MAX), and no NUL byte, which no file system accepts. */
const folder = z.string().min(1).max(4096, 'at most 4096 characters').refine((s) => !s.includes('\0'), 'contains a NUL byte');
const MAX_GLOB = 4096;
/** An exclude pattern must compile: a pattern picomatch rejects would otherwise stop the backup mid-scan. */
const glob = z.string().max(MAX_GLOB, 'at most 4096 characters').refine((s) => globProblem(s) === undefined, 'not a valid glob pattern');
/** Why a glob pattern (an exclude, a find pattern) cannot be used; undefined when it can. */
export function globProblem(pattern: string, options: picomatch.PicomatchOptions = { dot: true }): string | undefined {
  if (pattern.length > MAX_GLOB) return `too long (${pattern.length} characters; at most ${MAX_GLOB})`;
  try {
    picomatch(pattern, options);
    return undefined;
  } catch {
    return 'not a valid glob pattern';
  }
}

/** A config is a few kB; beyond this it is not one (and reading it whole would be unreasonable). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export const configSchema = z.strictObject({
  version: z.literal(1),
  sources: z.array(folder).min(1, 'list at least one folder').max(1000, 'at most 1000 folders'),
  excludes: z.array(glob).default([]),
  drives: z.strictObject({
    /** The drives of the rotation, in order. */
    rotation: z.array(z.strictObject({
      name: z.string().regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-"'),
      /** The id (airgap/drive.json) of the drive bound to this name: set by airgap when it first uses the drive. */
      id: z.string().min(1).max(200).optional(),
      role: z.enum(['home', 'offsite']).default('home'),
      /** Where the drive lives when it is not connected, in the user's words ("office drawer"). */
      location: z.string().max(200).optional(),
      /** Overrides policy.retention for this drive. */
      retention: retentionSchema.optional(),
    })).max(100, 'at most 100 drives').default([]),
    /** Extra folders whose sub-folders may be drive mountpoints (beyond /media, /mnt, /Volumes). */
    mountRoots: z.array(folder).max(100, 'at most 100 folders').default([]),
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
  const seen = new Set<string>();
  const dup = c.drives.rotation.map((d) => d.name.toLowerCase()).find((x) => seen.has(x) || !seen.add(x));
  if (dup) ctx.addIssue({ code: 'custom', path: ['drives', 'rotation'], message: `drive ${dup} is listed twice` });
  const ids = new Set<string>();
  const twice = c.drives.rotation.map((d) => d.id).find((x) => x !== undefined && (ids.has(x) || !ids.add(x)));
  if (twice) ctx.addIssue({ code: 'custom', path: ['drives', 'rotation'], message: `the drive id ${twice} is bound to two names` });
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
  const hint = 'fix the file, or write a new one with `airgap init --force`';
  let raw: Buffer;
  try {
    const st = await stat(path);
    // A folder, a FIFO or a device is no config (and reading a FIFO would block forever).
    if (!st.isFile()) throw usageError('config-unreadable', `config ${path} is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not a config file`, 'check the path given with --config or AIRGAP_CONFIG, or create one with `airgap init`');
    if (st.size > MAX_CONFIG_BYTES) throw usageError('config-invalid', `config ${path} is ${st.size} bytes: too large for a config (at most ${MAX_CONFIG_BYTES})`, hint);
    raw = await readFile(path);
  } catch (e) {
    if (isAirgapError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw usageError('config-unreadable', `cannot read config ${path}: ${code ?? (e as Error).message}`, 'check the path given with --config or AIRGAP_CONFIG, or create one with `airgap init`');
  }
  if ((raw[0] === 0xff && raw[1] === 0xfe) || (raw[0] === 0xfe && raw[1] === 0xff)) {
    throw usageError('config-invalid', `config ${path} is UTF-16 text; airgap reads UTF-8`, 'save it as UTF-8, or write a new one with `airgap init --force`');
  }
  let text: string;
  try {
    // Fatal: bytes that are not UTF-8 would otherwise turn silently into U+FFFD inside a path.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw); // drops a UTF-8 byte order mark
  } catch {
    throw usageError('config-invalid', `config ${path} is not UTF-8 text (binary, or another encoding)`, 'save it as UTF-8, or write a new one with `airgap init --force`');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = /at position (\d+)/.exec((e as Error).message);
    const where = at ? ` (${lineColumn(text, Number(at[1]))})` : '';
    throw usageError('config-invalid', `config ${path} is not valid JSON: ${printable((e as Error).message)}${where}`, hint);
  }
  const r = configSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw usageError('config-invalid', `config ${path}: ${printable(fieldPath(i.path) || '(root)')}: ${printable(i.message)}`, 'fix that field (see docs/cli.md for the config format)');
  }
  return r.data;
}

/** drives.rotation[0].name */
const fieldPath = (path: PropertyKey[]) =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

/** The file's text echoed in a message must not drive the terminal: control, bidi and invisible characters are shown escaped. */
const printable = (s: string) =>
  s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Binds the rotation entry `name` to a drive id, the first time airgap uses that drive. Edits
 * only that field of the file as it is (the user's other settings stay as written, without the
 * schema's defaults); an entry already bound, or a config that cannot be read, is left alone.
 */
export async function bindRotationId(path: string, name: string, id: string): Promise<boolean> {
  let json: { drives?: { rotation?: { name?: unknown; id?: unknown }[] } };
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return false;
    json = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  } catch {
    return false;
  }
  const entry = json?.drives?.rotation?.find((d) => typeof d?.name === 'string' && d.name.toLowerCase() === name.toLowerCase());
  if (!entry || entry.id !== undefined) return false;
  entry.id = id;
  await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
  return true;
}

/** Unbinds the rotation entry bound to this drive id when the drive is relabelled to another name. */
export async function unbindRotationId(path: string, id: string, keepName: string): Promise<boolean> {
  let json: { drives?: { rotation?: { name?: unknown; id?: unknown }[] } };
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return false;
    json = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  } catch {
    return false;
  }
  const entry = json?.drives?.rotation?.find((d) => d?.id === id && typeof d.name === 'string' && d.name.toLowerCase() !== keepName.toLowerCase());
  if (!entry) return false;
  delete entry.id;
  await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
  return true;
}

export async function saveConfig(path: string, config: Config): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n');
}
