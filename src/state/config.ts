// The user's config file: what to back up and the drives of the rotation. Validated with a
// schema so that a bad config gets one clear line naming the file and the field.
import { driveNameKey, sameDriveName } from '../core/drive-name.js';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import picomatch from 'picomatch';
import { check, defaulted, object, share, strictObject, v, whole, type Checked } from '../core/validate.js';
import { isAirgapError, usageError } from '../core/errors.js';
import { isDate, weekdayOf, WEEKDAYS, type Cadence, type Weekday } from '../core/calendar.js';
import { DRIVE_NAME_RE } from '../layout/format.js';
import { DEFAULT_CHAIN_POLICY } from '../core/chains.js';
import { DEFAULT_EPOCH, RETENTION_RULES, retentionAsWritten, type Policy } from '../core/policy.js';
import { DEFAULT_GATE } from '../core/change-analysis.js';
import { writeFileAtomic } from '../io/durable.js';

const count = whole(0, 1000);
// Retention as written: a rule left out is off, not defaulted (core/policy retentionAsWritten).
// An empty object would keep only the newest snapshot, which nobody writes on purpose.
const retentionSchema = v.pipe(strictObject({
  keepLast: v.optional(count),
  daily: v.optional(count),
  weekly: v.optional(count),
  monthly: v.optional(count),
  yearly: v.optional(count),
  /** Fit mode (core/make-room.ts): room for a new snapshot is made by removing the oldest first. */
  fit: v.optional(v.boolean()),
}), v.check((r) => r.fit === true || RETENTION_RULES.some((k) => r[k] !== undefined), `name at least one rule (${RETENTION_RULES.join(', ')}), or leave retention out for the defaults; or "fit": true (keep as many as fit)`));
const weekday = v.picklist(WEEKDAYS as Weekday[]);
const date = v.pipe(v.string(), v.check(isDate, 'a date like 2026-11-21'));
/** A folder path: bounded (PATH_MAX), and no NUL byte, which no file system accepts. */
const folder = v.pipe(v.string(), v.minLength(1, 'an empty path'), v.maxLength(4096, 'at most 4096 characters'), v.check((s) => !s.includes('\0'), 'contains a NUL byte'));
const MAX_GLOB = 4096;
/** An exclude pattern must compile: a pattern picomatch rejects would otherwise stop the backup mid-scan. */
const glob = v.pipe(v.string(), v.maxLength(MAX_GLOB, 'at most 4096 characters'), v.check((s) => globProblem(s) === undefined, 'not a valid glob pattern'));
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

const configSchema = strictObject({
  version: v.literal(1),
  sources: v.pipe(v.array(folder), v.minLength(1, 'list at least one folder'), v.maxLength(1000, 'at most 1000 folders')),
  excludes: v.optional(v.array(glob), () => []),
  drives: defaulted(strictObject({
    /** The drives of the rotation, in order. */
    rotation: v.optional(v.pipe(v.array(strictObject({
      name: v.pipe(v.string(), v.regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-"')),
      /** The id (airgap/drive.json) of the drive bound to this name: set by airgap when it first uses the drive. */
      id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
      role: v.optional(v.picklist(['home', 'offsite']), 'home'),
      /** Where the drive lives when it is not connected, in the user's words ("office drawer"). */
      location: v.optional(v.pipe(v.string(), v.maxLength(200))),
      /** Overrides policy.retention for this drive. */
      retention: v.optional(retentionSchema),
    })), v.maxLength(100, 'at most 100 drives')), () => []),
    /** airgap retire: drives taken out of the rotation (their entry as it was, and when); `retire --undo` puts one back. */
    retired: v.optional(v.pipe(v.array(object({
      name: v.pipe(v.string(), v.regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-"')),
      id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
      retiredAt: v.optional(v.string()),
    })), v.maxLength(1000, 'at most 1000 drives')), () => []),
    /** Extra folders whose sub-folders may be drive mountpoints (beyond /media, /mnt, /Volumes). */
    mountRoots: v.optional(v.pipe(v.array(folder), v.maxLength(100, 'at most 100 folders')), () => []),
  })),
  /** daily, weekly (on policy.start's weekday), or on given weekdays. */
  cadence: v.optional(v.union([v.picklist(['daily', 'weekly']), strictObject({ weekdays: v.pipe(v.array(weekday), v.minLength(1)) })]), 'weekly'),
  policy: defaulted(strictObject({
    scheme: v.optional(v.picklist(['round-robin', 'hanoi', 'oldest-first']), 'round-robin'),
    /** Rotation drives that must be disconnected while one is written (the air gap). */
    offline: v.optional(whole(0, 100), 1),
    start: v.optional(date, DEFAULT_EPOCH),
    /** Absent: DEFAULT_RETENTION. */
    retention: v.optional(retentionSchema),
    alerts: defaulted(strictObject({
      rotationDays: v.optional(whole(1), 30),
      verifyDays: v.optional(whole(1), 90),
      /** A restore drill (airgap drill) is due after this many days without a good one. */
      drillDays: v.optional(whole(1), 90),
    })),
  })),
  /**
   * The snapshot format written (docs/FORMAT.md): 1, a full tarball every time; 2, chains of
   * incremental snapshots that keep history on the drive; 3, format 2 with block-gzipped tarballs.
   */
  format: v.optional(v.picklist([1, 2, 3]), 2),
  /** Format 2: when a chain ends and the next snapshot is a new full. */
  chain: defaulted(strictObject({
    maxLength: v.optional(whole(1, 1000), DEFAULT_CHAIN_POLICY.maxLength),
    // A share of the full's size: 0.5 is half of it; above 1 for long chains of a small source.
    maxIncrementShare: v.optional(v.pipe(v.number('a number from 0 to 100'), v.minValue(0, 'at least 0'), v.maxValue(100, 'at most 100')), DEFAULT_CHAIN_POLICY.maxIncrementShare),
    /**
     * Every Nth increment of a chain reads every file (as --reread): content that changed while
     * its size, times, inode and device did not is found within N backups. 0: never.
     */
    rereadEvery: v.optional(whole(0, 1000), 0),
  })),
  /** Encryption (docs/FORMAT.md "Encrypted drives"), public keys only: `driveKey`'s secret is key.age beside the config (state/config-encryption.ts). */
  encryption: v.optional(strictObject({
    recipients: v.pipe(v.array(v.pipe(v.string(), v.regex(/^age1[02-9ac-hj-np-z]{58}$/, 'an age X25519 recipient (age1… from age-keygen)'))), v.minLength(1, 'at least one recipient'), v.maxLength(20, 'at most 20 recipients')),
    driveKey: v.optional(v.pipe(v.string(), v.regex(/^age1[02-9ac-hj-np-z]{58}$/, 'an age X25519 recipient'))),
    drives: v.optional(v.union([v.literal('all'), v.array(v.pipe(v.string(), v.regex(DRIVE_NAME_RE, 'a drive name')))]), 'all'),
  })),
  /** What `airgap watch` does when a drive of this rotation arrives: a notification, or the unattended backup (docs/reminders.md). */
  onArrival: v.optional(v.picklist(['notify', 'backup'], 'notify or backup'), 'notify'),
  /** The mass-change (ransomware) gate: see docs/ransomware.md. */
  gate: defaulted(strictObject({
    changedShare: v.optional(share(), DEFAULT_GATE.changedShare),
    encryptedShare: v.optional(share(), DEFAULT_GATE.encryptedShare),
    deletedShare: v.optional(share(), DEFAULT_GATE.deletedShare),
    newExtensionFiles: v.optional(whole(1), DEFAULT_GATE.newExtensionFiles),
    minFiles: v.optional(whole(0), DEFAULT_GATE.minFiles),
  })),
});
export type Config = v.InferOutput<typeof configSchema>;

/** The rules that tie fields together, checked once each field is valid on its own. */
function crossFieldProblem(c: Config): { path: string[]; message: string } | undefined {
  const n = c.drives.rotation.length;
  if (n > 0 && c.policy.offline > n - 1) {
    return { path: ['policy', 'offline'], message: `${c.policy.offline} drive(s) must stay offline, but the rotation has ${n} drive(s): at most ${n - 1}` };
  }
  const seen = new Set<string>();
  const dup = c.drives.rotation.map((d) => driveNameKey(d.name)).find((x) => seen.has(x) || !seen.add(x));
  if (dup) return { path: ['drives', 'rotation'], message: `drive ${dup} is listed twice` };
  const both = c.drives.retired.find((r) => seen.has(driveNameKey(r.name)));
  if (both) return { path: ['drives', 'retired'], message: `drive ${both.name} is both in the rotation and retired` };
  const ids = new Set<string>();
  const twice = c.drives.rotation.map((d) => d.id).find((x) => x !== undefined && (ids.has(x) || !ids.add(x)));
  if (twice) return { path: ['drives', 'rotation'], message: `the drive id ${twice} is bound to two names` };
  const enc = c.encryption;
  if (enc?.driveKey && !enc.recipients.includes(enc.driveKey)) return { path: ['encryption', 'driveKey'], message: 'the drive key must be one of the recipients' };
  if (enc && c.format === 1) return { path: ['encryption'], message: 'encryption needs snapshot format 2 (remove "format": 1)' };
  return undefined;
}

/** Validates a config (as read from its file, or built by init), filling in the defaults. */
export function checkConfig(input: unknown): Checked<Config> {
  const r = check(configSchema, input);
  if (!r.ok) return r;
  const problem = crossFieldProblem(r.value);
  return problem ? { ok: false, ...problem } : r;
}

/** The planner's view of the config. */
export function policyOf(config: Config): Policy {
  const cadence: Cadence = config.cadence === 'daily' ? { kind: 'daily' }
    : config.cadence === 'weekly' ? { kind: 'weekdays', days: [weekdayOf(config.policy.start)] }
    : { kind: 'weekdays', days: [...new Set(config.cadence.weekdays.map((d) => WEEKDAYS.indexOf(d)))].sort() };
  return {
    drives: config.drives.rotation.map((d) => ({
      name: d.name, role: d.role, retention: retentionAsWritten(d.retention ?? config.policy.retention), ...(d.location ? { location: d.location } : {}),
    })),
    cadence,
    scheme: config.policy.scheme,
    offline: config.policy.offline,
    epoch: config.policy.start,
    alerts: config.policy.alerts,
    format: config.format,
    chain: config.chain,
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
  const r = checkConfig(json);
  if (!r.ok) {
    throw usageError('config-invalid', `config ${path}: ${printable(fieldPath(r.path) || '(root)')}: ${printable(r.message)}`, 'fix that field (see docs/cli.md for the config format)');
  }
  return r.value;
}

/** drives.rotation[0].name */
export const fieldPath = (path: PropertyKey[]) => path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

/** The file's text echoed in a message must not drive the terminal: control, bidi and invisible characters are shown escaped. */
const printable = (s: string) =>
  s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udfff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

type RotationEntry = { name?: unknown; id?: unknown };

/**
 * Edits one rotation entry of the config file as it is (the user's other settings stay as
 * written, without the schema's defaults): `edit` picks the entry and changes it, or returns
 * false to leave the file alone. A config that cannot be read is left alone too.
 */
async function editRotationEntry(path: string, edit: (rotation: RotationEntry[]) => boolean): Promise<boolean> {
  let json: { drives?: { rotation?: RotationEntry[] } };
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return false;
    json = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  } catch {
    return false;
  }
  if (!edit(json?.drives?.rotation ?? [])) return false;
  await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
  return true;
}

/** Binds the rotation entry `name` to a drive id, the first time airgap uses that drive; an entry already bound is left alone. */
export function bindRotationId(path: string, name: string, id: string): Promise<boolean> {
  return editRotationEntry(path, (rotation) => {
    const entry = rotation.find((d) => typeof d?.name === 'string' && sameDriveName(d.name, name));
    if (!entry || entry.id !== undefined) return false;
    entry.id = id;
    return true;
  });
}

/** airgap replace: the rotation entry `name` is bound to the successor's id, whatever it was bound to. */
export function rebindRotationId(path: string, name: string, id: string): Promise<boolean> {
  return editRotationEntry(path, (rotation) => {
    const entry = rotation.find((d) => typeof d?.name === 'string' && sameDriveName(d.name, name));
    if (!entry) return false;
    entry.id = id;
    return true;
  });
}

/**
 * airgap retire: moves the entry `name` from drives.rotation to drives.retired (with `at`), or
 * back to the end of the rotation (`undo`), as written. False when there is no such entry.
 */
export async function moveRotationEntry(path: string, name: string, undo: boolean, at: string): Promise<boolean> {
  const json = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, '')) as { drives?: Record<string, RotationEntry[] | undefined> };
  const drives = (json.drives ??= {});
  const [from, to] = undo ? ['retired', 'rotation'] : ['rotation', 'retired'];
  const list = drives[from] ?? [];
  const i = list.findIndex((d) => typeof d?.name === 'string' && sameDriveName(d.name, name));
  if (i < 0) return false;
  const [entry] = list.splice(i, 1) as [RotationEntry & { retiredAt?: string }];
  if (undo) delete entry.retiredAt;
  else entry.retiredAt = at;
  (drives[to] ??= []).push(entry);
  await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
  return true;
}

/** Unbinds the rotation entry bound to this drive id when the drive is relabelled to another name. */
export function unbindRotationId(path: string, id: string, keepName: string): Promise<boolean> {
  return editRotationEntry(path, (rotation) => {
    const entry = rotation.find((d) => d?.id === id && typeof d.name === 'string' && !sameDriveName(d.name, keepName));
    if (!entry) return false;
    delete entry.id;
    return true;
  });
}

export async function saveConfig(path: string, config: Config): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n');
}

