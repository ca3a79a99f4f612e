// The run history (state folder, runs.jsonl): one JSON line per backup, verify, restore, drill and
// prune run on this host — when, which drive, the outcome, a few figures and the exit code.
// Append-only: each line is one write(2) of at most RUN_LOG_MAX_LINE_BYTES on a file opened with
// O_APPEND (two runs at once never interleave their lines), then fsynced. When the next line
// would take the file past its size (1 MiB), the file is renamed to runs.1.jsonl first
// (replacing the older one), under a short lock so that two runs never rotate twice. Reading
// takes the tail of both files (capped), skips lines that do not parse (a power cut mid-write)
// and counts them. The history is a record, never a gate: callers must not let a failed write
// change a command's outcome (cli/run-record.ts catches it).
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { check, finite, isoUtc, object, v } from '../core/validate.js';
import { fsyncDir } from '../io/durable.js';
import { openRegularFile, NotRegularFileError } from '../io/read-regular.js';
import { acquireLockFile, newLockInfo } from '../io/stale-lock.js';

export const RUN_LOG_FILE = 'runs.jsonl';
export const RUN_LOG_OLD_FILE = 'runs.1.jsonl';
/** The current file is rotated before it would pass this size. */
export const RUN_LOG_MAX_BYTES = 1024 * 1024;
/** One line: under PIPE_BUF (4096 on Linux), so that an O_APPEND write of it is never split. */
export const RUN_LOG_MAX_LINE_BYTES = 4000;
/** Read at most the last this many bytes of each file (a file grown past its rotation is not loaded whole). */
export const RUN_LOG_MAX_READ_BYTES = 2 * 1024 * 1024;

// The drive decisions (adopt, replace, retire, unretire, forget) are runs too: they change which
// drives are written and which snapshots count as copies, so the history says when that changed.
export type RunCommand = 'backup' | 'verify' | 'restore' | 'drill' | 'health' | 'prune' | 'accept' | 'reject' | 'adopt' | 'replace' | 'retire' | 'unretire' | 'forget';
export type RunOutcome = 'ok' | 'damaged' | 'suspect' | 'refused' | 'usage' | 'failed' | 'cancelled' | 'nothing-due' | 'dry-run';

const count = () => v.optional(v.pipe(finite(), v.minValue(0)));
const figuresSchema = object({
  files: count(), bytes: count(), seconds: count(), pruned: count(), snapshots: count(), damaged: count(),
});
export type RunFigures = v.InferOutput<typeof figuresSchema>;

/** What is read back: commands and outcomes as strings (a newer airgap may log others: reject, accept). */
const recordSchema = object({
  at: isoUtc(),
  command: v.string(),
  drive: v.optional(v.string()),
  snapshot: v.optional(v.string()),
  outcome: v.string(),
  exitCode: v.pipe(finite(), v.integer()),
  figures: v.optional(figuresSchema),
  error: v.optional(object({ code: v.string(), message: v.string() })),
});
export type LoggedRun = v.InferOutput<typeof recordSchema>;

/** What a run writes. */
export interface RunRecord extends LoggedRun {
  command: RunCommand;
  outcome: RunOutcome;
}

/** Text fields are capped (in code points): a drive name or an error message cannot make a line long. */
const CAPS = { drive: 100, snapshot: 64, code: 64, message: 300 } as const;

const cap = (s: string, n: number): string => {
  const points = Array.from(s);
  return points.length <= n ? s : `${points.slice(0, n - 1).join('')}…`;
};

/** The record as one line (newline included), fields capped; never longer than RUN_LOG_MAX_LINE_BYTES. */
export function runLine(r: RunRecord): string {
  const capped: LoggedRun = {
    at: r.at, command: r.command,
    ...(r.drive !== undefined ? { drive: cap(r.drive, CAPS.drive) } : {}),
    ...(r.snapshot !== undefined ? { snapshot: cap(r.snapshot, CAPS.snapshot) } : {}),
    outcome: r.outcome, exitCode: r.exitCode,
    ...(r.figures ? { figures: r.figures } : {}),
    ...(r.error ? { error: { code: cap(r.error.code, CAPS.code), message: cap(r.error.message, CAPS.message) } } : {}),
  };
  const line = JSON.stringify(capped) + '\n';
  if (Buffer.byteLength(line) <= RUN_LOG_MAX_LINE_BYTES) return line;
  // Escaped control characters take 6 bytes each: keep what always fits.
  const { drive: _d, snapshot: _s, error, ...rest } = capped;
  return JSON.stringify({ ...rest, ...(error ? { error: { code: 'long', message: '(message too long to record)' } } : {}) }) + '\n';
}

const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Appends one run to `<stateDir>/runs.jsonl` (rotating first when it would pass `maxBytes`), fsynced. */
export async function appendRun(stateDir: string, record: RunRecord, opts: { maxBytes?: number } = {}): Promise<void> {
  const maxBytes = opts.maxBytes ?? RUN_LOG_MAX_BYTES;
  const file = join(stateDir, RUN_LOG_FILE);
  let line = runLine(record);
  await mkdir(stateDir, { recursive: true });
  const before = await lstat(file).catch(() => undefined);
  if (before && before.size > 0 && before.size + Buffer.byteLength(line) > maxBytes) await rotate(stateDir, Buffer.byteLength(line), maxBytes);
  const fh = await open(file, APPEND_FLAGS, 0o666);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(file, 'something else');
    // A line cut short by a crash would swallow this one: start on a line of our own.
    if (st.size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, st.size - 1);
      if (last[0] !== 0x0a) line = '\n' + line;
    }
    await fh.write(line);
    await fh.sync();
    if (st.size === 0) await fsyncDir(stateDir);
  } finally {
    await fh.close();
  }
}

/** runs.jsonl → runs.1.jsonl, under a short lock; whoever waited finds it rotated and appends. */
async function rotate(stateDir: string, lineBytes: number, maxBytes: number): Promise<void> {
  const file = join(stateDir, RUN_LOG_FILE);
  const lock = join(stateDir, `${RUN_LOG_FILE}.lock`);
  const held = await acquireLockFile(lock, newLockInfo('run-log'), { staleMs: 30_000, waitMs: 2_000 });
  if (held) return; // another run is rotating (or stuck): this line goes into whichever file is there
  try {
    const st = await lstat(file).catch(() => undefined);
    if (st?.isFile() && st.size > 0 && st.size + lineBytes > maxBytes) {
      await rename(file, join(stateDir, RUN_LOG_OLD_FILE));
      await fsyncDir(stateDir);
    }
  } finally {
    await unlink(lock).catch(() => {});
  }
}

export interface RunHistory {
  /** Oldest first: runs.1.jsonl, then runs.jsonl. */
  runs: LoggedRun[];
  /** Lines that are not a run record (damaged, cut short): skipped. */
  skipped: number;
  /** A file was larger than the read cap: only its tail was read. */
  truncated: boolean;
}

/** Both files' runs, oldest first; a missing file is an empty history. Other read errors throw. */
export async function readRuns(stateDir: string, opts: { maxReadBytes?: number } = {}): Promise<RunHistory> {
  const out: RunHistory = { runs: [], skipped: 0, truncated: false };
  for (const name of [RUN_LOG_OLD_FILE, RUN_LOG_FILE]) {
    const tail = await readTail(join(stateDir, name), opts.maxReadBytes ?? RUN_LOG_MAX_READ_BYTES);
    if (!tail) continue;
    out.truncated ||= tail.truncated;
    for (const line of tail.text.split('\n')) {
      if (line.trim() === '') continue;
      const run = parseRun(line);
      if (run) out.runs.push(run);
      else out.skipped++;
    }
  }
  return out;
}

function parseRun(line: string): LoggedRun | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = check(recordSchema, data);
  return r.ok ? r.value : undefined;
}

/** The last `maxBytes` of a regular file, from its first whole line; undefined when it does not exist. */
async function readTail(path: string, maxBytes: number): Promise<{ text: string; truncated: boolean } | undefined> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const { fh, size } = opened;
  try {
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    let body = buf.subarray(0, got);
    // Started mid-file: the first (partial) line is not a record.
    if (start > 0) body = body.subarray(body.indexOf(0x0a) + 1);
    return { text: body.toString('utf8'), truncated: start > 0 };
  } finally {
    await fh.close();
  }
}
